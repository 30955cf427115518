# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads of one project that ``dataiku_project_info`` returns with ``include`` (bundles, git, content,
remapping). The deprecated info modules (dataiku_bundle_info, dataiku_project_git_info,
dataiku_project_content_info, dataiku_connection_remap_info) return the same reads, so both stay one code path.

Reads only; every failure raises DssError.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ProjectGit
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import as_mapping
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.state import (
    RemapState, remapping_of, resolution)


def bundle_node_type(module):
    """The node's type, when it holds bundles (DESIGN exports them, AUTOMATION imports them)."""
    node_type = module.node_info().get("nodeType")
    if node_type not in ("DESIGN", "AUTOMATION"):
        raise DssError("Listing project bundles needs a DESIGN or AUTOMATION node, but %s is a %s node."
                       % (module.url, node_type))
    return node_type


def read_bundles(module, key, wanted, summary):
    """The exported (design) or imported (automation) bundles of project ``key`` (its list entry ``summary``, None
    when it does not exist), only ``wanted`` when set, and the active one."""
    node_type = bundle_node_type(module)
    entries, active = [], None
    if summary is not None:
        if node_type == "DESIGN":
            entries = listing.exported_bundles(module, module.client, key)
        else:
            entries = listing.imported_bundles(module, module.client, key)
            active = listing.active_bundle_id(module, module.client, key, summary)
    if wanted is not None:
        entries = [b for b in entries if b["bundleId"] == wanted]
    described = [listing.describe(b, active) for b in entries]
    return dict(node_type=node_type, project_exists=summary is not None, active_bundle_id=active,
                bundle_ids=[b["bundle_id"] for b in described], bundles=described)


def read_git(module, key, remote_name, fetch):
    """Branch, HEAD, ahead/behind ``remote_name`` (fetched first when ``fetch``), uncommitted files, remotes."""
    git = ProjectGit(module, key)
    status = git.status()
    remote = git.remote_of(status, remote_name)
    if fetch and remote:
        git.fetch(remote_name)
        status = git.status()
    branch = status.get("currentBranch")
    tracking = git.tracking(status, remote_name, branch) if remote else {
        "ahead": int((status.get("trackingCount") or {}).get("ahead") or 0), "behind": 0,
        "remote_branch_exists": False}
    pending = git.pending_files(status)
    return dict(branch=branch, head=git.head(), ahead=tracking["ahead"], behind=tracking["behind"],
                remote_branch_exists=tracking["remote_branch_exists"], clean=not pending, uncommitted_files=pending,
                remote=remote, remotes=[{"name": r.get("name"), "url": r.get("url")} for r in status.get("remotes") or []])


def read_content(module, key):
    """The datasets (by name), recipes (by name) and scenarios (by id) of project ``key``."""
    project = module.client.get_project(key)
    with module.dss_errors("list the content of project %s" % key):
        datasets = [dict(name=d.get("name"), type=d.get("type"), managed=bool(d.get("managed")))
                    for d in project.list_datasets()]
        recipes = [dict(name=r.get("name"), type=r.get("type")) for r in project.list_recipes()]
        scenarios = [dict(id=s.get("id"), name=s.get("name"), type=s.get("type"), active=bool(s.get("active")))
                     for s in project.list_scenarios()]
    return dict(datasets=sorted(datasets, key=lambda d: d["name"]), recipes=sorted(recipes, key=lambda r: r["name"]),
                scenarios=sorted(scenarios, key=lambda s: s["id"]))


def read_remapping(module, key, bundle_id):
    """The bundle activation remapping of project ``key`` (automation node) and, with ``bundle_id``, how that
    imported bundle's connections and code envs resolve with it."""
    state = RemapState(module, key)
    raw = state.settings().get_raw()
    current = remapping_of(raw)
    conn_map, env_map = as_mapping(current["connections"]), as_mapping(current["code_envs"])
    result = dict(connections=conn_map, code_envs=env_map, code_envs_behavior=current["behavior"],
                  remapping=(raw.get("bundleContainerSettings") or {}).get("remapping") or {})
    if bundle_id is not None:
        bundle = state.bundle(bundle_id)
        conn_rows, env_rows = resolution(state, bundle, True, conn_map, env_map,
                                         current["behavior"].get("importTimeMode"))
        result.update(bundle_id=bundle_id, resolution=conn_rows, code_env_resolution=env_rows,
                      ok=all(r["ok"] for r in conn_rows + env_rows))
    return result
