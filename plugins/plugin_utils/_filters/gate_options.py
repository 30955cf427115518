# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter gate_options of plugins/filter/gitops.py (documented in plugins/filter/gate_options.yml)."""

from __future__ import annotations

RESULT_KEYS = ("bundle_id", "active_bundle_id", "certified", "error")


def _var(hostvars, host, name):
    return hostvars[host].get(name) if host in hostvars else None


def gate_options(hostvars, host, evidence=None):
    """``gates`` for ``host``: the declared gates plus ``tested_on`` (see the docs)."""
    gates = dict(_var(hostvars, host, "dss_gates") or {})
    gate_env = _var(hostvars, host, "dss_gate_env")
    if not gate_env:
        return gates
    node = _var(hostvars, host, "dss_gate_node") or {}
    tested_on = {"env": gate_env, "url": node.get("url"), "api_key": node.get("api_key"),
                 "validate_certs": node.get("validate_certs", True), "ca_path": node.get("ca_path") or None}
    key = _var(hostvars, host, "dss_project_key")
    results = [r for r in (evidence or {}).get("results") or [] if isinstance(r, dict) and r.get("project_key") == key]
    if results:
        tested_on["result"] = {k: results[-1].get(k) for k in RESULT_KEYS}
    gates["tested_on"] = tested_on
    return gates
