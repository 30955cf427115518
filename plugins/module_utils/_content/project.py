# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project-specific planning for dataiku_project and dataiku_project_info (no I/O: unit-testable).

Each ``plan_*`` function takes what DSS returned for one endpoint and the module options, and returns a
:class:`Plan`: the diff views (snake_case, managed fields only) and the whole object to PUT back, or ``None``
when DSS already matches. The same planners verify a write: after re-reading, a non-empty plan means DSS did not
keep what was written.
"""

from __future__ import annotations

import copy

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import (
    camel_to_snake, equal, keep_order, same_items, sorted_unique)

# Option name -> key in a DSS project permission entry (the ``permissions`` list of ``DSSProject.get_permissions()``).
PERMISSION_FLAGS = {
    "admin": "admin",
    "read_project_content": "readProjectContent",
    "write_project_content": "writeProjectContent",
    "run_scenarios": "runScenarios",
    "read_dashboards": "readDashboards",
    "write_dashboards": "writeDashboards",
    "moderate_dashboards": "moderateDashboards",
    "manage_dashboard_authorizations": "manageDashboardAuthorizations",
    "manage_additional_dashboard_users": "manageAdditionalDashboardUsers",
    "manage_exposed_elements": "manageExposedElements",
    "export_datasets_data": "exportDatasetsData",
    "execute_app": "executeApp",
    "share_to_workspaces": "shareToWorkspaces",
}
_FLAG_OPTION = {v: k for k, v in PERMISSION_FLAGS.items()}
PRINCIPAL_KINDS = ("group", "user")
METADATA_OPTIONS = ("name", "description", "short_description", "tags")
VARIABLE_SCOPES = ("standard", "local")


class Plan:
    """Diff views of one DSS endpoint's managed fields, and the object to write (None: nothing to write)."""

    def __init__(self, before, after, payload):
        self.before = before
        self.after = after
        self.payload = payload

    @property
    def changed(self):
        return self.payload is not None


def permission_suboptions():
    """argument_spec suboptions of one ``permissions`` entry: a principal and flags that default to None
    (not managed)."""
    options = dict(group=dict(type="str"), user=dict(type="str"))
    options.update((name, dict(type="bool")) for name in PERMISSION_FLAGS)
    return options


def with_active_bundle(summary):
    """A project summary as DSS returned it, plus ``active_bundle_id`` (None on design nodes or before any
    activation). ``activeBundleState`` is an [INF] shape: read defensively."""
    result = copy.deepcopy(summary)
    state = summary.get("activeBundleState")
    result["active_bundle_id"] = state.get("bundleId") if isinstance(state, dict) else None
    return result


def summary_view(summary):
    """The diff view of an existing project shown when it is deleted."""
    return dict(project_key=summary.get("projectKey"), name=summary.get("name"), owner=summary.get("ownerLogin"),
                description=summary.get("description"), short_description=summary.get("shortDesc"),
                tags=sorted_unique(summary.get("tags")) if summary.get("tags") is not None else None)


def predicted_summary(summary, params, owner=None, tags=None):
    """What the summary will look like once the managed metadata and owner are applied (check mode result)."""
    result = copy.deepcopy(summary)
    for option, key in (("name", "name"), ("description", "description"), ("short_description", "shortDesc")):
        if params.get(option) is not None:
            result[key] = params[option]
    if tags is not None:
        result["tags"] = tags
    if owner is not None:
        result["ownerLogin"] = owner
    return with_active_bundle(result)


# -- permissions ------------------------------------------------------------------------------------------------

def principal(entry):
    """("group", name) or ("user", name) of a DSS permission entry (or of a module option entry)."""
    for kind in PRINCIPAL_KINDS:
        if entry.get(kind) is not None:
            return kind, entry[kind]
    return None, None


def desired_permissions(option_entries):
    """Module option entries -> [(principal, {camelCaseFlag: bool})], only the flags that were set."""
    result = []
    for entry in option_entries or []:
        flags = dict((PERMISSION_FLAGS[name], entry[name]) for name in PERMISSION_FLAGS if entry.get(name) is not None)
        result.append((principal(entry), flags))
    return result


def permission_entry_errors(option_entries):
    """Messages for entries with no or two principals, or a principal listed twice."""
    errors, seen = [], set()
    for index, entry in enumerate(option_entries or []):
        given = [k for k in PRINCIPAL_KINDS if entry.get(k) is not None]
        if len(given) != 1:
            errors.append("permissions[%d] must set exactly one of group or user" % index)
            continue
        who = principal(entry)
        if who in seen:
            errors.append("permissions lists %s %r twice" % who)
        seen.add(who)
    return errors


def _entry_view(who, flags):
    view = {who[0]: who[1]}
    view.update((_FLAG_OPTION.get(k, camel_to_snake(k)), v) for k, v in flags.items())
    return view


def _full_flags(entry):
    return dict((k, v) for k, v in entry.items() if k not in PRINCIPAL_KINDS)


