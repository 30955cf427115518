# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tests`` and ``certify`` steps of dataiku_bundle_deploy (option ``tests``): after the activation, run the
test scenarios (as dataiku_scenario_run does), then certify the bundle (as dataiku_bundle_certify does: active,
passing test record, lock still ours), apply retention and release the lock. One module start instead of three.

A test failure raises with the tests' report; the deploy path then applies ``on_failure`` (see _bundle/recovery.py).
Check mode runs nothing: it predicts the scenarios that run and the retention, assuming the tests pass.

``run_tests`` is shared with the Project Deployer route (dataiku_deployment with ``tests``)."""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.certify import CertifyRun, retention_plan
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.report import summary
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runs import (
    ScenarioTests,
    option_errors,
    scenario_options,
)


def tests_argument_spec():
    return dict(type="dict", options=scenario_options(), mutually_exclusive=[("scenarios", "prefix")])


def tests_option_errors(p):
    errors = option_errors(p["tests"], "tests.") if p["tests"] is not None else []
    error = bundles.keep_last_error(p["keep_last"])
    return errors + ([error] if error else [])


def tests_view(result):
    """What the task reports of the test runs (null when none ran): the dataiku_scenario_run result's keys."""
    if result is None:
        return None
    return dict(summary=result["summary"], failed_scenarios=result["failed_scenarios"],
                junit_xml=result["junit_xml"], results=result["results"])


def run_tests(module, tests):
    """Select and run the test scenarios of ``tests`` (a ScenarioTests); the result, or DssError with the tests'
    report when one did not pass (or none matches)."""
    selection, error = tests.select()
    if error:
        raise DssError(error, existing_scenarios=selection.existing, tests=None)
    result, problems = tests.run(selection.items)
    if problems:
        raise DssError(module.scrub(" ".join(problems) + " The bundle is not certified."),
                       tests=tests_view(result), changed=True)
    return result


def predicted_tests(tests, exists, to_activate):
    """Check mode: the runs a real deployment would make (``tests``: a ScenarioTests), assuming they pass."""
    if not exists:
        # The scenarios are those of the bundle that creates the project: known only once it exists.
        return dict(changed=True, results=[], summary=summary([]), failed_scenarios=[], junit_xml=None)
    selection, error = tests.select()
    if error and not to_activate:
        raise DssError(error, existing_scenarios=selection.existing)
    # Activating replaces the scenarios: the ones of the active bundle are a prediction only.
    predicted = tests.predicted(selection)
    predicted["changed"] = predicted["changed"] or bool(error)
    return predicted


def certify_step(changed, before, after, result):
    step = dict(name="certify", changed=changed, certified=result["certified"], record=result["tests"],
                deleted_bundle_ids=result["deleted_bundle_ids"], lock_released=result["lock_released"])
    if changed:
        step["diff"] = dict(before=before, after=after)
    return step


class TestAndCertify:
    """The two steps for ``bundle_id`` of ``project_key``; ``previous`` is the bundle active before the task."""

    def __init__(self, module, project_key, bundle_id, previous, keep_last=None):
        p = module.params
        self.module = module
        self.bundle_id = bundle_id
        self.previous = previous if previous != bundle_id else None
        self.keep_last = keep_last
        self.tests = ScenarioTests(module, project_key, p["tests"], p["warning_is_failure"]) \
            if p["tests"] is not None else None
        self.certification = CertifyRun(module, dict(
            project_key=project_key, bundle_id=bundle_id, lock_owner=p["lock_owner"], state="certified",
            keep_last=keep_last, previous_bundle_id=self.previous, warning_is_failure=p["warning_is_failure"]))

    # -- check mode -------------------------------------------------------------------------------------------

    def plan(self, exists, ids_after, to_activate):
        """(steps, tests result) a real run that has to test would report, assuming the tests pass."""
        tests = predicted_tests(self.tests, exists, to_activate)
        kept_ids, victims = retention_plan(ids_after, self.bundle_id, self.keep_last, self.previous)
        after = {"bundle_ids": [i for i in kept_ids if i not in victims]}
        certify = certify_step(bool(victims), {"bundle_ids": kept_ids}, after, dict(
            certified=True, tests=None, deleted_bundle_ids=victims, lock_released=True))
        return [dict(name="tests", changed=tests["changed"]), certify], tests

    # -- real run (also a converged bundle in check mode: reads only) ---------------------------------------------

    def run(self, test_now, read, current):
        """Run the tests (when ``test_now``), then certify: from a fresh ``read()`` of the project after the tests
        (another run may have activated something meanwhile), else from ``current`` (ids, active), read just
        before. (steps, tests result or None, certify result, bundle ids after)."""
        tests = None
        start = time.monotonic()
        if test_now and self.tests is not None:
            tests = run_tests(self.module, self.tests)
            steps = [dict(name="tests", changed=tests["changed"], summary=tests["summary"],
                          duration=round(time.monotonic() - start, 3))]
        else:
            steps = [dict(name="tests", changed=False,
                          skipped="bundle %s already has a passing test record" % self.bundle_id, duration=0.0)]
        start = time.monotonic()
        ids, active = read()[1:] if test_now else current
        try:
            changed, before, after, result = self.certification.certify(ids, active)
        except DssError as exc:
            # A certification that fails now still reports the runs (and that they changed the node).
            raise exc.add(tests=tests_view(tests), changed=bool(tests and tests["changed"]))
        steps.append(dict(certify_step(changed, before, after, result), duration=round(time.monotonic() - start, 3)))
        return steps, tests, result, after["bundle_ids"]
