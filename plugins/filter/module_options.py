# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: module_options
short_description: The options of a content module from one entry of a description
version_added: 0.1.0
description:
  - "From one entry of a description (a project description's C(project), C(datasets), C(recipes), C(scenarios);
    the C(connections) and C(code_envs) of C(dss_environment_objects); the commit check options of a project for
    M(dataiku_gitops.dss.dataiku_project_git), whose empty C(commit), C(branch) and C(checkout_commit) are left
    out), the keys the module O(module) takes as
    options, so a loop passes them at once (C(module_defaults)); unset keys keep the module's defaults and other keys
    are ignored. O(fixed) is added on top (for example C(project_key))."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, module, fixed
options:
  _input:
    description: The entry.
    type: dict
    required: true
  module:
    description: The module, by its short name.
    type: str
    required: true
    choices: [dataiku_project, dataiku_dataset, dataiku_recipe, dataiku_scenario, dataiku_connection, dataiku_code_env,
              dataiku_project_git]
  fixed:
    description: Options every entry shares.
    type: dict
"""

EXAMPLES = r"""
- name: Datasets
  module_defaults:
    dataiku_gitops.dss.dataiku_dataset: "{{ item | dataiku_gitops.dss.module_options('dataiku_dataset', {'project_key': 'CHURN'}) }}"
  dataiku_gitops.dss.dataiku_dataset: {}
  loop: "{{ datasets }}"
"""

RETURN = r"""
_value:
  description: The module's options.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.module_options import ModuleOptionsError
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.module_options import module_options as _options


def module_options(entry, module, fixed=None):
    try:
        return _options(entry, module, fixed)
    except ModuleOptionsError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"module_options": module_options}
