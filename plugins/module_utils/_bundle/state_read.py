# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bulk read of the deployment state of many projects on one node, a fixed number of requests per project, run
concurrently. Worker threads only send requests and return data or the exception; the module reports failures
from the main thread."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import reuse_environment_settings
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import project_summary
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import testing_status as record
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.commit_check import settled_check
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import is_live, lock_of
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import decision_of

MAX_WORKERS = 8


def _bundles(project, automation):
    raw = project.list_imported_bundles() if automation else project.list_exported_bundles()
    return bundles.bundle_list(raw)


def _bundle_view(entry, automation, key):
    """{bundle_id, imported_on (automation) or exported_on (design), release_notes} of a bundle list entry; on a
    design node also ``standards``, the Project Standards report kept with the bundle (compact summary, no request),
    when it has one: what the plan's preflight gates decide on."""
    full = bundles.describe(entry)
    date = "imported_on" if automation else "exported_on"
    view = {"bundle_id": full["bundle_id"], date: full[date], "release_notes": full["release_notes"]}
    if not automation and standards.exported_bundle_report(entry) is not None:
        view["standards"] = standards.compact(standards.exported_bundle_summary(entry, key))
    return view


def project_state(client, key, automation, target=None, warning_is_failure=False, now=None):
    """The state of one project: summary, bundle list, the active bundle's test record (and the target's when it is
    another bundle), project variables (the lock). At most 5 requests whatever the number of projects."""
    summary = project_summary(client, key)
    if summary is None:
        return {"exists": False, "active_bundle_id": None, "bundle_ids": [], "bundles": [], "certified": False,
                "target_certified": False if target else None, "lock": None, "gates": None}
    project = client.get_project(key)
    state = summary.get("activeBundleState") if automation else None
    active = state.get("bundleId") if isinstance(state, dict) and state.get("bundleId") else None
    certified = bool(active) and record.passes(record.testing_status(client, key, active), warning_is_failure)
    target_certified = None
    if target:
        target_certified = certified if target == active else (
            automation and record.passes(record.testing_status(client, key, target), warning_is_failure))
    variables = project.get_variables() if automation else None
    lock = lock_of(variables) if automation else None
    entries = _bundles(project, automation)
    return {"exists": True, "active_bundle_id": active, "bundle_ids": bundles.ids_of(entries),
            "bundles": [_bundle_view(e, automation, key) for e in entries], "certified": certified, "target_certified": target_certified,
            "lock": lock if is_live(lock, now or time.time()) else None, "gates": decision_of(variables)}


def read_all(client, keys, automation, targets=None, warning_is_failure=False, commit_checks=None):
    """{key: state or the exception raised reading it}, reading up to MAX_WORKERS projects at a time. On a design
    node, the projects of ``commit_checks`` (key -> dataiku_project_commit options) also get ``commit_check``."""
    targets = targets or {}
    commit_checks = {} if automation else (commit_checks or {})
    now = time.time()

    def one(key):
        try:
            state = project_state(client, key, automation, targets.get(key), warning_is_failure, now)
            if key in commit_checks:
                state["commit_check"] = settled_check(client, key, commit_checks[key]) if state["exists"] else {
                    "settled": False, "options": commit_checks[key]}
            return state
        except Exception as exc:  # pylint: disable=broad-except
            return exc

    if not keys:
        return {}
    reuse_environment_settings(client._session)  # pylint: disable=protected-access
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(keys))) as pool:
        return dict(zip(keys, pool.map(one, keys)))
