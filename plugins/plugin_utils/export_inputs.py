# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the role bundle_export derives from its inputs and from the facts of its earlier tasks: the commit check
options of each project, the bundle id and the release notes, the options of the export, the design plan's node."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_results import (
    commit_check_results)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_of_commit

MISSING = ("bundle_export needs dss_url, dss_api_key and dss_projects (a list of {key: PROJECT_KEY}), or the "
           "bundle_export_url, bundle_export_api_key and bundle_export_projects that override them.")


def projects(variables):
    """The host's project (dss_project_key, one host per project), else the list dss_projects."""
    given = variables.get("bundle_export_projects")
    if given is None:
        key = variables.get("dss_project_key")
        given = [{"key": key}] if key is not None else (variables.get("dss_projects") or [])
    if not isinstance(given, list) or not given \
            or not all(isinstance(p, Mapping) and isinstance(p.get("key"), str) for p in given):
        raise ValueError(MISSING)
    return given


def _head(git):
    """(sha, lines) of the checkout's HEAD as head.yml read it ('' and [] without one)."""
    lines = git.get("stdout_lines") or [] if git.get("rc", 1) == 0 else []
    return (lines[0] if lines else ""), lines


def derive(inputs, variables):
    """Adds checks, verified_ids, bundle_id (decided), export and design_node to the role's ``inputs``."""
    git = variables.get("bundle_export_git") or {}
    head, head_lines = _head(git)
    check = None
    if inputs["commit_check"] != "off":
        checkout = ((git.get("stdout_lines") or [""])[0]) or None
        check = dict(commit=inputs["commit"] or None, branch=inputs["commit_branch"] or None, checkout_commit=checkout,
                     on_mismatch={"verify": "fail"}.get(inputs["commit_check"], inputs["commit_check"]),
                     required=boolean(inputs["commit_required"], strict=False))
    keys = variables.get("bundle_export_check_keys")
    keys = keys if keys is not None else [p["key"] for p in inputs["projects"]]
    inputs["checks"] = dict((key, check) for key in keys)
    node_read = variables.get("bundle_export_node_read") or {}
    checks_run = (variables.get("bundle_export_commit_checks") or {}).get("results") or []
    verified = [r.get("bundle_id") for r in commit_check_results(checks_run, node_read.get("projects") or {})
                if r.get("verified")]
    inputs["verified_ids"] = list(dict.fromkeys(verified))
    inputs["decided_bundle_id"] = inputs["bundle_id"] or (inputs["verified_ids"] or [""])[0] \
        or (bundle_id_of_commit(head) if head else "")
    notes = inputs["release_notes"] or (
        "" if variables.get("bundle_export_commit_bundle_id")
        else " ".join(head_lines) if head_lines else "Bundle %s" % inputs["bundle_id"])
    export = dict(bundle_id=inputs["bundle_id"], state="exported", node_type="design")
    if notes:
        export["release_notes"] = notes
    if inputs["bundle_download_dir"]:
        export["dest"] = inputs["bundle_download_dir"]
    if int(inputs["keep_last"] or 0) > 0:
        export["keep_last"] = inputs["keep_last"]
    inputs["export"] = export
    inputs["design_node"] = dict(type="design", projects=node_read.get("projects"), bundle_id=inputs["bundle_id"],
                                 checks=variables.get("bundle_export_checks"), head=head,
                                 project_keys=variables.get("bundle_export_project_hosts") or {})
    return inputs