def _view_sort(view):
    kind = "group" if "group" in view else "user"
    return kind, str(view.get(kind))


def plan_permissions(current, owner, option_entries, exclusive):
    """Plan for ``GET/PUT /projects/K/permissions`` (``{"owner": ..., "permissions": [...]}``).

    Listed principals get the flags that were set (other flags untouched; a new entry only carries the set
    flags, DSS fills the rest). With ``exclusive``, entries of principals not listed are removed.
    """
    current = current or {}
    before, after = {}, {}
    payload = copy.deepcopy(current)
    if owner is not None:
        before["owner"] = current.get("owner")
        after["owner"] = owner
        payload["owner"] = owner
    if option_entries is not None:
        wanted = desired_permissions(option_entries)
        wanted_keys = set(who for who, _flags in wanted)
        entries = [copy.deepcopy(e) for e in current.get("permissions") or []]
        index = dict((principal(e), i) for i, e in enumerate(entries))
        before_views, after_views = [], []
        for who, flags in wanted:
            if who in index:
                existing = entries[index[who]]
                before_views.append(_entry_view(who, dict((k, existing.get(k)) for k in flags if k in existing)))
                existing.update(flags)
            else:
                new_entry = {who[0]: who[1]}
                new_entry.update(flags)
                entries.append(new_entry)
            after_views.append(_entry_view(who, flags))
        if exclusive:
            for entry in entries:
                if principal(entry) not in wanted_keys:
                    before_views.append(_entry_view(principal(entry), _full_flags(entry)))
            entries = [e for e in entries if principal(e) in wanted_keys]
        payload["permissions"] = entries
        before["permissions"] = sorted(before_views, key=_view_sort)
        after["permissions"] = sorted(after_views, key=_view_sort)
    return Plan(before, after, None if equal(payload, current) else payload)


def create_permissions(option_entries):
    """Permission entries for the body of ``POST /projects/`` (only the flags that were set)."""
    result = []
    for who, flags in desired_permissions(option_entries):
        entry = {who[0]: who[1]}
        entry.update(flags)
        result.append(entry)
    return result


def permissions_create_view(option_entries):
    return sorted((_entry_view(who, flags) for who, flags in desired_permissions(option_entries)), key=_view_sort)


# -- metadata (name, descriptions, tags) -----------------------------------------------------------------------

def desired_tags(current_tags, tags, purge):
    """The tag list to write: ``tags`` alone (purge) or added to the current ones; current order kept first."""
    if tags is None:
        return None
    wanted = list(tags) if purge else list(current_tags or []) + list(tags)
    return keep_order(current_tags, wanted)


def plan_metadata(current, params, current_name=None):
    """Plan for ``GET/PUT /projects/K/metadata`` (DSS calls the display name ``label`` there).

    Strings are compared with a missing value read as "" (DSS may drop empty strings); tags as a set.
    """
    current = current or {}
    before, after = {}, {}
    payload = copy.deepcopy(current)
    differs = False
    name_now = current.get("label", current_name)
    for option, key, now in (("name", "label", name_now),
                             ("description", "description", current.get("description")),
                             ("short_description", "shortDesc", current.get("shortDesc"))):
        wanted = params.get(option)
        if wanted is None:
            continue
        before[option], after[option] = now, wanted
        payload[key] = wanted
        differs = differs or (now or "") != wanted
    tags = desired_tags(current.get("tags"), params.get("tags"), params.get("purge_tags", True))
    if tags is not None:
        before["tags"] = sorted_unique(current.get("tags") or [])
        after["tags"] = sorted_unique(tags)
        payload["tags"] = tags
        differs = differs or not same_items(current.get("tags") or [], tags)
    return Plan(before, after, payload if differs else None)


# -- variables ----------------------------------------------------------------------------------------------

def plan_variables(current, variables, mode):
    """Plan for ``GET/PUT /projects/K/variables/`` (``{"standard": {...}, "local": {...}}``).

    ``merge``: the variables given are set (each value replaced whole), the others kept; the view shows the given
    variables only. ``replace``: each scope given becomes exactly what was given; the view shows the whole scope.
    """
    current = current or {}
    payload = dict((scope, copy.deepcopy(current.get(scope) or {})) for scope in VARIABLE_SCOPES)
    before, after = {}, {}
    for scope in VARIABLE_SCOPES:
        given = (variables or {}).get(scope)
        if given is None:
            continue
        now = current.get(scope) or {}
        if mode == "replace":
            before[scope] = copy.deepcopy(now)
            payload[scope] = copy.deepcopy(given)
        else:
            before[scope] = dict((k, copy.deepcopy(now[k])) for k in given if k in now)
            payload[scope].update(copy.deepcopy(given))
        after[scope] = copy.deepcopy(given)
    differs = any(not equal(payload[s], current.get(s) or {}) for s in after)
    views = ({"variables": before}, {"variables": after}) if after else ({}, {})
    return Plan(views[0], views[1], payload if differs else None)
