# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The test, certification and failure options of the two deploy modules (dataiku_bundle_deploy, the direct
    # route, and dataiku_deployment, the Project Deployer route): one deploy path, the same options.
    DOCUMENTATION = r"""
options:
  warning_is_failure:
    description:
      - A test run that ended with WARNING does not count as passing when deciding whether the bundle is certified.
      - With O(tests), a WARNING outcome also fails the tests step.
    type: bool
    default: false
  tests:
    description:
      - Run the test scenarios of the project on the automation node once the bundle is active, then certify it (it
        is still the active bundle and DSS's per-bundle test record of it passes), in this same task. The tests run
        whenever the task changes something or the bundle has no passing test record yet; a bundle already active
        and certified is not tested again.
      - The suboptions are those of M(dataiku_gitops.dss.dataiku_scenario_run), with the same meaning and defaults
        (O(warning_is_failure) is this module's). V({}) runs every scenario whose id starts with V(TEST_).
    type: dict
    suboptions:
      scenarios:
        description: Ids of the scenarios to run, in this order. Mutually exclusive with O(tests.prefix).
        type: list
        elements: str
      prefix:
        description: Run every scenario whose id starts with this prefix, sorted by id (V(TEST_) when neither is given).
        type: str
      only_marked_as_test:
        description: With a prefix selection, also require the scenario to be marked as a test scenario in DSS.
        type: bool
        default: false
      if_no_scenarios:
        description:
          - What to do when the prefix selection matches no scenario - V(fail) the task, or V(ok) go on (the
            certification then fails, as no test record exists, so V(ok) only suits bundles certified elsewhere).
        type: str
        choices: [fail, ok]
        default: fail
      stop_on_failure:
        description: Stop after the first scenario whose outcome is not acceptable.
        type: bool
        default: false
      scenario_timeout:
        description: Seconds to wait for one scenario run to end; at the deadline the run is aborted (V(ABORTED)).
        type: int
        default: 3600
      total_timeout:
        description: Seconds for all the runs together (not set - no overall limit).
        type: int
      poll_interval:
        description: Longest wait, in seconds, between two status reads of a running scenario.
        type: float
        default: 5.0
      trigger_params:
        description: Parameters passed to each run, as the parameters of its manual trigger.
        type: dict
        default: {}
      junit_xml:
        description:
          - Path of a JUnit XML report to write (on the host that runs the task), also when the tests fail. Checked
            before any request; not written in check mode.
        type: path
  on_failure:
    description:
      - What a failure after this run's first write does (a test run counts as a write). Failures before it (bad
        input, a refused lock, a bundle that is not exported or published) change nothing, whatever this option says.
      - V(rollback) - make RV(rollback_bundle_id) (the last bundle with a passing test record on the automation node)
        active again, re-test it (with O(tests)), certify it by its test record and release the deployment lock when
        the route has one. Nothing is activated when it is still the active bundle; nothing is restored when no
        other bundle has a passing test record (a first deployment).
      - V(delete_project) - as V(rollback), except that a project this run created (a first deployment) is deleted
        (and, through the Project Deployer, the deployment it created). A project that existed before the task is
        never deleted.
      - V(keep) - leave the node as the failure left it (the direct route also keeps its lock until its lease
        lapses, for a roll-back by the caller under the same lock owner).
      - Whatever it does, the task then fails with one line saying what failed, what was restored and which bundle
        is active now, and the same result keys as a success (RV(error), RV(rolled_back), RV(active_bundle_id)...).
      - Check mode reports RV(rollback_bundle_id), what a failure would roll back to.
    type: str
    choices: [rollback, keep, delete_project]
    default: keep
  gates:
    description:
      - The preflight gates of the environment this task deploys to, evaluated together before the first write (in
        check mode as in a real run) whenever the task has something to deploy - the bundle's Project Standards
        report (O(gates.project_standards)), Govern (the Project Deployer route), a passing test record on the
        previous environment (O(gates.tested_on)) and release notes (O(gates.release_notes)).
      - Each gate passes, warns (the task goes on and Ansible prints a warning) or blocks. When one or more block,
        the task fails before any write with every blocking reason in one message, and nothing is changed.
      - RV(gates) reports the decision and each gate's status and reason; when this option is set, the diff also
        shows them under C(after.gates).
      - B(Govern) is asked on the Project Deployer route only, as the infrastructure's policy says (V(PREVENT)
        blocks a bundle that is not approved, V(WARN) blocks unless C(ignore_warnings) is set). The direct route
        deploys without an infrastructure, so Govern does not take part there (the gate says V(skip)); deploy through
        the Project Deployer where Govern must decide.
      - On the Project Deployer route the infrastructure's own Project Standards policy (what DSS applies in the
        update) is evaluated too, so a bundle DSS would refuse is held back before any write.
      - A bundle not exported (direct route) or published (Project Deployer route) yet, in a plan that expects an
        earlier task to do it, cannot be read - its Project Standards and release notes gates then V(warn) in that
        plan and are decided by the real run.
    type: dict
    suboptions:
      project_standards:
        description:
          - What a bundle failing a Project Standards check of at least O(gates.min_severity) does - V(prevent)
            blocks it, V(warn) lets it through with a warning, V(ignore) does not read the report.
          - The report is the one DSS keeps with the bundle at export - read on the design node (C(source)) on the
            direct route, on the deployer (C(get_project_standards_report)) on the Project Deployer route. A bundle
            without a report because no check applies to the project passes, as DSS's deployer lets it through; a
            report that cannot be read (a DSS without Project Standards, an archive given with C(src) on the direct
            route) gives a warning.
        type: str
        choices: [ignore, warn, prevent]
        default: ignore
      min_severity:
        description: The lowest severity of a check issue that counts as failing (DSS severities 1 to 5).
        type: str
        choices: [LOWEST, LOW, MEDIUM, HIGH, CRITICAL]
        default: LOWEST
      release_notes:
        description:
          - What a bundle without release notes does - V(prevent) blocks it, V(warn) lets it through with a warning,
            V(ignore) does not check.
        type: str
        choices: [ignore, warn, prevent]
        default: ignore
      tested_on:
        description:
          - The previous environment, where the bundle must have a passing test record (DSS's per-bundle testing
            status of the project, with O(warning_is_failure)) before it comes here. Not set - no such gate.
        type: dict
        suboptions:
          env:
            description: Name of that environment, for the messages.
            type: str
            required: true
          url:
            description: Base URL of its automation node. Required unless O(gates.tested_on.result) is set.
            type: str
          api_key:
            description: API key for that node. Required unless O(gates.tested_on.result) is set.
            type: str
          validate_certs:
            description: Verify that node's TLS certificate.
            type: bool
            default: true
          ca_path:
            description: CA bundle (PEM) to verify that node's certificate with.
            type: path
          result:
            description:
              - This run's deployment result of the project on that environment (the result of
                M(dataiku_gitops.dss.dataiku_bundle_deploy) or M(dataiku_gitops.dss.dataiku_deployment) there), when
                the same run deployed it - then it decides instead of the node (in check mode, what the plan
                predicts there) - C(bundle_id), C(active_bundle_id), C(certified) and C(error).
            type: dict
"""
