# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter bundle_converged of plugins/filter/gitops.py (documented in plugins/filter/bundle_converged.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def bundle_converged(state, bundle_id, node_type="automation"):
    if node_type not in ("design", "automation"):
        raise AnsibleFilterError("bundle_converged: node_type must be design or automation, got %r" % (node_type,))
    if not bundle_id or not isinstance(state, dict) or not state.get("exists"):
        return False
    if node_type == "design":
        return bundle_id in (state.get("bundle_ids") or [])
    return state.get("active_bundle_id") == bundle_id and state.get("certified") is True
