# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: commit_check_settled
short_description: Whether a bulk read already settled a project's design commit check
version_added: 0.1.0
description:
  - "M(dataiku_gitops.dss.dataiku_bundle_state_info) with C(commit_checks) settles, on a design node, the commit
    check of the projects where M(dataiku_gitops.dss.dataiku_project_commit) would end unchanged without failing.
    This filter says whether the check of O(project_key) with exactly O(options) was settled, so the module need not
    start for it."
  - False when the project is missing from the read, was read with other options, or needs the module (pull, push,
    mismatch, error).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, project_key, options
options:
  _input:
    description: C(projects) of the bulk read (may be empty).
    type: dict
    required: true
  project_key:
    description: The project.
    type: str
    required: true
  options:
    description: The options the module would be given (as in C(commit_checks)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Verify the commit where the bulk read did not settle it
  dataiku_gitops.dss.dataiku_project_commit:
    project_key: "{{ dss_project_key }}"
  when: not (node_read.projects | dataiku_gitops.dss.commit_check_settled(dss_project_key, check_options))
"""

RETURN = r"""
_value:
  description: True when the module need not run for the project.
  type: bool
"""


def commit_check_settled(projects, project_key, options):
    state = (projects or {}).get(project_key) or {}
    check = state.get("commit_check") if isinstance(state, dict) else None
    return bool(isinstance(check, dict) and check.get("settled") is True and check.get("options") == options)


class FilterModule:
    def filters(self):
        return {"commit_check_settled": commit_check_settled}
