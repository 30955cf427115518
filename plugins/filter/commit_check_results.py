# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: commit_check_results
short_description: The commit check result of every project, from the module where it ran, else the bulk read
version_added: 0.1.0
description:
  - "Completes the C(results) of a loop of M(dataiku_gitops.dss.dataiku_project_commit) whose items were skipped
    because the bulk read settled them (P(dataiku_gitops.dss.commit_check_settled#filter)): each skipped item is
    replaced by the project's settled C(commit_check) of the read, which holds the module's result. Skipped items
    without a settled check are dropped."
  - The project of an item is read from its loop variable (C(ansible_loop_var), an item with a C(key)).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, projects
options:
  _input:
    description: The loop's C(results).
    type: list
    elements: dict
    required: true
  projects:
    description: C(projects) of the bulk read (may be empty).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The verified commits
  ansible.builtin.set_fact:
    verified: >-
      {{ commit_checks.results | dataiku_gitops.dss.commit_check_results(node_read.projects | default({}))
         | selectattr('verified', 'defined') | selectattr('verified') | list }}
"""

RETURN = r"""
_value:
  description: One result per project that was checked, by the module or by the read.
  type: list
  elements: dict
"""


def _settled(projects, item):
    loop_item = item.get(item.get("ansible_loop_var") or "item")
    key = loop_item.get("key") if isinstance(loop_item, dict) else loop_item
    state = (projects or {}).get(key) or {}
    check = state.get("commit_check") if isinstance(state, dict) else None
    return check if isinstance(check, dict) and check.get("settled") is True else None


def commit_check_results(results, projects):
    completed = []
    for item in results or []:
        if not isinstance(item, dict):
            continue
        if not item.get("skipped"):
            completed.append(item)
        elif _settled(projects, item) is not None:
            completed.append(_settled(projects, item))
    return completed


class FilterModule:
    def filters(self):
        return {"commit_check_results": commit_check_results}
