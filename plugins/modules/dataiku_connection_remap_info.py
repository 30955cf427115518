#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_connection_remap_info
short_description: Read the bundle activation remapping of a project (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: One module reads a project; O(dataiku_gitops.dss.dataiku_project_info#module:include) chooses what.
  alternative: Use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[remapping]).
description:
  - Deprecated, removed in 2.0.0 - use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[remapping]), which
    returns these keys under its key C(remapping). This module keeps its options and results until then.
  - Reads C(bundleContainerSettings.remapping.connections|codeEnvs) and C(codeEnvsBehavior) of a project on a DSS
    B(automation) node.
  - With O(bundle_id), also returns how every connection and code env that imported bundle requires resolves with
    the current mapping (mapped or same name, target present, same type), the same table
    M(dataiku_gitops.dss.dataiku_connection_remap) checks before writing. An unresolved entry does not fail this
    module; RV(ok) is V(false) and each row says why.
  - Never writes anything.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description:
      - Key of the project on the automation node.
    type: str
    required: true
  bundle_id:
    description:
      - An imported bundle of the project to resolve against the current mapping.
      - Fails, listing the imported bundle ids, when the bundle is not imported in the project.
    type: str
seealso:
  - module: dataiku_gitops.dss.dataiku_connection_remap
"""

EXAMPLES = r"""
- name: Can bundle v1.4.0 be activated with the current mapping?
  dataiku_gitops.dss.dataiku_connection_remap_info:
    url: https://dss-prod.example.com:11200
    api_key: "{{ dss_prod_api_key }}"
    project_key: CHURN
    bundle_id: v1.4.0
  register: remap

- name: Stop before activation when it cannot
  ansible.builtin.assert:
    that: remap.ok
    fail_msg: "{{ remap.resolution | rejectattr('ok') | map(attribute='problem') | list }}"
"""

RETURN = r"""
connections:
  description: The connection mapping, C(source -> target).
  returned: success
  type: dict
  sample: {"pg_dev": "pg_prod"}
code_envs:
  description: The code env mapping, C(source -> target).
  returned: success
  type: dict
  sample: {}
code_envs_behavior:
  description: C(bundleContainerSettings.codeEnvsBehavior) (DSS key names), C({}) when not set.
  returned: success
  type: dict
  sample: {"importTimeMode": "INSTALL_IF_MISS", "envImportSpecificationMode": "SPECIFIED"}
remapping:
  description: C(bundleContainerSettings.remapping) as stored (lists of C({source, target}) and any other key).
  returned: success
  type: dict
  sample: {"connections": [{"source": "pg_dev", "target": "pg_prod"}]}
bundle_id:
  description: O(bundle_id), when given.
  returned: when O(bundle_id) is set
  type: str
resolution:
  description:
    - One row per connection the bundle requires, plus one per other mapping entry; see
      M(dataiku_gitops.dss.dataiku_connection_remap) for the row keys (C(source), C(target), C(type),
      C(target_type), C(resolved_by), C(required), C(ok), C(problem)).
  returned: when O(bundle_id) is set
  type: list
  elements: dict
code_env_resolution:
  description: The same for code envs (C(language) instead of the types).
  returned: when O(bundle_id) is set
  type: list
  elements: dict
ok:
  description: Whether every row of RV(resolution) and RV(code_env_resolution) is ok.
  returned: when O(bundle_id) is set
  type: bool
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project_reads import read_remapping


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    p = module.params
    errors = [project_key_error(p["project_key"])]
    if p["bundle_id"] is not None:
        errors.append(bundle_id_error(p["bundle_id"]))
    errors = [e for e in errors if e]
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()
    module.require_node_type("AUTOMATION", "Reading the bundle activation remapping (dataiku_connection_remap_info)")
    module.exit_json(changed=False, **read_remapping(module, p["project_key"], p["bundle_id"]))


def main():
    module = DssModule(argument_spec=dict(project_key=dict(type="str", required=True, no_log=False), bundle_id=dict(type="str")),
                       supports_check_mode=True)
    module.run(run_task, module)


if __name__ == "__main__":
    main()
