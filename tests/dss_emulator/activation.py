"""What a bundle needs (connections, code envs), how an Automation node resolves it, and how activation replaces the
project content. Rules are in docs/emulator.md, "Bundles and activation"; [INF] choices are listed there.

Activation is all-or-nothing: every check runs before the first write, and all writes happen in one store
transaction, so a refused activation leaves the state digest unchanged.
"""

import copy

from . import dataset_data
from .bundle_archive import CONTENT_KINDS, DATA_KEY, PAYLOAD_KIND, object_name
from .errors import CODED, CODED_IO, DSSError, bad_request
from .code_env_model import env_id, new_env
from .node import current_user, now_iso

ENV_LANGS = {"python": "PYTHON", "r": "R"}
IMPORT_TIME_MODES = ("INSTALL_IF_MISS", "FAIL_IF_MISS", "DO_NOTHING")
# Which scenarios the active bundle brought, so that local scenarios survive the next activation.
BUNDLE_OBJECTS = "bundle_objects"


# -- what the content uses --------------------------------------------------------------------------------------

def _recipe_inner(recipe):
    return recipe["recipe"] if isinstance(recipe.get("recipe"), dict) else recipe


def _recipe_env_selection(recipe):
    """(lang, envSelection dict) of a code recipe pinned to an explicit env, else None."""
    inner = _recipe_inner(recipe)
    selection = (inner.get("params") or {}).get("envSelection")
    if not isinstance(selection, dict) or selection.get("envMode") != "EXPLICIT_ENV" or not selection.get("envName"):
        return None
    lang = "R" if str(inner.get("type", "")).lower() in ("r", "sparkr") else "PYTHON"
    return lang, selection


def _project_env_settings(params):
    """(lang, settings.codeEnvs.<lang> dict) of the project defaults that name an explicit env."""
    found = []
    for key, lang in ENV_LANGS.items():
        conf = ((params.get("settings") or {}).get("codeEnvs") or {}).get(key)
        if not isinstance(conf, dict) or not conf.get("envName"):
            continue
        if conf.get("mode") == "EXPLICIT_ENV" or (conf.get("mode") is None and conf.get("useBuiltinEnv") is False):
            found.append((lang, conf))
    return found


def used_code_env_refs(params, recipes):
    refs = {(lang, conf["envName"]) for lang, conf in _project_env_settings(params)}
    for recipe in recipes:
        pinned = _recipe_env_selection(recipe)
        if pinned:
            refs.add((pinned[0], pinned[1]["envName"]))
    return [{"envLang": lang, "envName": name} for lang, name in sorted(refs)]


def required_connections(st, datasets):
    """{name: {name, type, isMissing}} for the connections the datasets use, typed from this node's connections."""
    needed = {}
    for dataset in datasets:
        name = (dataset.get("params") or {}).get("connection")
        if not name or name in needed:
            continue
        conn = st.get("connection", "", name)
        # A connection missing on the design node is typed after the dataset [INF].
        needed[name] = {"name": name, "type": conn.get("type") if conn else dataset.get("type"),
                        "isMissing": conn is None}
    return dict(sorted(needed.items()))


# -- remapping -------------------------------------------------------------------------------------------------

def _remap_table(container_settings, section, lang=None):
    """bundleContainerSettings.remapping.<section> as {source: target}; lists of {source, target} (DSS) or a plain
    dict are accepted. An entry with envLang only applies to that language."""
    raw = ((container_settings or {}).get("remapping") or {}).get(section) or []
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if v}
    table = {}
    for entry in raw:
        if isinstance(entry, dict) and entry.get("source") and entry.get("target"):
            if lang is None or entry.get("envLang") in (None, lang):
                table[entry["source"]] = entry["target"]
    return table


