# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter gate_node_reads of plugins/filter/gitops.py (documented in plugins/filter/gate_node_reads.yml)."""

from __future__ import annotations


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
