#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_info
short_description: Read Dataiku DSS projects and the bundle active on each
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Returns the summary of one project, or of every project the API key can see, with one request
    (C(GET /projects/)).
  - On automation nodes each summary carries the active bundle (C(activeBundleState)) and a convenience
    RV(projects[].active_bundle_id), the value to record before an activation so that it can be rolled back.
  - A missing project is not an error; RV(projects) is then empty and RV(exists) is V(false).
  - Never changes anything on DSS (C(changed) is always V(false)).
  - To create, update or delete projects, use M(dataiku_gitops.dss.dataiku_project).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description:
      - Key of the project to read. When not set, all projects are returned.
      - Checked before any request (an upper-case letter followed by upper-case letters, digits or underscores).
    type: str
seealso:
  - module: dataiku_gitops.dss.dataiku_project
"""

EXAMPLES = r"""
- name: Record the bundle active in production before activating a new one
  dataiku_gitops.dss.dataiku_project_info:
    url: https://dss-automation.example.com:11200
    api_key: "{{ vault_dss_prod_api_key }}"
    project_key: CHURN_MODEL
  register: before_deploy

- name: Show it (null on the first deployment)
  ansible.builtin.debug:
    msg: "previous bundle: {{ before_deploy.projects[0].active_bundle_id if before_deploy.exists else 'none' }}"

- name: List all projects visible to the API key (connection from DATAIKU_URL / DATAIKU_API_KEY)
  dataiku_gitops.dss.dataiku_project_info:
  register: all_projects
"""

RETURN = r"""
projects:
  description:
    - Project summaries as DSS returns them in C(GET /projects/) (camelCase keys), each with
      RV(projects[].active_bundle_id) added.
    - One item or none when O(project_key) is set; every visible project, in DSS order, otherwise.
  returned: always
  type: list
  elements: dict
  sample:
    - projectKey: CHURN_MODEL
      name: Churn model
      ownerLogin: alice
      shortDesc: Weekly churn scoring
      description: ""
      projectStatus: Sandbox
      tags: [ml]
      activeBundleState:
        bundleId: v1.4.0
      active_bundle_id: v1.4.0
  contains:
    projectKey:
      description: Key of the project.
      type: str
      returned: always
    name:
      description: Display name.
      type: str
      returned: always
    ownerLogin:
      description: Login of the owner.
      type: str
      returned: when DSS returns it
    tags:
      description: Tags, in the order DSS keeps them.
      type: list
      elements: str
      returned: when DSS returns it
    activeBundleState:
      description: State of the active bundle, as DSS returns it (automation nodes, after a first activation).
      type: dict
      returned: when a bundle is active
    active_bundle_id:
      description:
        - Id of the active bundle (C(activeBundleState.bundleId)); V(null) on design nodes and before the first
          activation.
      type: str
      returned: always
exists:
  description: Whether the project named by O(project_key) exists.
  returned: when O(project_key) is set
  type: bool
  sample: true
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import with_active_bundle


def main():
    module = DssModule(argument_spec=dict(project_key=dict(type="str", no_log=False)))
    key = module.params["project_key"]
    if key is not None and project_key_error(key):
        module.fail_json(msg=project_key_error(key))
    module.check_node_type_option()
    with module.dss_errors("list projects"):
        summaries = module.client.list_projects()
    projects = [with_active_bundle(s) for s in summaries if key is None or s.get("projectKey") == key]
    result = dict(changed=False, projects=projects)
    if key is not None:
        result["exists"] = bool(projects)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