def resolve_connections(st, manifest, container_settings):
    """{source: target} for every required connection, or raise the DSS activation error (missing before type)."""
    table = _remap_table(container_settings, "connections")
    mapping, missing, bad_type = {}, [], []
    for name, need in sorted((manifest.get("requiredConnections") or {}).items()):
        if name.startswith("@virtual"):
            continue
        target = table.get(name, name)
        mapping[name] = target
        conn = st.get("connection", "", target)
        expected = (need or {}).get("type")
        if conn is None:
            missing.append("'%s'%s" % (target, "" if target == name else " (remapped from '%s')" % name))
        elif expected and conn.get("type") != expected:
            bad_type.append("'%s' is of type %s but the bundle needs %s (for '%s')"
                            % (target, conn.get("type"), expected, name))
    if missing:
        raise DSSError("Cannot activate bundle: connection(s) %s do not exist on this node; add a connection remapping"
                       % ", ".join(missing), CODED, 400, "ERR_BUNDLE_ACTIVATE_MISSING_CONNECTION")
    if bad_type:
        raise DSSError("Cannot activate bundle: connection type mismatch: %s" % "; ".join(bad_type), CODED, 400,
                       "ERR_BUNDLE_ACTIVATE_BAD_CONNECTION_TYPE")
    return mapping


def resolve_code_envs(container_settings, manifest):
    """[(envLang, bundle env name, local env name)] for every code env the bundle uses."""
    out = []
    for ref in manifest.get("usedCodeEnvRefs") or []:
        if isinstance(ref, dict) and ref.get("envName"):
            lang = str(ref.get("envLang") or "PYTHON").upper()
            out.append((lang, ref["envName"], _remap_table(container_settings, "codeEnvs", lang).get(ref["envName"],
                                                                                                     ref["envName"])))
    return out


# -- reports ---------------------------------------------------------------------------------------------------

def message(severity, title, text, code=None):
    return {"severity": severity, "isFatal": False, "code": code, "title": title, "message": text, "details": text}


def info_messages(messages):
    """DSS InfoMessages: each flag says "there is at least one message of that severity" (so success is false
    for a clean activation without SUCCESS messages)."""
    severities = {m["severity"] for m in messages}
    return {"anyMessage": bool(messages), "success": "SUCCESS" in severities, "warning": "WARNING" in severities,
            "error": "ERROR" in severities, "fatal": any(m.get("isFatal") for m in messages),
            "messages": messages, "neededAMigration": False}


def completed_future(result):
    """The shape DSS answers for a finished task run synchronously (dsscli bundle-activate example)."""
    return {"aborted": False, "unknown": False, "alive": False, "runningTime": 0, "hasResult": True,
            "result": result, "startTime": 0}


# -- preload ---------------------------------------------------------------------------------------------------

def preload(st, key, bundle):
    project = st.get("project", "", key) or {}
    settings = project.get("bundleContainerSettings") or {}
    mode = (settings.get("codeEnvsBehavior") or {}).get("importTimeMode") or "INSTALL_IF_MISS"
    if mode not in IMPORT_TIME_MODES:
        raise bad_request("Unknown codeEnvsBehavior.importTimeMode %s (expected one of %s)"
                          % (mode, ", ".join(IMPORT_TIME_MODES)))
    to_create, messages = [], []
    for lang, source, target in resolve_code_envs(settings, bundle["exportManifest"]):
        if st.get("code_env", "", env_id(lang, target)) is not None or (lang, target) in to_create:
            continue
        if mode == "FAIL_IF_MISS":
            raise DSSError("%s env %s doesn't exist" % (lang, target), CODED_IO, 500)
        if mode == "DO_NOTHING":
            messages.append(message("WARNING", "Code env missing", "%s env %s (used by the bundle as %s) doesn't exist"
                                    % (lang, target, source)))
        else:
            to_create.append((lang, target))
            messages.append(message("INFO", "Code env created", "Created %s env %s" % (lang, target)))
    with st.transaction():
        for lang, target in to_create:
            st.put("code_env", "", env_id(lang, target), new_env(lang, target, {}))
    return completed_future(info_messages(messages))


# -- activation ------------------------------------------------------------------------------------------------

def _remap_envs(obj_selection, env_table):
    if obj_selection.get("envName") in env_table:
        obj_selection["envName"] = env_table[obj_selection["envName"]]


def _localize(kind, obj, key, connections, env_tables):
    """A bundle object as this project stores it: own project key, remapped connection / code env names."""
    obj = copy.deepcopy(obj)
    inner = _recipe_inner(obj) if kind == "recipe" else obj
    if "projectKey" in inner:
        inner["projectKey"] = key
    if kind == "dataset":
        params = obj.setdefault("params", {})
        if params.get("connection") in connections:
            params["connection"] = connections[params["connection"]]
    elif kind == "recipe":
        pinned = _recipe_env_selection(obj)
        if pinned:
            _remap_envs(pinned[1], env_tables[pinned[0]])
    return obj


