#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_connection_remap_info
short_description: Read the bundle activation remapping of a project and how a bundle's connections resolve
version_added: 0.1.0
description:
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
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import as_mapping
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.state import (
    RemapState,
    remapping_of,
    resolution,
)


def main():
    module = DssModule(argument_spec=dict(project_key=dict(type="str", required=True, no_log=False), bundle_id=dict(type="str")),
                       supports_check_mode=True)
    p = module.params
    errors = [project_key_error(p["project_key"])]
    if p["bundle_id"] is not None:
        errors.append(bundle_id_error(p["bundle_id"]))
    errors = [e for e in errors if e]
    if errors:
        module.fail_json(msg=" ".join(errors))
    module.check_node_type_option()
    module.require_node_type("AUTOMATION", "Reading the bundle activation remapping (dataiku_connection_remap_info)")

    state = RemapState(module, p["project_key"])
    raw = state.settings().get_raw()
    current = remapping_of(raw)
    conn_map, env_map = as_mapping(current["connections"]), as_mapping(current["code_envs"])
    result = dict(connections=conn_map, code_envs=env_map, code_envs_behavior=current["behavior"],
                  remapping=(raw.get("bundleContainerSettings") or {}).get("remapping") or {})
    if p["bundle_id"] is not None:
        bundle = state.bundle(p["bundle_id"])
        conn_rows, env_rows = resolution(state, bundle, True, conn_map, env_map,
                                         current["behavior"].get("importTimeMode"))
        result.update(bundle_id=p["bundle_id"], resolution=conn_rows, code_env_resolution=env_rows,
                      ok=all(r["ok"] for r in conn_rows + env_rows))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
