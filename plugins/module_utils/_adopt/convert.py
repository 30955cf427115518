# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DSS documents turned into the options the collection's modules take, for adoption (no I/O: unit-testable).

Each function takes what DSS returned for one object and returns one item of a ``project_as_code`` description
(``dataiku_dataset``, ``dataiku_recipe``, ``dataiku_scenario``, ``dataiku_project`` options) or of
``dss_environment_objects`` (``dataiku_connection``, ``dataiku_code_env`` options). An item states every field those
modules manage, so that applying it to the node it was read from changes nothing. Secrets are never copied:
``connection_item`` leaves out the parameters DSS returns encrypted and names them.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import lines
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import PERMISSION_FLAGS, principal
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import as_mapping

# DSS returns a connection's secrets encrypted ("e:AES:..."); names that hold secrets are left out even when a node
# returns them some other way.
ENCRYPTED_PREFIX = "e:"
SECRET_NAME_RE = re.compile(r"password|passwd|secret|token|private|credential|api_?key", re.IGNORECASE)
STEP_BASED = "step_based"
_FLAG_OPTION = dict((key, option) for option, key in PERMISSION_FLAGS.items())


def is_secret(name, value):
    """Whether the connection parameter ``name`` holds a secret (by its name, or an encrypted value)."""
    if SECRET_NAME_RE.search(str(name)):
        return True
    return isinstance(value, str) and re.match(r"^e:[A-Z0-9]+:", value) is not None


def project_item(key, summary, metadata, variables, permissions):
    """The ``project`` section: key, name, owner, descriptions, tags, both variable scopes and the permission
    entries (every flag DSS states for them)."""
    item = dict(key=key, name=metadata.get("label") or summary.get("name") or key)
    owner = (permissions or {}).get("owner") or summary.get("ownerLogin")
    if owner:
        item["owner"] = owner
    for option, field in (("description", "description"), ("short_description", "shortDesc")):
        if metadata.get(field):
            item[option] = metadata[field]
    item["tags"] = list(metadata.get("tags") or [])
    item["variables"] = dict((scope, copy.deepcopy((variables or {}).get(scope) or {})) for scope in ("standard", "local"))
    entries = [permission_entry(e) for e in (permissions or {}).get("permissions") or []]
    item["permissions"] = [e for e in entries if e is not None]
    return item


def permission_entry(entry):
    """One ``permissions`` option entry from a DSS entry: the principal and the flags the module knows."""
    kind, name = principal(entry)
    if kind is None:
        return None
    item = {kind: name}
    item.update((_FLAG_OPTION[key], value) for key, value in sorted(entry.items())
                if key in _FLAG_OPTION and isinstance(value, bool))
    return item


def unknown_permission_flags(entries):
    """DSS permission flags no module option expresses (a newer DSS): they are kept on the node, not adopted."""
    return sorted(set(k for e in entries or [] for k in e if k not in _FLAG_OPTION and k not in ("group", "user")))


def dataset_item(raw):
    """A ``datasets`` item: name, type, managed, connection, params, format and schema."""
    params = copy.deepcopy(raw.get("params") or {})
    item = dict(name=raw.get("name"), type=raw.get("type"), managed=bool(raw.get("managed", False)))
    if params.get("connection"):
        item["connection"] = params["connection"]
    item["params"] = params
    if raw.get("formatType"):
        item["format_type"] = raw["formatType"]
    if raw.get("formatParams"):
        item["format_params"] = copy.deepcopy(raw["formatParams"])
    item["schema"] = copy.deepcopy((raw.get("schema") or {}).get("columns") or [])
    return item


def _refs(roles):
    return [i.get("ref") for i in ((roles or {}).get("main") or {}).get("items") or []]


def recipe_item(data):
    """A ``recipes`` item from a recipe's settings (``{"recipe": ..., "payload": ...}``)."""
    recipe = data.get("recipe") or {}
    return dict(name=recipe.get("name"), type=recipe.get("type"), inputs=_refs(recipe.get("inputs")),
                outputs=_refs(recipe.get("outputs")), payload=data.get("payload") or "",
                params=copy.deepcopy(recipe.get("params") or {}))


def extra_recipe_roles(data):
    """Input/output roles other than ``main`` (a recipe option expresses the main role only)."""
    recipe = data.get("recipe") or {}
    return sorted(set(role for side in ("inputs", "outputs") for role, value in (recipe.get(side) or {}).items()
                      if role != "main" and (value or {}).get("items")))


def scenario_item(raw, script=None):
    """A ``scenarios`` item: id, name, type, active, triggers, and steps (step-based) or script (Python)."""
    item = dict(id=raw.get("id"), name=raw.get("name") or raw.get("id"), type=raw.get("type"),
                active=bool(raw.get("active", False)), triggers=copy.deepcopy(raw.get("triggers") or []))
    if raw.get("type") == STEP_BASED:
        item["steps"] = copy.deepcopy((raw.get("params") or {}).get("steps") or [])
    else:
        item["script"] = script or ""
    return item


def connection_item(raw):
    """(a ``connections`` item, the names of the secret parameters left out)."""
    params = raw.get("params") or {}
    secrets = sorted(k for k, v in params.items() if is_secret(k, v))
    item = dict(name=raw.get("name"), type=raw.get("type"))
    if raw.get("description"):
        item["description"] = raw["description"]
    item["params"] = dict((k, copy.deepcopy(v)) for k, v in sorted(params.items()) if k not in secrets)
    item["usable_by"] = (raw.get("usableBy") or "ALL").lower()
    item["allowed_groups"] = sorted(set(raw.get("allowedGroups") or []))
    return item, secrets


def code_env_item(name, lang, raw, holder):
    """A ``code_envs`` item: name, language, deployment mode and (when the env has one list) its packages.
    ``holder`` is the part of the definition holding ``specPackageList`` (None for versioned envs)."""
    item = dict(name=name, lang=str(lang).lower(), deployment_mode=raw.get("deploymentMode"))
    if holder is not None:
        item["packages"] = lines(holder.get("specPackageList"))
    return item


def remapping(raw_settings):
    """{connections: {source: target}, code_envs: {source: target}} of an automation project's settings."""
    remap = ((raw_settings or {}).get("bundleContainerSettings") or {}).get("remapping") or {}
    return dict(connections=as_mapping(remap.get("connections")), code_envs=as_mapping(remap.get("codeEnvs")))


def recipe_code_env(data):
    """The code env a recipe pins (``envSelection`` EXPLICIT_ENV), or None."""
    selection = ((data.get("recipe") or {}).get("params") or {}).get("envSelection") or {}
    return selection.get("envName") if selection.get("envMode") == "EXPLICIT_ENV" else None
