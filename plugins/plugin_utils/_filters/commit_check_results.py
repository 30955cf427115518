# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter commit_check_results of plugins/filter/gitops.py (documented in
plugins/filter/commit_check_results.yml)."""

from __future__ import annotations


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
