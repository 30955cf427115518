# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter promotion_gate_of_host of plugins/filter/gitops.py (documented in
plugins/filter/promotion_gate_of_host.yml)."""

from __future__ import annotations

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
