# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: promotion_evidence
short_description: What this run knows of the gate environment's test records, for the promotion gate
version_added: 0.1.0
description:
  - For a host of the prod deploy play of playbooks/promote.yml, gathers the evidence
    P(dataiku_gitops.dss.promotion_gate#filter) decides on - C(results), this run's C(bundle_deploy_result) facts of
    the gate environment's hosts (the group C(promote_<gate env>)), or their C(deployer_deploy_result) on the
    Project Deployer route; C(read), the gate node's bulk read (the host's
    registered C(promote_gate_node) when the gate environment did not run, else the gate host's C(promote_node));
    C(expected), the project keys of the gate environment in this run.
  - Empty evidence for a host without a gate environment (C(dss_gate_env) unset).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, groups, host
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  groups:
    description: C(groups).
    type: dict
    required: true
  host:
    description: The host to promote (C(inventory_hostname)); its variables name the gate (C(dss_gate_env), C(dss_gate_host)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Gather the gate's evidence once for the play
  ansible.builtin.set_fact:
    promote_evidence: "{{ hostvars | dataiku_gitops.dss.promotion_evidence(groups, inventory_hostname) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: C({results, read, expected}).
  type: dict
"""


def _var(hostvars, host, name, default=None):
    if host not in hostvars:
        return default
    value = hostvars[host].get(name)
    return default if value is None else value


def promotion_evidence(hostvars, groups, host):
    groups = groups or {}
    evidence = {"results": [], "read": {}, "expected": []}
    gate_env = _var(hostvars, host, "dss_gate_env")
    if not gate_env:
        return evidence
    gate_host = _var(hostvars, host, "dss_gate_host")
    in_run = gate_host in (groups.get("all") or [])
    for gate_host_of_run in groups.get("promote_%s" % gate_env) or []:
        # Either route's record: both have the same keys (filter deploy_result).
        result = _var(hostvars, gate_host_of_run, "bundle_deploy_result") or \
            _var(hostvars, gate_host_of_run, "deployer_deploy_result")
        if isinstance(result, dict):
            evidence["results"].append(result)
    read = _var(hostvars, host, "promote_gate_node") or {}
    if isinstance(read, dict) and isinstance(read.get("projects"), dict):
        evidence["read"] = read["projects"]
    elif in_run:
        evidence["read"] = (_var(hostvars, gate_host, "promote_node") or {}).get("projects") or {}
    if in_run:
        evidence["expected"] = [_var(hostvars, h, "dss_project_key") for h in groups.get(gate_env) or []]
    return evidence


class FilterModule:
    def filters(self):
        return {"promotion_evidence": promotion_evidence}
