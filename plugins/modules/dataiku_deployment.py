#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_deployment
short_description: Manage a Project Deployer deployment of Dataiku DSS as code, and update it
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Creates or updates a deployment of the Project Deployer (a published project's bundle on an infrastructure)
    and, when its settings change or the automation node does not run them (health not V(HEALTHY) or
    V(WARNING)), starts an update and waits for it (O(update_timeout)).
  - Reports the health, the bundle deployed before the run (RV(previous_bundle_id), the rollback target) and
    the log of the update. Rollback is this module again with O(bundle_id) set to that previous bundle.
  - O(url) is the deployer (a DEPLOYER node or a DESIGN node running a local deployer).
  - Before any write it checks that the published project, the bundle and the infrastructure exist, that Govern
    lets the bundle through (infrastructure policy V(PREVENT) refuses a bundle that is not approved, V(WARN) needs
    O(ignore_warnings)) and that the automation node answers. For a deployment that does not exist yet, DSS only
    reports the Govern status when it is created, so the creation request is then the check, the one write request of
    a refusal, which DSS refuses whole. The task fails with DSS's message, C(changed=false) and nothing created;
    check mode cannot predict that refusal and O(govern_timeout) cannot wait for it.
  - Check mode predicts C(changed) and the diff exactly (settings, and C(in_sync) when an update would run).
  - B(The Project Deployer route of a promotion.) With O(tests) (and O(automation), the automation node of the
    infrastructure), the same task then tests the bundle on the automation node and certifies it by DSS's
    per-bundle test record - a bundle counts as tested only when a test record of it passes - as
    M(dataiku_gitops.dss.dataiku_bundle_deploy) does on the direct route, with the same code and the same result
    keys (RV(route) V(deployer)). A deployment already on O(bundle_id), in sync, whose bundle is active and certified
    is left alone; an active bundle without a passing record (left by an interrupted run) is tested again.
  - On a failure after the first write (update, tests, certification), O(on_failure=rollback) updates the
    deployment back to RV(rollback_bundle_id), the last bundle with a passing test record on the automation node,
    re-tests and certifies it, then the task fails with one line saying what failed and what was restored.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
  - dataiku_gitops.dss.deploy
options:
  deployment_id:
    description: Id of the deployment (letters, digits, V(_), V(.), V(-)).
    type: str
    required: true
  state:
    description: V(present) creates or updates (and deploys) the deployment, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  published_project_key:
    description:
      - Published project the deployment takes its bundles from. Required to create the deployment; it cannot be
        changed afterwards.
    type: str
  infra_id:
    description: Infrastructure to deploy to. Required to create the deployment.
    type: str
  bundle_id:
    description: Bundle of the published project to deploy. Required to create the deployment.
    type: str
  deployed_project_key:
    description: Project key on the automation node. DSS defaults it to O(published_project_key).
    type: str
  connections:
    description:
      - Deployment-level connection remapping (design name to automation name), managed as a whole when set. It
        takes precedence over the infrastructure's remapping entry by entry.
    type: dict
  code_envs:
    description: Deployment-level code environment remapping, managed as a whole when set.
    type: dict
  scenarios_to_activate:
    description: Scenario id to V(true) (active) or V(false) after activation, managed as a whole when set.
    type: dict
  update:
    description:
      - Start an update when the deployment is out of sync with its settings. V(false) only saves settings.
    type: bool
    default: true
  update_timeout:
    description: Seconds to wait for the update to finish before failing (DSS may still be running it).
    type: int
    default: 900
  ignore_warnings:
    description:
      - Deploy a bundle Govern warns about (infrastructure policy V(WARN), bundle not approved). Without it such a
        bundle fails the task before any change.
      - Has no effect on policy V(PREVENT), which refuses unapproved bundles.
    type: bool
    default: false
  govern_timeout:
    description:
      - Seconds to wait for a sign-off in Govern when the infrastructure's policy V(PREVENT) refuses the bundle
        of an existing deployment, checking every O(govern_poll_interval) seconds. V(0) fails at once.
      - The failure names the bundle and its governance status. Check mode never waits.
      - A deployment that does not exist yet cannot be asked for a Govern status before it is created, so its
        refusal fails at once with DSS's message.
    type: int
    default: 0
  govern_poll_interval:
    description: Seconds between two reads of the Govern status while waiting (O(govern_timeout)).
    type: int
    default: 10
  expect_published:
    description:
      - Check mode only. Plan as if O(bundle_id) were published when it is not yet, because an earlier task of the
        same run (M(dataiku_gitops.dss.dataiku_bundle_publish)) publishes it. Ignored in a real run.
    type: bool
    default: false
  automation:
    description:
      - The automation node the deployment's infrastructure deploys to, read and tested with its own URL, key and
        TLS settings. Required with O(tests).
    type: dict
    suboptions:
      url:
        description: Base URL of the automation node.
        type: str
        required: true
      api_key:
        description: API key of the automation node.
        type: str
        required: true
      validate_certs:
        description: Verify the automation node's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the certificate authorities for the automation node's certificate.
        type: path
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_deploy
  - module: dataiku_gitops.dss.dataiku_deployment_info
  - module: dataiku_gitops.dss.dataiku_deployer_infra
  - module: dataiku_gitops.dss.dataiku_bundle_publish
"""

EXAMPLES = r"""
- name: Deploy bundle v12 of CHURN on the prod infrastructure
  dataiku_gitops.dss.dataiku_deployment:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    published_project_key: CHURN
    infra_id: prod
    bundle_id: v12
    scenarios_to_activate:
      DAILY_SCORING: true
  register: deployed

- name: Deploy, test on the automation node, certify, and roll back to the last certified bundle on a failure
  dataiku_gitops.dss.dataiku_deployment:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    published_project_key: CHURN
    infra_id: prod
    bundle_id: v13
    automation:
      url: https://dss-prod.example.com:11200
      api_key: "{{ vault_dss_prod_api_key }}"
    tests:
      prefix: TEST_
    on_failure: rollback
  register: deployed

- name: Roll back to the bundle that ran before
  dataiku_gitops.dss.dataiku_deployment:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    bundle_id: "{{ deployed.previous_bundle_id }}"
  when: deployed.previous_bundle_id is not none
"""

RETURN = r"""
deployment:
  description: The managed settings after the run.
  returned: when O(state=present)
  type: dict
  sample:
    deployment_id: churn-on-prod
    published_project_key: CHURN
    infra_id: prod
    bundle_id: v12
    deployed_project_key: CHURN
    connections: {}
    code_envs: {}
    scenarios_to_activate: {DAILY_SCORING: true}
bundle_id:
  description: Bundle the deployment names after the run.
  returned: when O(state=present)
  type: str
  sample: v12
previous_bundle_id:
  description:
    - Bundle the automation node ran for this deployment before the run (the rollback target); V(null) for a new
      or never successfully updated deployment.
  returned: when O(state=present)
  type: str
  sample: v11
updated:
  description: Whether an update ran (or would run, in check mode).
  returned: when O(state=present)
  type: bool
health:
  description: Health after the run (V(HEALTHY), V(WARNING), V(OUT_OF_SYNC), V(ERROR), V(UNHEALTHY), V(UNKNOWN)).
  returned: when O(state=present)
  type: str
  sample: HEALTHY
health_messages:
  description: Messages of the health, each with severity, title and message, as DSS returns them.
  returned: when O(state=present)
  type: list
  elements: dict
update_log:
  description: Log lines of the update this run started (also returned on failure).
  returned: when an update ran
  type: list
  elements: str
update_messages:
  description: Warning and error messages of the update's report (for example a Govern warning).
  returned: when an update ran
  type: list
  elements: dict
gates:
  description:
    - The preflight gates of this deployment (see O(gates)), also when the task fails on them - C(decision) (V(pass),
      V(warn) or V(block)), C(checks) (one per gate - C(gate) (V(project_standards), V(govern), V(tested_on),
      V(release_notes)), C(status) (V(pass), V(warn), V(block), or V(skip) when the gate is not required here or
      does not apply) and C(reason)) and C(lines) (one line per gate, as the diff shows them).
    - When the task has nothing to deploy (the bundle is already active and certified, or the deployment in sync),
      every gate is V(skip).
    - With O(tests) (the Project Deployer route of a promotion), once the update went through, the decision is
      recorded in the local variable C(dataiku_gitops_gates) of the project on the automation node (one write, only
      when a gate was evaluated), where
      RV(dataiku_gitops.dss.dataiku_bundle_state_info#module:projects.gates) reads it.
  returned: when O(state=present)
  type: dict
  sample:
    decision: block
    checks:
      - {gate: project_standards, status: block,
         reason: "environment (policy prevent, LOWEST or more): failing Project has a description (LOW)"}
      - {gate: govern, status: skip, reason: "the direct route deploys without a Project Deployer infrastructure"}
      - {gate: tested_on, status: pass, reason: passing test record on staging}
      - {gate: release_notes, status: skip, reason: not required here (policy ignore)}
    lines: ["project_standards: block - environment (policy prevent, LOWEST or more): failing Project has a description (LOW)"]
route:
  description: V(deployer). With O(tests), the keys below are those of M(dataiku_gitops.dss.dataiku_bundle_deploy).
  returned: when O(tests) is set
  type: str
project_key:
  description: The project on the automation node.
  returned: when O(tests) is set
  type: str
active_bundle_id:
  description: The bundle active on the automation node after the task (predicted in check mode).
  returned: when O(tests) is set
  type: str
rollback_bundle_id:
  description:
    - The last bundle with a passing test record on the automation node other than O(bundle_id), what a failure
      rolls back to; null when there is none (a first deployment). Also in check mode and on a failure.
  returned: when O(tests) is set
  type: str
tests:
  description:
    - The test runs as M(dataiku_gitops.dss.dataiku_scenario_run) reports them (C(summary), C(failed_scenarios),
      C(junit_xml), C(results)); null when no test ran (the bundle was already certified).
  returned: when O(tests) is set
  type: dict
certified:
  description: Whether O(bundle_id) is certified (in check mode, the prediction that its tests pass).
  returned: when O(tests) is set
  type: bool
rolled_back:
  description: Whether O(on_failure) updated the deployment back to RV(rollback_bundle_id) and it passed its tests.
  returned: when O(tests) is set
  type: bool
error:
  description: Null, or the message of the step that failed (before what was restored).
  returned: when O(tests) is set
  type: str
project_created:
  description: Whether the project did not exist on the automation node before the task (a first deployment).
  returned: when O(tests) is set
  type: bool
steps:
  description:
    - What the task did, in order - C(update) (the settings saved and the deployment updated, when C(changed)),
      C(tests) and C(certify) - each with C(name), C(changed) and C(duration) (seconds), as on the direct route
      (the update's own log is RV(update_log)). On a failure, the steps done before it.
  returned: when O(tests) is set
  type: list
  elements: dict
lock:
  description: Always null on this route (the Project Deployer runs one update of a deployment at a time).
  returned: when O(tests) is set
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_module import DeployModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_tests import tests_argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import on_failure_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import gates_argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer.automation import automation_argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer.deployment_run import DeploymentRun


def main():
    module = DeployModule(argument_spec=dict(
        deployment_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        published_project_key=dict(type="str", no_log=False),
        infra_id=dict(type="str"),
        bundle_id=dict(type="str"),
        deployed_project_key=dict(type="str", no_log=False),
        connections=dict(type="dict"),
        code_envs=dict(type="dict"),
        scenarios_to_activate=dict(type="dict"),
        update=dict(type="bool", default=True),
        update_timeout=dict(type="int", default=900),
        ignore_warnings=dict(type="bool", default=False),
        govern_timeout=dict(type="int", default=0),
        govern_poll_interval=dict(type="int", default=10),
        expect_published=dict(type="bool", default=False),
        automation=automation_argument_spec(),
        tests=tests_argument_spec(),
        warning_is_failure=dict(type="bool", default=False),
        on_failure=on_failure_spec(),
        gates=gates_argument_spec(),
    ), required_by={"tests": "automation"})
    module.run(DeploymentRun(module).run)


if __name__ == "__main__":
    main()
