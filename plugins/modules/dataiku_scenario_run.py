#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_scenario_run
short_description: Run the test scenarios of a DSS project and fail when one does not pass
version_added: 0.1.0
description:
  - Runs scenarios of a project on a DSS design or automation node, waits for each run to end and reports its
    outcome (V(SUCCESS), V(WARNING), V(FAILED) or V(ABORTED)), the outcome and error message of each step, and
    a summary. Typical use is the smoke test after a bundle activation, before deciding on a rollback.
  - Select the scenarios by id with O(scenarios), or by id prefix with O(prefix) (V(TEST_) when neither is
    given), optionally only those DSS marks as test scenarios (O(only_marked_as_test)).
  - B(Runs are sequential), in the order of O(scenarios) (or sorted by id for a prefix). DSS would run scenarios
    of a project concurrently, but test scenarios usually build and check the same datasets, so concurrent runs
    would make their outcomes depend on timing.
  - All selected scenarios run even when one fails (unless O(stop_on_failure=true)); then the task fails if any
    outcome is not acceptable. V(FAILED) and V(ABORTED) never are; V(WARNING) is acceptable unless
    O(warning_is_failure=true). The failure message names each scenario that did not pass, its outcome and the
    error message of its first failing step. RV(results) and RV(summary) are returned in both cases.
  - Each run has a deadline (O(scenario_timeout), and O(total_timeout) for the whole task). At the deadline the
    module aborts the run in DSS and reports it as V(ABORTED) with RV(results[].timed_out=true).
  - B(changed.) A run changes the DSS node (it adds a run to the scenario's history, and the scenario usually
    rebuilds datasets), so the task reports C(changed) whenever at least one scenario ran, whatever the outcome.
    A deployment play that wants its recap to reflect configuration changes only can set C(changed_when) to V(false)
    on this task, at the cost of hiding that scenarios ran.
  - Polls the run status with one C(GET) per poll, after 0.2 s and then 1.5 times longer each time, up to
    O(poll_interval). When the scenario ran before, the first wait is 80% of its last run's duration instead (at
    most O(poll_interval)), then polling starts again at 0.2 s. The official client's C(run_and_wait) is not used, because it fails on V(WARNING), has no
    timeout and waits up to 15 s between polls.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
attributes:
  check_mode:
    description: Runs nothing and predicts which scenarios would run.
    support: full
    details:
      - In check mode the module only lists (and, for O(only_marked_as_test), reads) scenarios. It makes no
        write request and returns the scenarios that would run in RV(results) with RV(results[].would_run=true)
        and a null outcome, and C(changed=true) when at least one would run.
      - It predicts which scenarios run, not their outcome. The same selection errors as a real run fail the
        task (unknown id in O(scenarios), no match when O(if_no_scenarios=fail)). No JUnit report is written.
  diff_mode:
    description: Returns no diff.
    support: none
    details:
      - Running scenarios changes no configuration that a before/after diff could show; what ran and how it
        ended is in RV(results).
