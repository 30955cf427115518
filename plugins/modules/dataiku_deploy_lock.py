#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_deploy_lock
short_description: Take, release or break the deployment lock of a project on a Dataiku DSS automation node
version_added: 0.1.0
description:
  - The deployment lock that M(dataiku_gitops.dss.dataiku_bundle_deploy) takes before its first write, made visible -
    a lease in the project-local variable C(dataiku_gitops_lock) (C({owner, expires})) of the project on the
    automation node.
  - O(state=present) B(takes) the lock for O(lock_owner) as a lease of O(lock_timeout) seconds (nothing is written
    when O(lock_owner) already holds it), for example to hold a project during maintenance. This module does not
    renew the lease - take it again before it lapses, or let it lapse. Another run's live lock fails the task, unless
    O(break_lock=true).
  - O(state=absent) B(releases) the lock of O(lock_owner), and leaves another run's lock alone (reported in
    RV(lock)); with O(break_lock=true) it B(breaks) any lock, whoever holds it - only for a run known to be dead.
  - Releasing also removes a first deployment's creation claim from the project description.
  - Check mode predicts C(changed) and the diff exactly.
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
  lock_owner:
    description:
      - Id of the run that takes or releases the lock (at most 100 characters), as given to
        M(dataiku_gitops.dss.dataiku_bundle_deploy).
    type: str
    required: true
  state:
    description: V(present) takes the lock, V(absent) releases it (or breaks it, with O(break_lock)).
    type: str
    choices: [present, absent]
    default: present
  lock_timeout:
    description: Length in seconds of the lease that O(state=present) takes (at least 3).
    type: int
    default: 300
  break_lock:
    description:
      - With O(state=present), take the lock over from another run that holds it; with O(state=absent), remove the
        lock whoever holds it. Use it only for a run known to be dead (killed runner, cancelled job) - a dead run's
        lease also lapses by itself within its length.
    type: bool
    default: false
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_deploy
  - module: dataiku_gitops.dss.dataiku_bundle_state_info
"""

EXAMPLES = r"""
- name: Release the lock a cancelled AWX job left on CHURN
  dataiku_gitops.dss.dataiku_deploy_lock:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN
    lock_owner: "{{ awx_job_id }}"
    state: absent

- name: Break the lock of a run known to be dead
  dataiku_gitops.dss.dataiku_deploy_lock:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN
    lock_owner: operator
    state: absent
    break_lock: true
"""

RETURN = r"""
project_key:
  description: The project.
  returned: always
  type: str
  sample: CHURN
lock:
  description:
    - The lock in force after the task (C(owner), C(expires) in epoch seconds), null when none (predicted in check
      mode).
  returned: always
  type: dict
  sample: {owner: awx-1234, expires: 1767225600}
previous_lock:
  description: The lock in force before the task, null when none.
  returned: always
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_module import DeployModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock_task import LockTask, argument_spec


def main():
    module = DeployModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(LockTask(module).run)


if __name__ == "__main__":
    main()
