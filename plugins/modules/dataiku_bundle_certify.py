#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_certify
short_description: Certify a deployed Dataiku DSS bundle by its test record, then apply retention and release the lock (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: >-
    The certification is a step of the two deploy modules (option C(tests) of
    M(dataiku_gitops.dss.dataiku_bundle_deploy) and M(dataiku_gitops.dss.dataiku_deployment)), and the deployment lock
    has its own module.
  alternative: >-
    M(dataiku_gitops.dss.dataiku_bundle_deploy) with O(dataiku_gitops.dss.dataiku_bundle_deploy#module:tests) to
    certify, M(dataiku_gitops.dss.dataiku_deploy_lock) with C(state=absent) instead of O(state=released).
description:
  - The last step of a deployment with M(dataiku_gitops.dss.dataiku_bundle_deploy) on an automation node.
  - O(state=certified) fails unless bundle O(bundle_id) is the active bundle of the project B(and) has a passing
    test record on the node (DSS's testing status for that bundle - the latest run of each test scenario made while
    it was active - has at least one run and only passing outcomes) B(and) the deployment lock is not held by
    another run. Only then does it delete the oldest bundles (O(keep_last)) and release this run's lock.
  - O(state=released) only releases this run's lock, without any check (the failure path of a playbook, after a
    roll-back).
  - Certification is read from DSS, never from a task having reported C(changed), so a re-run after an interrupted
    deployment re-tests the active bundle until it has a passing record.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project on the automation node.
    type: str
    required: true
  bundle_id:
    description: The bundle to certify (the one just deployed and tested).
    type: str
    required: true
  lock_owner:
    description: Id of this run, as given to M(dataiku_gitops.dss.dataiku_bundle_deploy).
    type: str
    required: true
  state:
    description:
      - V(certified) checks the record, applies retention and releases the lock.
      - V(released) only releases the lock when this run holds it.
    type: str
    choices: [certified, released]
    default: certified
  keep_last:
    description:
      - After a successful certification, delete the oldest imported bundles so that O(keep_last) remain, the
        certified bundle among them. Nothing is deleted when the certification fails, so the bundle to roll back to
        is always still there.
    type: int
  previous_bundle_id:
    description:
      - The bundle that was active before this deployment. With O(keep_last) of 2 or more, retention never deletes
        it, so the next deployment still has it to roll back to. With O(keep_last=1) only the certified bundle stays.
    type: str
  warning_is_failure:
    description: A test run that ended with WARNING does not certify the bundle.
    type: bool
    default: false
notes:
  - In check mode the tests of the same run have not run (and the bundle may not be active yet), so the task
    predicts a successful certification and the retention that would follow it; RV(certified), RV(tests) and
    RV(lock_released) then describe the node as it is now.
  - Releasing the lock is not reported as a change; RV(lock_released) says whether it happened.
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_deploy
  - module: dataiku_gitops.dss.dataiku_scenario_run
"""

EXAMPLES = r"""
- name: Certify the tested bundle, keep the last 5, release the lock
  dataiku_gitops.dss.dataiku_bundle_certify:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN
    bundle_id: "{{ deployed.bundle_id }}"
    lock_owner: "{{ run_id }}"
    keep_last: 5

- name: On the failure path, after the roll-back, release the lock
  dataiku_gitops.dss.dataiku_bundle_certify:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN
    bundle_id: "{{ deployed.bundle_id }}"
    lock_owner: "{{ run_id }}"
    state: released
"""

RETURN = r"""
project_key:
  description: The project key.
  returned: always
  type: str
bundle_id:
  description: The bundle O(bundle_id).
  returned: always
  type: str
certified:
  description: Whether the bundle is active and has a passing test record (as read now, also in check mode).
  returned: always
  type: bool
tests:
  description: The test record of the bundle, C(nb_ran) (test scenarios run while it was active) and C(outcomes).
  returned: when O(state=certified)
  type: dict
  sample: {nb_ran: 1, outcomes: {SUCCESS: 1}}
active_bundle_id:
  description: The active bundle of the project.
  returned: always
  type: str
bundle_ids:
  description: Imported bundles after the task, oldest first (predicted in check mode).
  returned: always
  type: list
  elements: str
deleted_bundle_ids:
  description: Bundles deleted (would be, in check mode) by O(keep_last).
  returned: always
  type: list
  elements: str
lock_released:
  description: Whether this run's lock was (would be) released.
  returned: always
  type: bool
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.certify import CertifyRun, argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_module import DeployModule


def main():
    module = DeployModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(CertifyRun(module).run)


if __name__ == "__main__":
    main()