options:
  project_key:
    description:
      - Key of the project whose scenarios run.
    type: str
    required: true
  scenarios:
    description:
      - Ids of the scenarios to run, in this order (duplicates run once). An id is what appears in the scenario's
        URL, not its display name.
      - When one of them does not exist, the task fails before running anything and lists the scenario ids of
        the project.
      - Mutually exclusive with O(prefix).
    type: list
    elements: str
  prefix:
    description:
      - Run every scenario whose id starts with this prefix, sorted by id (name them C(TEST_010_...),
        C(TEST_020_...) to choose an order). The comparison is case-sensitive.
      - Defaults to V(TEST_), the convention of Dataiku's CI/CD samples, when O(scenarios) is not given.
      - Mutually exclusive with O(scenarios).
    type: str
  only_marked_as_test:
    description:
      - With a prefix selection, also require the scenario to be marked as a test scenario in DSS
        (C(markedAsTest)). When the scenario list does not say, the module reads the scenario's settings.
      - Ignored with O(scenarios), whose scenarios always run.
    type: bool
    default: false
  if_no_scenarios:
    description:
      - What to do when the prefix selection matches no scenario.
      - V(fail) fails the task and lists the scenario ids that exist, since a smoke test that tests nothing is
        usually a mistake (wrong project, renamed scenarios).
      - V(ok) succeeds with empty RV(results) and C(changed=false).
    type: str
    choices: [fail, ok]
    default: fail
  warning_is_failure:
    description:
      - Whether a V(WARNING) outcome fails the task.
      - Defaults to V(false), as DSS itself counts WARNING runs as passed (for example in the run duration
        statistics of a scenario). Set it to V(true) for a strict gate, where a check step that only warns
        (for example a data quality rule set to warn) must also stop the promotion.
    type: bool
    default: false
  stop_on_failure:
    description:
      - Stop after the first scenario whose outcome is not acceptable. The scenarios after it do not run and are
        reported with RV(results[].skipped) set (and as skipped test cases in the JUnit report).
    type: bool
    default: false
  scenario_timeout:
    description:
      - Seconds to wait for one scenario run to end (from the run request). At the deadline the run is aborted
        and reported as V(ABORTED).
      - Not to be confused with O(timeout), which bounds each HTTP request to DSS.
    type: int
    default: 3600
  total_timeout:
    description:
      - Seconds for all the runs of the task together. A run that reaches it is aborted like at
        O(scenario_timeout); scenarios not started by then are reported as V(ABORTED) without running.
      - Not set means no overall limit (each run still has O(scenario_timeout)).
    type: int
  poll_interval:
    description:
      - Longest wait, in seconds, between two status reads of a running scenario. Polling starts at 0.2 s (or 80%
        of the scenario's last run's duration) and grows up to this value.
    type: float
    default: 5.0
  trigger_params:
    description:
      - Parameters passed to each run, as the parameters of its manual trigger (the body of the C(POST .../run) request
        that starts it).
    type: dict
    default: {}
  junit_xml:
    description:
      - Path of a JUnit XML report to write, with one C(testsuite) for the project and one C(testcase) per
        selected scenario (C(failure) for V(FAILED) and failing V(WARNING), C(error) for V(ABORTED), C(skipped)
        for scenarios not run, durations in seconds).
      - The file is written by the module, that is on the host that runs the task; run the task on the
        controller (a play on C(localhost), or C(delegate_to) V(localhost), as usual for this collection) to get it
        there. Missing directories are created.
      - Written after the runs, also when the task then fails. Not written in check mode.
    type: path
