#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_node_export_info
short_description: Read what a Dataiku DSS node holds, in the formats the collection applies
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Reads projects and environment objects of one node and returns them as the options of the collection's modules,
    so that they can be written as files and applied back with no change (adoption, see C(playbooks/adopt.yml)).
  - On a design node, each project gives its description in the format of the C(dataiku_gitops.dss.project_as_code)
    role (the project with its owner, descriptions, tags, variables and permissions, its datasets, recipes and
    scenarios) and the ids of its test scenarios (those starting with O(test_prefix)).
  - On an automation node, each project gives its connection and code env remapping and its active bundle.
  - On both, the environment objects (connections and code envs) as C(dss_environment_objects) items. Secret
    connection parameters are never returned; C(secret_params) of RV(environment_objects) names them.
  - Reads only; sends a fixed number of requests per project plus one per recipe and per scenario.
  - What the formats cannot express (managed folders, recipe roles other than the main one, unknown permission
    flags) is listed in RV(not_adopted).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_keys:
    description:
      - Keys of the projects to read. Projects that are not on the node are listed in RV(missing).
      - When not set, every project of the node.
    type: list
    elements: str
  test_prefix:
    description: Scenarios whose id starts with this prefix are the project's test scenarios (C(tests) of RV(projects)).
    type: str
    default: TEST_
  environment_objects:
    description:
      - Which connections and code envs to return.
      - V(used) - the connections the projects' datasets use and the targets of their remapping, the code envs the
        recipes of design projects select and the targets of the code env remapping.
      - V(all) - every connection and code env of the node.
      - V(none) - none.
    type: str
    choices: [used, all, none]
    default: used
seealso:
  - module: dataiku_gitops.dss.dataiku_project_info
"""

EXAMPLES = r"""
- name: Read the design node for adoption
  dataiku_gitops.dss.dataiku_node_export_info:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_keys: [CHURN]
  register: dev_export

- name: The CHURN description, as the project_as_code role reads it
  ansible.builtin.copy:
    content: "{{ dev_export.projects.CHURN.description | to_nice_yaml }}"
    dest: /srv/gitops/projects/CHURN.yml
    mode: "0644"
"""

RETURN = r"""
node_type:
  description: V(design) or V(automation).
  returned: always
  type: str
  sample: design
projects:
  description:
    - Per project key. On a design node C(description) (C(project), C(datasets), C(recipes), C(scenarios), each item
      the options of the matching module) and C(tests) (the ids of the test scenarios). On an automation node
      C(remapping) (C(connections) and C(code_envs), source name to target name) and C(active_bundle_id).
  returned: always
  type: dict
  sample:
    CHURN:
      description:
        project: {key: CHURN, name: Churn prediction, owner: admin, tags: [], variables: {standard: {}, local: {}},
                  permissions: []}
        datasets: [{name: customers, type: PostgreSQL, managed: false, connection: pg_dev,
                    params: {connection: pg_dev, table: customers}, schema: []}]
        recipes: []
        scenarios: []
      tests: [TEST_SMOKE]
missing:
  description: Keys of O(project_keys) that are not on the node.
  returned: always
  type: list
  elements: str
environment_objects:
  description:
    - C(connections) and C(code_envs), each item the options of M(dataiku_gitops.dss.dataiku_connection) or
      M(dataiku_gitops.dss.dataiku_code_env).
    - C(secret_params) - per connection name, the names of the secret parameters that were left out.
  returned: always
  type: dict
  sample:
    connections: [{name: pg_prod, type: PostgreSQL, params: {host: pg-prod.example.com, port: 5432},
                   usable_by: all, allowed_groups: []}]
    code_envs: []
    secret_params: {pg_prod: [password]}
not_adopted:
  description: What the node holds that the formats do not express, as C({project, kind, id, reason}).
  returned: always
  type: list
  elements: dict
  sample: [{project: CHURN, kind: managed folder, id: churn_reports,
            reason: managed folders are not part of project_as_code}]
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._adopt.read import read_node
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule


def export(module):
    keys = module.params["project_keys"]
    errors = [e for e in (project_key_error(k, "project_keys") for k in keys or []) if e]
    if errors:
        raise DssError("; ".join(errors))
    module.check_node_type_option()
    result = read_node(module, keys, module.params["test_prefix"], module.params["environment_objects"])
    module.exit_json(changed=False, **result)


def main():
    module = DssModule(argument_spec=dict(
        project_keys=dict(type="list", elements="str", no_log=False),
        test_prefix=dict(type="str", default="TEST_"),
        environment_objects=dict(type="str", choices=["used", "all", "none"], default="used"),
    ))
    module.run(export, module)


if __name__ == "__main__":
    main()