def _scenario_flags(overrides):
    if overrides is None:
        return {}
    if not isinstance(overrides, dict) or not all(isinstance(v, bool) for v in overrides.values()):
        raise bad_request("scenariosActiveOnActivation must map scenario ids to true/false")
    return overrides


def activate(st, key, bundle, content, body):
    """Check, then apply the bundle in one transaction. Fatal checks raise a DSS error; nothing is written."""
    manifest = bundle["exportManifest"]
    project = st.get("project", "", key)
    settings = project.get("bundleContainerSettings") or {}
    overrides = _scenario_flags((body or {}).get("scenariosActiveOnActivation"))
    connections = resolve_connections(st, manifest, settings)
    env_tables = {lang: _remap_table(settings, "codeEnvs", lang) for lang in ENV_LANGS.values()}
    messages = []
    for lang, source, target in resolve_code_envs(settings, manifest):
        if st.get("code_env", "", env_id(lang, target)) is None:
            messages.append(message("WARNING", "Code env missing", "%s env %s (bundle env %s) doesn't exist on this"
                                    " node; preload the bundle to create it" % (lang, target, source)))

    current_active = {s.get("id"): s.get("active", False) for s in st.list("scenario", key)}
    previous = (st.get(BUNDLE_OBJECTS, key, "scenarios") or {}).get("ids") or []
    objects = {kind: [_localize(kind, o, key, connections, env_tables) for o in content.get(kind) or []]
               for kind in CONTENT_KINDS}
    for scenario in objects["scenario"]:
        scenario["active"] = bool(current_active.get(scenario["id"], scenario.get("active", False)))
    bundle_sids = [s["id"] for s in objects["scenario"]]
    payloads = content.get(PAYLOAD_KIND) or {}  # {scenario id: {"script"}}, scenarios of this bundle only
    surviving_local = set(current_active) - set(previous)
    for sid in sorted(set(overrides) - {s["id"] for s in objects["scenario"]} - surviving_local):
        messages.append(message("WARNING", "Unknown scenario", "scenariosActiveOnActivation names %s, which is not a"
                                " scenario of the project" % sid))

    new_settings = copy.deepcopy((content.get("params") or {}).get("settings"))
    for lang, conf in _project_env_settings({"settings": new_settings} if new_settings else {}):
        _remap_envs(conf, env_tables[lang])
    variables = st.get("variables", key, "variables") or {"standard": {}, "local": {}}

    with st.transaction():
        for kind in ("dataset", "recipe"):
            for oid in st.ids(kind, key):
                st.delete(kind, key, oid)
        for sid in previous:
            st.delete("scenario", key, sid)
        for sid in sorted(set(previous) | set(bundle_sids)):  # a bundle scenario replaces a local one's script too
            st.delete(PAYLOAD_KIND, key, sid)
        for kind in CONTENT_KINDS:
            for obj in objects[kind]:
                st.put(kind, key, object_name(kind, obj), obj)
        for sid in bundle_sids:
            if sid in payloads:
                st.put(PAYLOAD_KIND, key, sid, payloads[sid])
        for sid, active in overrides.items():
            scenario = st.get("scenario", key, sid)
            if scenario is not None:
                scenario["active"] = active
                st.put("scenario", key, sid, scenario)
        st.put("variables", key, "variables", {"standard": copy.deepcopy((content.get("variables") or {})
                                                                         .get("standard") or {}),
                                               "local": variables.get("local") or {}})
        if new_settings is not None:
            project["settings"] = new_settings
            st.put("project", "", key, project)
        st.put(BUNDLE_OBJECTS, key, "scenarios", {"ids": bundle_sids})
        st.put("active_bundle", key, "state", {"bundleId": bundle["bundleId"], "activatedOn": now_iso(),
                                               "activatedBy": current_user()})
    # The data the bundle carries replaces the datasets' data, once the configuration is committed.
    for name, data in sorted((content.get(DATA_KEY) or {}).items()):
        dataset_data.write(st.data_dir, key, name, data)
    return completed_future(info_messages(messages))
