# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tests`` and ``certify`` steps of dataiku_bundle_deploy (option ``tests``): after the activation, run the
test scenarios (as dataiku_scenario_run does), then certify the bundle (as dataiku_bundle_certify does: active,
passing test record, lock still ours), apply retention and release the lock. One module start instead of three.

A test failure fails the task with the tests' report and keeps the lock and the roll-back target, so the caller's
roll-back (same ``lock_owner``) re-enters the lock. Check mode runs nothing: it predicts the scenarios that run and
the retention, assuming the tests pass."""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.certify import CertifyRun, retention_plan
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


def certify_step(changed, before, after, result):
    step = dict(name="certify", changed=changed, certified=result["certified"], record=result["tests"],
                deleted_bundle_ids=result["deleted_bundle_ids"], lock_released=result["lock_released"])
    if changed:
        step["diff"] = dict(before=before, after=after)
    return step


class TestAndCertify:
    """The two steps for ``bundle_id`` of ``project_key``; ``previous`` is the bundle active before the task."""

    def __init__(self, module, project_key, bundle_id, previous):
        p = module.params
        self.module = module
        self.bundle_id = bundle_id
        self.previous = previous if previous != bundle_id else None
        self.keep_last = p["keep_last"]
        self.tests = ScenarioTests(module, project_key, p["tests"], p["warning_is_failure"])
        self.certification = CertifyRun(module, dict(
            project_key=project_key, bundle_id=bundle_id, lock_owner=p["lock_owner"], state="certified",
            keep_last=p["keep_last"], previous_bundle_id=self.previous, warning_is_failure=p["warning_is_failure"]))

    # -- check mode -------------------------------------------------------------------------------------------

    def plan(self, exists, ids_after, to_activate):
        """(steps, tests result) a real run that has to test would report, assuming the tests pass."""
        if not exists:
            # The scenarios are those of the bundle that creates the project: known only once it exists.
            tests = dict(changed=True, results=[], summary=summary([]), failed_scenarios=[], junit_xml=None)
        else:
            selection, error = self.tests.select()
            if error and not to_activate:
                self.module.fail_json(msg=error, existing_scenarios=selection.existing)
            # Activating replaces the scenarios: the ones of the active bundle are a prediction only.
            tests = self.tests.predicted(selection)
            tests["changed"] = tests["changed"] or bool(error)
        kept_ids, victims = retention_plan(ids_after, self.bundle_id, self.keep_last, self.previous)
        after = {"bundle_ids": [i for i in kept_ids if i not in victims]}
        certify = certify_step(bool(victims), {"bundle_ids": kept_ids}, after, dict(
            certified=True, tests=None, deleted_bundle_ids=victims, lock_released=True))
        return [dict(name="tests", changed=tests["changed"]), certify], tests

    # -- real run (also a converged bundle in check mode: reads only) ---------------------------------------------

    def run(self, run_tests, read, current):
        """Run the tests (when ``run_tests``), then certify: from a fresh ``read()`` of the project after the tests
        (another run may have activated something meanwhile), else from ``current`` (ids, active), read just
        before. (steps, tests result or None, certify result, bundle ids after)."""
        tests = None
        start = time.monotonic()
        if run_tests:
            tests = self._run_tests()
            steps = [dict(name="tests", changed=tests["changed"], summary=tests["summary"],
                          duration=round(time.monotonic() - start, 3))]
            # A certification that fails now still reports the runs (and that they changed the node).
            self.module.fail_context.update(changed=self.module.fail_context.get("changed") or tests["changed"],
                                            tests=tests_view(tests))
        else:
            steps = [dict(name="tests", changed=False,
                          skipped="bundle %s already has a passing test record" % self.bundle_id, duration=0.0)]
        start = time.monotonic()
        ids, active = read()[1:] if run_tests else current
        changed, before, after, result = self.certification.certify(ids, active)
        steps.append(dict(certify_step(changed, before, after, result), duration=round(time.monotonic() - start, 3)))
        return steps, tests, result, after["bundle_ids"]

    def _run_tests(self):
        selection, error = self.tests.select()
        if error:
            self.module.fail_json(msg=error, existing_scenarios=selection.existing, tests=None)
        result, problems = self.tests.run(selection.items)
        if problems:
            self.module.fail_json(msg=self.module.scrub(" ".join(problems) + " The bundle is not certified; "
                                                        "the deployment lock is kept for this run's roll-back."),
                                  tests=tests_view(result), changed=True)
        return result
