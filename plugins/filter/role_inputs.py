# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_inputs
short_description: The inputs of a role of this collection and the options of its module tasks
version_added: 0.1.0
description:
  - "Resolves every input of the role O(role) at once: the variable C(<role>_<name>) when set, else the shared
    inventory variable of the promotion contract (C(dss_<name>); C(dss_run_id) for C(lock_owner),
    C(dss_bundle_exported_in_run) for C(expect_export), C(dss_project_file) for C(file)), else the role's default.
    A missing required input fails with one message naming what the role needs."
  - "Adds what the role's module tasks take - C(connection) (C(url), C(api_key), C(validate_certs), and C(ca_path)
    when set, for C(module_defaults)), C(report) (C(<project_key>-<bundle_id>)), C(on_failure); for
    V(bundle_deploy), C(module) (the options of M(dataiku_gitops.dss.dataiku_bundle_deploy)); for
    V(deployer_deploy), C(deployer_connection), C(publish) (the options of
    M(dataiku_gitops.dss.dataiku_bundle_publish)) and C(deployment) (those of
    M(dataiku_gitops.dss.dataiku_deployment) but C(expect_published))."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, role
options:
  _input:
    description: The variables of the host (C(vars)).
    type: dict
    required: true
  role:
    description: The role.
    type: str
    required: true
    choices: [bundle_deploy, deployer_deploy, project_as_code]
"""

EXAMPLES = r"""
- name: Deploy with the role's inputs
  vars:
    bundle_deploy: "{{ vars | dataiku_gitops.dss.role_inputs('bundle_deploy') }}"
  module_defaults:
    dataiku_gitops.dss.dataiku_bundle_deploy: "{{ bundle_deploy.module }}"
  dataiku_gitops.dss.dataiku_bundle_deploy: {}
"""

RETURN = r"""
_value:
  description: The inputs by short name (C(url), C(project_key), C(tests), ...) and the options described above.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.role_inputs import RoleInputError, resolve


def role_inputs(variables, role):
    try:
        return resolve(variables, role)
    except RoleInputError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"role_inputs": role_inputs}
