# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: bundle_converged
short_description: Whether a DSS project already holds a bundle, from a bulk state read
version_added: 0.1.0
description:
  - "Decides from one project's entry of the C(projects) result of M(dataiku_gitops.dss.dataiku_bundle_state_info)
    whether the project needs no work for bundle O(bundle_id), so that converged hosts skip every module."
  - On an automation node the project is converged when it exists, O(bundle_id) is its active bundle and that bundle
    has a passing test record (C(certified)). An active bundle without a passing record is not converged, the run
    tests it again (after an interrupted run, for example).
  - On a design node the project is converged when O(bundle_id) is already exported.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, bundle_id, node_type
options:
  _input:
    description: The project's state (C(exists), C(active_bundle_id), C(bundle_ids), C(certified)); null or empty
      for a project the read did not return.
    type: dict
    required: true
  bundle_id:
    description: The bundle the project must hold.
    type: str
    required: true
  node_type:
    description: Type of the node the state was read on.
    type: str
    choices: [design, automation]
    default: automation
"""

EXAMPLES = r"""
- name: Deploy only where needed
  dataiku_gitops.dss.dataiku_bundle_deploy:
    project_key: "{{ dss_project_key }}"
    bundle_id: "{{ dss_bundle_id }}"
  when: not (node_state.projects[dss_project_key] | dataiku_gitops.dss.bundle_converged(dss_bundle_id))
"""

RETURN = r"""
_value:
  description: True when the project needs no work.
  type: bool
"""

from ansible.errors import AnsibleFilterError


def bundle_converged(state, bundle_id, node_type="automation"):
    if node_type not in ("design", "automation"):
        raise AnsibleFilterError("bundle_converged: node_type must be design or automation, got %r" % (node_type,))
    if not bundle_id or not isinstance(state, dict) or not state.get("exists"):
        return False
    if node_type == "design":
        return bundle_id in (state.get("bundle_ids") or [])
    return state.get("active_bundle_id") == bundle_id and state.get("certified") is True


class FilterModule:
    def filters(self):
        return {"bundle_converged": bundle_converged}
