# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rollback_target
short_description: The bundle to roll a DSS project back to, or why there is none
version_added: 0.1.0
description:
  - From a project's state on an automation node (C(exists), C(active_bundle_id), C(bundle_ids) oldest first),
    returns the bundle named by O(requested), else the one imported just before the active bundle.
  - Returns C({bundle_id, error}); C(error) is null when the target exists on the node, else one line naming the
    project and the bundles imported.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, project_key, requested
options:
  _input:
    description: The project's state (the result of M(dataiku_gitops.dss.dataiku_bundle_info) is accepted too).
    type: dict
    required: true
  project_key:
    description: The project, for the message.
    type: str
    required: true
  requested:
    description: A bundle id to roll back to; empty means the bundle imported before the active one.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Choose the bundle to roll back to
  ansible.builtin.set_fact:
    rollback: "{{ node_state.projects[dss_project_key] | dataiku_gitops.dss.rollback_target(dss_project_key) }}"
"""

RETURN = r"""
_value:
  description: C(bundle_id) (empty when none) and C(error) (null when the roll-back can proceed).
  type: dict
"""


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


class FilterModule:
    def filters(self):
        return {"rollback_target": rollback_target}
