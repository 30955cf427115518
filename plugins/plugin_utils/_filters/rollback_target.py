# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter rollback_target of plugins/filter/gitops.py (documented in plugins/filter/rollback_target.yml)."""

from __future__ import annotations


def rollback_target(state, project_key, requested=""):
    state = state if isinstance(state, dict) else {}
    bundle_ids = list(state.get("bundle_ids") or [])
    active = state.get("active_bundle_id")
    target = requested or ""
    if not target and active in bundle_ids:
        earlier = bundle_ids[:bundle_ids.index(active)]
        target = earlier[-1] if earlier else ""
    if target and target in bundle_ids:
        return {"bundle_id": target, "error": None}
    wanted = target or "an earlier bundle (none imported before the active one %s)" % (active or "none")
    return {"bundle_id": target, "error": "%s cannot be rolled back to %s; imported bundles: %s"
            % (project_key, wanted, ", ".join(bundle_ids) or "none")}
