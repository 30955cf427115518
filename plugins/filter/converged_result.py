# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: converged_result
short_description: The deployment result of a project that was already converged
version_added: 0.1.0
description:
  - "Builds the C(bundle_deploy_result) of a project whose active bundle is already O(_input) with a passing test
    record (see P(dataiku_gitops.dss.bundle_converged#filter)): nothing was deployed, the bundle is certified, so the
    next environment's gate lets it through."
  - Keys as the role C(dataiku_gitops.dss.bundle_deploy) publishes them - C(project_key), C(bundle_id),
    C(previous_bundle_id), C(active_bundle_id) (all three the bundle), C(tests) (null), C(certified) (true),
    C(rolled_back) (false), C(error) (null), C(route).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, project_key, route
options:
  _input:
    description: The bundle that is active and certified.
    type: str
    required: true
  project_key:
    description: The project.
    type: str
    required: true
  route:
    description: The deployment route recorded in the result.
    type: str
    default: direct
"""

EXAMPLES = r"""
- name: Record the converged project
  ansible.builtin.set_fact:
    bundle_deploy_result: "{{ dss_bundle_id | dataiku_gitops.dss.converged_result(dss_project_key) }}"
  when: converged
"""

RETURN = r"""
_value:
  description: The result, as C(bundle_deploy_result).
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import blank


def converged_result(bundle_id, project_key, route="direct"):
    result = blank(route, project_key, bundle_id)
    result.update(previous_bundle_id=bundle_id, active_bundle_id=bundle_id, certified=True)
    return result


class FilterModule:
    def filters(self):
        return {"converged_result": converged_result}
