# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the test scenarios of a project: selection, sequential runs with deadlines, result rows, summary,
failure text and JUnit report. Shared by dataiku_scenario_run (the whole module) and dataiku_bundle_deploy (its
``tests`` step), so both select, run and report scenarios the same way."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import name_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.paths import output_path_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.report import (
    acceptable,
    base_row,
    failed_ids,
    failure_text,
    skipped_row,
    summary,
)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runner import ScenarioRunner
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.selection import select


def scenario_options():
    """The options that select and run the scenarios (dataiku_scenario_run's, also dataiku_bundle_deploy's
    ``tests`` suboptions); ``warning_is_failure`` is each module's own top-level option."""
    return dict(
        scenarios=dict(type="list", elements="str"),
        prefix=dict(type="str"),
        only_marked_as_test=dict(type="bool", default=False),
        if_no_scenarios=dict(type="str", choices=["fail", "ok"], default="fail"),
        stop_on_failure=dict(type="bool", default=False),
        scenario_timeout=dict(type="int", default=3600),
        total_timeout=dict(type="int"),
        poll_interval=dict(type="float", default=5.0),
        trigger_params=dict(type="dict", default={}),
        junit_xml=dict(type="path"),
    )


def option_errors(options, prefix=""):
    """Every problem with the scenario options (``prefix`` names them, e.g. ``tests.``), found before any request."""
    errors = []
    for index, scenario_id in enumerate(options["scenarios"] or []):
        errors.append(name_error(scenario_id, "%sscenarios[%d]" % (prefix, index)))
    if options["scenarios"] is not None and not options["scenarios"]:
        errors.append("%sscenarios must list at least one scenario id (omit it to select by prefix)." % prefix)
    if options["prefix"] is not None and name_error(options["prefix"] or "x", "prefix"):
        errors.append(name_error(options["prefix"], "%sprefix" % prefix))
    for option in ("scenario_timeout", "total_timeout", "poll_interval"):
        if options[option] is not None and options[option] <= 0:
            errors.append("%s%s must be a positive number of seconds, got %s." % (prefix, option, options[option]))
    errors.append(output_path_error(options["junit_xml"], prefix + "junit_xml", create_dirs=True))
    return [e for e in errors if e]


def empty_result():
    return dict(results=[], summary=summary([]), failed_scenarios=[], junit_xml=None)


class ScenarioTests:
    """The test scenarios of ``project_key`` on the module's node, selected and run as ``options`` say."""

    def __init__(self, module, project_key, options, warning_is_failure):
        self.module = module
        self.key = project_key
        self.options = options
        self.warning_is_failure = warning_is_failure
        self.project = module.client.get_project(project_key)

    def _list(self):
        with self.module.dss_errors("list the scenarios of project %s" % self.key):
            return [dict(item) for item in self.project.list_scenarios()]

    def _marked_as_test(self, item):
        with self.module.dss_errors("read the settings of scenario %s of project %s" % (item["id"], self.key)):
            return self.project.get_scenario(item["id"]).get_settings().get_raw().get("markedAsTest")

    def select(self):
        """(selection, error message or None): the scenarios to run, in run order."""
        o = self.options
        selection = select(self._list(), o["scenarios"], o["prefix"], o["only_marked_as_test"], self._marked_as_test)
        existing = ", ".join(selection.existing) or "none"
        error = None
        if selection.missing:
            error = ("Scenario(s) %s not found in project %s on %s; nothing was run. Existing scenario ids: %s."
                     % (", ".join(selection.missing), self.key, self.module.url, existing))
        elif not selection.items and o["if_no_scenarios"] == "fail":
            error = ("No scenario of project %s on %s matches (%s); nothing was run. Existing scenario ids: %s. Set "
                     "if_no_scenarios=ok to accept this." % (self.key, self.module.url, selection.description, existing))
        return selection, error

    def predicted(self, selection):
        """The check-mode result: the selected scenarios would run; nothing runs, no report is written."""
        rows = [base_row(item, would_run=True) for item in selection.items]
        return dict(changed=bool(rows), results=rows, summary=summary(rows), failed_scenarios=[], junit_xml=None)

    def run(self, items):
        """Run ``items`` one after the other; (result with ``changed`` = a run was started, problems)."""
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        rows, triggered = self._run_all(items)
        result = dict(changed=triggered, results=rows, summary=summary(rows),
                      failed_scenarios=failed_ids(rows, self.warning_is_failure), junit_xml=None)
        problems = []
        if result["failed_scenarios"]:
            problems.append(failure_text(self.key, self.module.url, rows, self.warning_is_failure))
        if self.options["junit_xml"]:
            # Imported when a report is asked for only (it brings xml.etree): a module start compiles what it imports.
            from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario import junit  # pylint: disable=import-outside-toplevel
            report = junit.junit_document(self.key, self.module.url, rows, self.warning_is_failure, started)
            try:
                result["junit_xml"] = junit.write_junit(self.options["junit_xml"], report)
            except OSError as exc:
                problems.append("The JUnit report could not be written to %s: %s." % (self.options["junit_xml"], exc))
        return result, problems

    def _run_all(self, items):
        o = self.options
        runner = ScenarioRunner(self.module, self.project, o["trigger_params"], o["poll_interval"])
        task_deadline = time.monotonic() + o["total_timeout"] if o["total_timeout"] else None
        rows, stop_reason, triggered = [], None, False
        for item in items:
            if stop_reason:
                rows.append(skipped_row(item, stop_reason))
                continue
            deadline, label = time.monotonic() + o["scenario_timeout"], "scenario_timeout=%d" % o["scenario_timeout"]
            if task_deadline is not None and task_deadline <= deadline:
                deadline, label = task_deadline, "total_timeout=%d" % o["total_timeout"]
            if deadline <= time.monotonic():
                row = base_row(item)
                row.update(outcome="ABORTED", timed_out=True, failure_message="Not started: %s reached." % label)
            else:
                row = runner.run(item, deadline, label)
                triggered = True
            rows.append(row)
            if o["stop_on_failure"] and not acceptable(row["outcome"], self.warning_is_failure):
                stop_reason = "stop_on_failure: %s did not pass" % row["scenario_id"]
        return rows, triggered
