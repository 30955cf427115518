#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_content_info
short_description: List the datasets, recipes and scenarios of a Dataiku DSS project (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: One module reads a project; O(dataiku_gitops.dss.dataiku_project_info#module:include) chooses what.
  alternative: Use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[content]).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Deprecated, removed in 2.0.0 - use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[content]), which
    returns the lists under its key C(content). This module keeps its options and results until then.
  - Lists the datasets, recipes and scenarios of a project (three list requests), for example to find the objects a
    project description does not declare (the C(exclusive) mode of the C(dataiku_gitops.dss.project_as_code) role).
  - A project that does not exist gives C(exists=false) and empty lists, not an error.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project.
    type: str
    required: true
seealso:
  - module: dataiku_gitops.dss.dataiku_dataset
  - module: dataiku_gitops.dss.dataiku_recipe
  - module: dataiku_gitops.dss.dataiku_scenario
"""

EXAMPLES = r"""
- name: What the project holds
  dataiku_gitops.dss.dataiku_project_content_info:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_key: CHURN
  register: content
"""

RETURN = r"""
exists:
  description: Whether the project exists.
  returned: always
  type: bool
datasets:
  description: The datasets, sorted by name.
  returned: always
  type: list
  elements: dict
  sample: [{name: customers, type: PostgreSQL, managed: false}]
recipes:
  description: The recipes, sorted by name.
  returned: always
  type: list
  elements: dict
  sample: [{name: compute_scores, type: python}]
scenarios:
  description: The scenarios, sorted by id.
  returned: always
  type: list
  elements: dict
  sample: [{id: TEST_SMOKE, name: Smoke test, type: step_based, active: false}]
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project_reads import read_content


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    key = module.params["project_key"]
    error = project_key_error(key)
    if error:
        raise DssError(error)
    module.check_node_type_option()
    if module.find_project(key) is None:
        module.exit_json(changed=False, exists=False, datasets=[], recipes=[], scenarios=[])
    module.exit_json(changed=False, exists=True, **read_content(module, key))


def main():
    module = DssModule(argument_spec=dict(project_key=dict(type="str", required=True, no_log=False)))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
