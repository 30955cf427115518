# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: promotion_gate_of_host
short_description: The gate argument of the promotion_gate filter for one host of a deploy play
version_added: 0.1.0
description:
  - "For a host of a deploy play of playbooks/promote.yml, the O(dataiku_gitops.dss.promotion_gate#filter:gate)
    argument of P(dataiku_gitops.dss.promotion_gate#filter) from the host's variables - C(host)
    (C(inventory_hostname)), C(design_host) (C(dss_design_host) when it is a host of the inventory, else empty),
    C(project_key) (C(dss_project_key)), C(bundle_id) (C(promote_bundle_id)), C(env) (C(dss_gate_env), else
    empty), C(all_or_nothing) (C(dss_all_or_nothing)) - and from O(evidence) (C(read), C(expected))."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, evidence
options:
  _input:
    description: The variables of the host (C(vars)).
    type: dict
    required: true
  evidence:
    description: The result of P(dataiku_gitops.dss.promotion_evidence#filter).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the gate
  ansible.builtin.assert:
    that: refusal is none
    fail_msg: "{{ refusal or '' }}"
  vars:
    refusal: "{{ promote_evidence.results | dataiku_gitops.dss.promotion_gate(vars | dataiku_gitops.dss.promotion_gate_of_host(promote_evidence)) }}"
"""

RETURN = r"""
_value:
  description: C({host, design_host, project_key, bundle_id, env, read, expected, all_or_nothing}).
  type: dict
"""

from ansible.module_utils.parsing.convert_bool import boolean


def promotion_gate_of_host(variables, evidence):
    evidence = evidence or {}
    design_host = variables.get("dss_design_host") or ""
    known = (variables.get("groups") or {}).get("all") or []
    all_or_nothing = boolean(variables.get("dss_all_or_nothing") or False, strict=False)
    return dict(host=variables.get("inventory_hostname"),
                design_host=design_host if design_host in known else "",
                project_key=variables.get("dss_project_key"),
                bundle_id=variables.get("promote_bundle_id") or "",
                env=variables.get("dss_gate_env") or "",
                read=evidence.get("read") or {},
                expected=evidence.get("expected") or [],
                all_or_nothing=all_or_nothing)


class FilterModule:
    def filters(self):
        return {"promotion_gate_of_host": promotion_gate_of_host}
