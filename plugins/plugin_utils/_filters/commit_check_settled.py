# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter commit_check_settled of plugins/filter/gitops.py (documented in
plugins/filter/commit_check_settled.yml)."""

from __future__ import annotations


def commit_check_settled(projects, project_key, options):
    state = (projects or {}).get(project_key) or {}
    check = state.get("commit_check") if isinstance(state, dict) else None
    return bool(isinstance(check, dict) and check.get("settled") is True and check.get("options") == options)
