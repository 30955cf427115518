# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of bundle remapping on an automation node: mapping lists, merge, and the resolution table.

DSS keeps remappings as lists of ``{"source": ..., "target": ...}`` under
``bundleContainerSettings.remapping.connections|codeEnvs`` of the project settings. Activation resolves each
connection the bundle requires through that list, else by the same name, and needs the target to exist with the
same type. Nothing here talks to DSS, so it is unit-tested directly.
"""

from __future__ import annotations

IMPORT_TIME_MODES = ["INSTALL_IF_MISS", "FAIL_IF_MISS", "DO_NOTHING"]
ENV_SPEC_MODES = ["SPECIFIED", "ACTUAL"]
BEHAVIOR_KEYS = (("import_time_mode", "importTimeMode"), ("env_import_specification_mode", "envImportSpecificationMode"))


# -- mapping lists ------------------------------------------------------------------------------------------------

def _valid_entry(entry):
    return isinstance(entry, dict) and isinstance(entry.get("source"), str) and isinstance(entry.get("target"), str)


def entry_pairs(entries):
    """The (source, target) pairs of a stored list, order kept; malformed entries are ignored (DSS would too)."""
    return [(e["source"], e["target"]) for e in entries or [] if _valid_entry(e)]


def as_mapping(entries):
    """source -> target. With duplicated sources the first entry wins (assumed to be what DSS applies)."""
    mapping = {}
    for source, target in entry_pairs(entries):
        mapping.setdefault(source, target)
    return mapping


def same_entries(left, right):
    """Order-insensitive equality of two stored lists (duplicates count, malformed entries too)."""
    def key(entries):
        return sorted(repr(sorted(e.items())) if isinstance(e, dict) else repr(e) for e in entries or [])
    return key(left) == key(right)


def merged_entries(current, desired, exclusive):
    """The list to store for ``desired`` (source -> target) over the ``current`` list.

    Entries that stay keep their position and any extra keys DSS put in them. Merge mode replaces the target of
    the sources given, drops later duplicates of those sources and appends new sources; exclusive mode keeps only
    the sources given.
    """
    result = []
    seen = set()
    for entry in current or []:
        if not _valid_entry(entry):
            if not exclusive:
                result.append(entry)
            continue
        source = entry["source"]
        if source not in desired:
            if not exclusive:
                result.append(entry)
            continue
        if source in seen:
            continue
        seen.add(source)
        if entry["target"] == desired[source]:
            result.append(entry)
        else:
            updated = dict(entry)
            updated["target"] = desired[source]
            result.append(updated)
    for source, target in desired.items():
        if source not in seen:
            result.append({"source": source, "target": target})
    return result


def merged_behavior(current, desired):
    """codeEnvsBehavior with the keys given in ``desired`` (module option names) set, the others kept."""
    result = dict(current or {})
    for option, key in BEHAVIOR_KEYS:
        if (desired or {}).get(option) is not None:
            result[key] = desired[option]
    return result


# -- what a bundle requires ---------------------------------------------------------------------------------------

def pick_bundle(bundles, bundle_id=None):
    """The imported bundle ``bundle_id`` (None if absent), or without an id the most recently imported one.

    Import order is the list order; ``importState.importedOn`` (same-format ISO strings) breaks it when present.
    """
    bundles = [b for b in bundles or [] if isinstance(b, dict) and b.get("bundleId")]
    if bundle_id is not None:
        return next((b for b in bundles if b["bundleId"] == bundle_id), None)
    if not bundles:
        return None
    dated = [b for b in bundles if isinstance((b.get("importState") or {}).get("importedOn"), str)]
    if len(dated) == len(bundles):
        # max() keeps the first of equal keys; reversed() makes the later import win a tie.
        return max(reversed(bundles), key=lambda b: b["importState"]["importedOn"])
    return bundles[-1]


def _manifest(bundle):
    return (bundle or {}).get("exportManifest") or {}


def required_connections(bundle):
    """[{name, type}] from exportManifest.requiredConnections (a dict by name; a list is accepted too)."""
    raw = _manifest(bundle).get("requiredConnections") or {}
    items = []
    if isinstance(raw, dict):
        for name, info in raw.items():
            info = info if isinstance(info, dict) else {}
            items.append({"name": info.get("name") or name, "type": info.get("type")})
    elif isinstance(raw, list):
        for info in raw:
            if isinstance(info, dict) and info.get("name"):
                items.append({"name": info["name"], "type": info.get("type")})
            elif isinstance(info, str):
                items.append({"name": info, "type": None})
    # DSS resolves @virtual... connections itself; the UI does not offer to remap them either.
    return [i for i in items if not str(i["name"]).startswith("@virtual")]


def used_code_envs(bundle):
    """[{name, language}] from exportManifest.usedCodeEnvRefs."""
    refs = _manifest(bundle).get("usedCodeEnvRefs") or []
    return [{"name": r["envName"], "language": r.get("envLang")}
            for r in refs if isinstance(r, dict) and r.get("envName")]


def allowed_missing(bundle, key):
    return set(n for n in _manifest(bundle).get(key) or [] if isinstance(n, str))


# -- resolution ---------------------------------------------------------------------------------------------------

def resolve_connections(sources, mapping, node_connections, allowed_missing_names=()):
    """One row per source: {source, target, type, target_type, resolved_by, ok, problem}.

    ``sources``: [{name, type}] (type None when unknown, then only existence is checked);
    ``node_connections``: name -> type of the connections on this node.
    """
    rows = []
    for source in sources:
        name, wanted = source["name"], source.get("type")
        target = mapping.get(name, name)
        row = dict(source=name, target=target, type=wanted, target_type=node_connections.get(target),
                   resolved_by="mapping" if name in mapping else "same_name", ok=True, problem=None)
        if target not in node_connections:
            if name in allowed_missing_names:
                row["problem"] = "missing, allowed by the bundle"
            else:
                row.update(ok=False, problem="missing: no connection %r on this node" % target)
        elif wanted and row["target_type"] != wanted:
            row.update(ok=False, problem="wrong type: %r is %s vs %s required by the bundle"
                       % (target, row["target_type"], wanted))
        rows.append(row)
    return rows


def resolve_code_envs(sources, mapping, node_envs, import_time_mode=None, allowed_missing_names=()):
    """One row per source env: {source, target, language, resolved_by, ok, problem}.

    ``sources``: [{name, language}] (language None when unknown: any language will do); ``node_envs``: set of
    (language, name). A missing target is acceptable only when preload will install it (INSTALL_IF_MISS).
    """
    rows = []
    for source in sources:
        name, lang = source["name"], source.get("language")
        target = mapping.get(name, name)
        exists = any(n == target and (lang is None or lg == lang) for lg, n in node_envs)
        row = dict(source=name, target=target, language=lang,
                   resolved_by="mapping" if name in mapping else "same_name", ok=True, problem=None)
        if not exists:
            what = "%s code env %r" % (lang, target) if lang else "code env %r" % target
            if import_time_mode == "INSTALL_IF_MISS":
                row["problem"] = "missing: %s will be installed at preload (importTimeMode INSTALL_IF_MISS)" % what
            elif name in allowed_missing_names:
                row["problem"] = "missing, allowed by the bundle"
            else:
                # The DSS default of importTimeMode is undocumented, so an unset mode is not assumed to install.
                hint = "" if import_time_mode else (" (set code_envs_behavior.import_time_mode=INSTALL_IF_MISS to let"
                                                    " preload create it)")
                row.update(ok=False, problem="missing: no %s on this node%s" % (what, hint))
        rows.append(row)
    return rows


def failure_message(project_key, bundle_id, conn_rows, env_rows, node_connections, node_envs, url):
    """ONE message (one line, Ansible shows msg JSON-escaped): every unresolved row with its reason, then what
    exists on the node."""
    where = "bundle %s" % bundle_id if bundle_id else "the requested mapping"
    problems = []
    for kind, rows in (("connection", conn_rows), ("code env", env_rows)):
        for row in rows:
            if not row["ok"]:
                how = row["resolved_by"].replace("_", " ")
                problems.append("%s %r -> %r (by %s): %s" % (kind, row["source"], row["target"], how, row["problem"]))
    text = "Remapping of project %s cannot work for %s, nothing was changed: %s." % (
        project_key, where, "; ".join(problems))
    if any(not r["ok"] for r in conn_rows):
        existing = ", ".join("%s (%s)" % (n, t) for n, t in sorted(node_connections.items())) or "none"
        text += " Connections on %s: %s." % (url, existing)
    if any(not r["ok"] for r in env_rows):
        envs = ", ".join("%s (%s)" % (n, lg) for lg, n in sorted(node_envs)) or "none"
        text += " Code envs on %s: %s." % (url, envs)
    return text
