# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter promotion_evidence of plugins/filter/gitops.py (documented in plugins/filter/promotion_evidence.yml)."""

from __future__ import annotations


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
