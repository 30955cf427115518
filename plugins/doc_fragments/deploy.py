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
"""
