# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gate_options
short_description: The gates option of the deploy modules for one project host of a promotion
version_added: 0.1.0
description:
  - Builds the O(dataiku_gitops.dss.dataiku_bundle_deploy#module:gates) option (the same for
    M(dataiku_gitops.dss.dataiku_deployment)) of one (environment, project) host - the gates its environment
    declares (C(dss_gates), the C(gates) of the environment in the fleet description) and, when the environment
    has a gate environment (C(dss_gate_env), C(dss_gate_node)), C(tested_on) - that environment's node, and this
    run's deployment result of the project there when the same run deployed it (then it decides, also in a plan).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, host, evidence
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The host (C(inventory_hostname)).
    type: str
    required: true
  evidence:
    description:
      - The result of P(dataiku_gitops.dss.promotion_evidence#filter) for the host - its C(results) (this run's
        deployment results on the gate environment) are used; other keys are ignored.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Deploy with the gates of this environment
  dataiku_gitops.dss.dataiku_bundle_deploy:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_key: "{{ dss_project_key }}"
    bundle_id: "{{ bundle_id }}"
    lock_owner: "{{ run_id }}"
    gates: "{{ hostvars | dataiku_gitops.dss.gate_options(inventory_hostname, promote_evidence) }}"
"""

RETURN = r"""
_value:
  description: The C(gates) option (empty when the environment declares no gate and has no gate environment).
  type: dict
"""

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


class FilterModule:
    def filters(self):
        return {"gate_options": gate_options}
