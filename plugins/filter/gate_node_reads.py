# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gate_node_reads
short_description: The nodes of a gate environment with several nodes to read, when it did not run in this run
version_added: 0.1.0
description:
  - For the deploy play of an automation environment whose gate environment (C(dss_gate_env)) has several nodes
    (C(dss_gate_hosts), C(dss_gate_nodes) from the inventory plugin P(dataiku_gitops.dss.fleet#inventory)) and did
    not run in this run - one item per node of the gate environment with the project keys to read there, so that
    P(dataiku_gitops.dss.rollout_hold#filter) can require a passing test record on every node.
  - Empty when every gate environment ran in this run, or has a single node.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, hosts
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts of the play (C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Read every node of the gate environment
  dataiku_gitops.dss.dataiku_bundle_state_info:
    url: "{{ hostvars[item.via].dss_gate_nodes[item.gate].url }}"
    api_key: "{{ hostvars[item.via].dss_gate_nodes[item.gate].api_key }}"
    project_keys: "{{ item.project_keys }}"
  loop: "{{ hostvars | dataiku_gitops.dss.gate_node_reads(ansible_play_hosts) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: C({node, via, gate, gate_hosts, project_keys}) per node - C(via) is a host whose C(dss_gate_nodes)
    has the node under the key C(gate) (credentials stay references), C(gate_hosts) the gate hosts on that node.
  type: list
  elements: dict
"""


def _vars(hostvars, host):
    return hostvars[host] if host in hostvars else {}


def gate_node_reads(hostvars, hosts):
    """[{node, via, gate_hosts, project_keys}]: one item per node of a gate environment with several nodes that did
    not run in this run; ``via`` is a host whose ``dss_gate_nodes`` has the node's connection (by reference)."""
    items = {}
    for host in hosts or []:
        host_vars = _vars(hostvars, host)
        for gate_host in host_vars.get("dss_gate_hosts") or []:
            if gate_host in hostvars and _vars(hostvars, gate_host).get("promote_node") is not None:
                continue  # the gate environment ran: its read and results are this run's
            node = gate_host[:-len(host_vars["dss_project_key"]) - 1]
            item = items.setdefault(node, {"node": node, "via": host, "gate": gate_host, "gate_hosts": [],
                                           "project_keys": []})
            item["gate_hosts"].append(gate_host)
            item["project_keys"].append(host_vars["dss_project_key"])
    return list(items.values())


class FilterModule:
    def filters(self):
        return {"gate_node_reads": gate_node_reads}