notes:
  - Works on design and automation nodes.
  - An error talking to DSS (not a scenario failure) stops the task at once; a run already started keeps
    running in DSS.
  - A timeout aborts through C(POST .../scenarios/ID/abort), which the public API offers per scenario, not per
    run; a run of the same scenario started elsewhere at that moment would be aborted too.
  - DSS cancels a run request while the scenario is already running, so a run already going (one that an
    interrupted deployment left, or someone else's) is waited for, within the scenario's timeout, before the
    request is sent. When DSS cancels the request all the same, the scenario is reported as V(ABORTED).
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle
  - name: Dataiku documentation on test scenarios
    description: Marking scenarios as tests and the test reports of DSS.
    link: https://doc.dataiku.com/dss/latest/scenarios/test_scenarios.html
"""

EXAMPLES = r"""
- name: Smoke-test the project after activating the bundle (all TEST_* scenarios)
  dataiku_gitops.dss.dataiku_scenario_run:
    url: https://dss-prod.example.com:11200
    api_key: "{{ dss_prod_api_key }}"
    project_key: CHURN
    scenario_timeout: 1800
    junit_xml: "{{ playbook_dir }}/reports/churn-smoke.xml"
  delegate_to: localhost
  register: smoke

- name: Run two scenarios in this order, warnings fail too, stop at the first failure
  dataiku_gitops.dss.dataiku_scenario_run:
    project_key: CHURN
    scenarios: [TEST_BUILD, TEST_CHECKS]
    warning_is_failure: true
    stop_on_failure: true

- name: Run the test scenarios, if any, without counting the runs as changes
  dataiku_gitops.dss.dataiku_scenario_run:
    project_key: CHURN
    only_marked_as_test: true
    if_no_scenarios: ok
  changed_when: false

- name: Roll back when the smoke test fails
  block:
    - name: Smoke test
      dataiku_gitops.dss.dataiku_scenario_run:
        project_key: CHURN
  rescue:
    - name: Show what failed
      ansible.builtin.debug:
        msg: "{{ ansible_failed_result.failed_scenarios }} did not pass"
"""

RETURN = r"""
results:
  description:
    - One entry per selected scenario, in run order. Also returned when the task fails because of an outcome.
  returned: always
  type: list
  elements: dict
  contains:
    scenario_id:
      description: Scenario id.
      type: str
    name:
      description: Scenario display name.
      type: str
    outcome:
      description:
        - V(SUCCESS), V(WARNING), V(FAILED) or V(ABORTED) (also for a timeout).
        - Null in check mode and for scenarios skipped by O(stop_on_failure).
      type: str
    run_id:
      description: Id of the DSS run, null when no run was created.
      type: str
    duration_seconds:
      description: Run duration from DSS's start and end times (else the time waited), null when not run.
      type: float
    failure_message:
      description:
        - For an outcome other than V(SUCCESS), the error message (else title) of the first step with that
          outcome, else of any unsuccessful step, else of the run. For a timeout, says so first. Else null.
      type: str
    steps:
      description: The steps that ran, in order.
      type: list
      elements: dict
      contains:
        name:
          description: Step name (its id when it has no name).
          type: str
        type:
          description: Step type, such as C(build_flowitem) or C(custom_python).
          type: str
        outcome:
          description: Step outcome.
          type: str
        message:
          description: Error or warning message of the step, null when none.
          type: str
    would_run:
      description: True in check mode (the scenario would run), false otherwise.
      type: bool
    timed_out:
      description: Whether the module aborted the run at O(scenario_timeout) or O(total_timeout).
      type: bool
    skipped:
      description: Why the scenario did not run (O(stop_on_failure)), else null.
      type: str
  sample:
    - scenario_id: TEST_SMOKE
      name: Smoke test
      outcome: FAILED
      run_id: "2025-04-01-10-15-30-123"
      duration_seconds: 12.4
      failure_message: "Input dataset customers_raw does not exist"
      steps:
        - {name: Build scored, type: build_flowitem, outcome: FAILED,
           message: "Input dataset customers_raw does not exist"}
      would_run: false
      timed_out: false
      skipped: null
summary:
  description: Counts of RV(results) by outcome; V(not_run) counts check-mode predictions and skipped scenarios.
  returned: always
  type: dict
  sample: {total: 3, success: 2, warning: 0, failed: 1, aborted: 0, not_run: 0}
failed_scenarios:
  description:
    - Ids of the scenarios whose outcome is not acceptable (see O(warning_is_failure)).
    - Not called C(failed), which Ansible reserves for the task status.
  returned: always
  type: list
  elements: str
  sample: [TEST_SMOKE]
existing_scenarios:
  description: When the selection fails (unknown id, or no match), the scenario ids of the project, sorted.
  returned: on selection failure
  type: list
  elements: str
  sample: [TEST_SMOKE, TEST_BUILD]
junit_xml:
  description: Absolute path of the JUnit report written, null when none was written.
  returned: always
  type: str
  sample: /home/ci/reports/churn-smoke.xml
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runs import (
    ScenarioTests,
    empty_result,
    option_errors,
    scenario_options,
)


def argument_spec():
    spec = dict(project_key=dict(type="str", required=True, no_log=False),
                warning_is_failure=dict(type="bool", default=False))
    spec.update(scenario_options())
    return spec


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    p = module.params
    errors = [e for e in [project_key_error(p["project_key"])] if e] + option_errors(p)
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()

    if module.find_project(p["project_key"]) is None:
        if not module.check_mode:
            raise DssError("Project %s does not exist on %s, so it has no scenario to run." % (p["project_key"], module.url),
                           **empty_result())
        # A play that creates the project first (a first bundle deployment) runs its scenarios once it exists:
        # predict that they run; which ones can only be known after the activation.
        module.exit_json(changed=True, msg="Project %s does not exist yet on %s; in a real run its scenarios are "
                                           "selected once it exists (for example after a first bundle activation)."
                                           % (p["project_key"], module.url), **empty_result())

    tests = ScenarioTests(module, p["project_key"], p, p["warning_is_failure"])
    selection, error = tests.select()
    if error:
        raise DssError(error, existing_scenarios=selection.existing, **empty_result())
    if module.check_mode or not selection.items:
        module.exit_json(**tests.predicted(selection))
    result, problems = tests.run(selection.items)
    if problems:
        raise DssError(module.scrub(" ".join(problems)), **result)
    module.exit_json(**result)


def main():
    module = DssModule(argument_spec=argument_spec(), mutually_exclusive=[("scenarios", "prefix")],
                       supports_check_mode=True)
    module.run(run_task, module)


if __name__ == "__main__":
    main()
