# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and writing an activation remapping (connections, code envs), shared by dataiku_connection_remap and
dataiku_bundle_deploy: the preflight fails before any write when the bundle would not resolve."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import (
    as_mapping,
    failure_message,
    merged_behavior,
    merged_entries,
    same_entries,
)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.state import remapping_of, resolution


def view(state):
    """The managed part of the settings as the diff and the return values show it."""
    return dict(connections=as_mapping(state["connections"]), code_envs=as_mapping(state["code_envs"]),
                code_envs_behavior=state["behavior"])


def plan(module, state, raw_settings, params, bundle=None):
    """(before, after, connection rows, code env rows, changed, bundle checked) for the options set in ``params``
    (connections, code_envs, code_envs_behavior, exclusive, bundle_id). Fails the module, with the resolution rows,
    when an entry or (with ``bundle_id``) a connection or code env the bundle requires would not resolve on this node.

    The bundle checked is ``bundle`` when given (one read elsewhere, such as an archive about to be uploaded), else
    ``state.bundle(bundle_id)`` (the latest import without an id) when there is anything to check."""
    before = remapping_of(raw_settings or {})
    after = dict(before)
    if params["connections"] is not None:
        after["connections"] = merged_entries(before["connections"], params["connections"], params["exclusive"])
    if params["code_envs"] is not None:
        after["code_envs"] = merged_entries(before["code_envs"], params["code_envs"], params["exclusive"])
    if params["code_envs_behavior"] is not None:
        after["behavior"] = merged_behavior(before["behavior"], params["code_envs_behavior"])
    conn_map, env_map = as_mapping(after["connections"]), as_mapping(after["code_envs"])
    if bundle is None and (params["bundle_id"] or conn_map or env_map):
        bundle = state.bundle(params["bundle_id"])
    conn_rows, env_rows = resolution(state, bundle, params["bundle_id"] is not None, conn_map, env_map,
                                     after["behavior"].get("importTimeMode"))
    if not all(r["ok"] for r in conn_rows + env_rows):
        raise DssError(failure_message(params["project_key"], params["bundle_id"], conn_rows, env_rows,
                                       state.connections() if conn_rows else {},
                                       state.code_envs() if env_rows else set(), module.url),
                       resolution=conn_rows, code_env_resolution=env_rows)
    changed = not same_remapping(before, after)
    return before, after, conn_rows, env_rows, changed, bundle


def same_remapping(left, right):
    return (same_entries(left["connections"], right["connections"])
            and same_entries(left["code_envs"], right["code_envs"]) and left["behavior"] == right["behavior"])


def write(module, settings, after, params, reread):
    """Put the managed keys into the raw settings (creating the containers only when something is set) and save.
    ``reread()`` returns fresh settings: a save that failed in transit is re-read before being sent again."""
    raw = settings.get_raw()
    container = raw.get("bundleContainerSettings")
    if not isinstance(container, dict):
        container = raw["bundleContainerSettings"] = {}
    remapping = container.get("remapping")
    if not isinstance(remapping, dict):
        remapping = container["remapping"] = {}
    if params["connections"] is not None:
        remapping["connections"] = after["connections"]
    if params["code_envs"] is not None:
        remapping["codeEnvs"] = after["code_envs"]
    if params["code_envs_behavior"] is not None:
        container["codeEnvsBehavior"] = after["behavior"]
    module.write_once("save the settings of project %s" % params["project_key"], settings.save,
                      lambda: same_remapping(remapping_of(reread().get_raw()), after))
