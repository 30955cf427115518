# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_connection
short_description: The connection options of the collection's modules for one DSS node
version_added: 0.1.0
description:
  - "The options C(url), C(api_key), C(validate_certs) (V(true) unless set) and C(ca_path) (when set) of every module
    of the collection, for C(module_defaults) (group C(dataiku_gitops.dss.dss)), from a node (C({url, api_key,
    validate_certs, ca_path}), as C(dss_design_node) or C(dss_gate_node)) or from a host's variables (C(vars), with
    O(prefix) V(dss_): C(dss_url), C(dss_api_key), ...)."
  - Fails naming the variables that are missing when there is no URL or API key.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, prefix
options:
  _input:
    description: The node, or the variables of a host.
    type: dict
    required: true
  prefix:
    description: What comes before C(url), C(api_key), C(validate_certs) and C(ca_path) in O(_input).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Every module of the block talks to the node of this host
  module_defaults:
    group/dataiku_gitops.dss.dss: "{{ vars | dataiku_gitops.dss.node_connection('dss_') }}"
  block:
    - name: Read the state of the project
      dataiku_gitops.dss.dataiku_bundle_state_info:
        project_keys: [CHURN]
"""

RETURN = r"""
_value:
  description: C(url), C(api_key), C(validate_certs) and C(ca_path) when set.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.role_inputs import RoleInputError, connection


def node_connection(node, prefix=""):
    try:
        return connection(node, prefix)
    except RoleInputError as exc:
        raise AnsibleFilterError("node_connection: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"node_connection": node_connection}
