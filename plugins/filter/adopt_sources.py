# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_sources
short_description: The nodes and projects adoption reads
version_added: 0.1.0
description:
  - With O(nodes) (C(dss_adopt_nodes)), those nodes; a node without C(api_key) takes it from the environment
    variable C(DSS_ENV_API_KEY), else C(DATAIKU_API_KEY), on the controller. Every project of the design node is
    adopted.
  - Without it, the environments of the inventory - the first host of each C(dss_env) gives the node (C(dss_url),
    C(dss_api_key), C(dss_validate_certs), C(dss_ca_path)) and the hosts' C(dss_project_key) values are the projects.
  - The result holds API keys - use it in play C(vars), never in a fact.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, hosts, nodes
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The inventory hosts to look at (C(groups['all'])).
    type: list
    elements: str
    required: true
  nodes:
    description: Per environment name, C(url) and optionally C(api_key), C(validate_certs), C(ca_path).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Adopt
  hosts: localhost
  vars:
    adopt_sources: "{{ hostvars | dataiku_gitops.dss.adopt_sources(groups['all'], dss_adopt_nodes | default({})) }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: C(nodes) (per environment C(url), C(api_key), C(validate_certs), C(ca_path)) and C(projects) (the
    keys to adopt, null for every project of the design node).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_sources import adoption_sources
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


def adopt_sources(hostvars, hosts, nodes=None):
    try:
        return adoption_sources(hostvars, hosts, nodes)
    except DssError as exc:
        raise AnsibleFilterError(exc.msg) from None


class FilterModule:
    def filters(self):
        return {"adopt_sources": adopt_sources}
