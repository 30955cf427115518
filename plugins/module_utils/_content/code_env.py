# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a code env definition keeps its package list (shared by dataiku_code_env and adoption)."""

from __future__ import annotations

VERSIONED = "AUTOMATION_VERSIONED"


def package_holder(raw):
    """The part of an env definition holding ``specPackageList``: the env itself on a design node, its single
    version on an automation node (``currentVersion``), None for a versioned env."""
    mode = raw.get("deploymentMode")
    if mode == VERSIONED:
        return None
    if mode == "AUTOMATION_SINGLE":
        return raw.setdefault("currentVersion", {})
    if raw.get("versions") is not None and isinstance(raw.get("noVersion"), dict):
        return raw["noVersion"]
    return raw
