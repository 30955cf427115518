"""State of Project Standards (no HTTP here; client: dataikuapi/dss/project_standards.py and project.py): check specs,
checks, scopes, runs on a project, the reports kept with projects and bundles, and what a deployer infrastructure's
Project Standards policy says about a bundle.

Documents (scope "" unless said): `ps_check` (id = check id), `ps_check_spec` (id = element type; specs defined
through the control endpoint, the built-in ones live in project_standards_checks.py), `ps_scopes` (id "scopes":
{scopes: [...] in priority order, default: {...}}), `ps_last_report` (scope = project key, id "last"). A bundle's
report is stored with the bundle (exported bundle document, its archive, the published bundle). Rules and [INF]
choices: docs/emulator.md, "Project Standards".
"""

import copy
import re

from . import project_standards_checks as specs
from .errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from .node import current_user, now_ms, require_project, store

DEFAULT_SCOPE = "DEFAULT"
SELECTION_METHODS = ("BY_PROJECT", "BY_FOLDER", "BY_TAG")
SELECTED_FIELD = {"BY_PROJECT": "selectedProjects", "BY_FOLDER": "selectedFolders", "BY_TAG": "selectedTags"}
POLICIES = ("NO_CHECK", "WARN", "PREVENT")
POLICY_FIELD = "projectStandardsCheckPolicy"
MIN_SEVERITY_FIELD = "projectStandardsMinSeverity"
REPORT_FIELD = "projectStandardsReport"  # of an exported bundle's entry and of a published bundle's document
CHECKS_FAILED = "ERR_DEPLOYER_PROJECT_STANDARDS_CHECKS_FAILED"
CHECKS_WARNING = "WARN_DEPLOYER_PROJECT_STANDARDS_CHECKS_FAILED"
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
SEVERITY_NAMES = specs.SEVERITY_NAMES


def _bad(message):
    return DSSError(message, ILLEGAL_ARGUMENT, 400)


def _missing(message):
    return DSSError(message, NOT_FOUND, 404)


def _checked_name(value, what):
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise _bad("Invalid %s %r: use letters, digits, '_', '.' and '-'" % (what, value))
    return value


# -- check specs -------------------------------------------------------------------------------------------------

def _defined_spec(element_type):
    return store().get("ps_check_spec", "", element_type)


def list_specs():
    return ([specs.builtin_spec_info(t) for t in specs.BUILTIN]
            + [{k: d[k] for k in ("elementType", "label", "description", "ownerPluginId")}
               for d in store().list("ps_check_spec")])


def _checked_result(result, what):
    if not isinstance(result, dict) or result.get("status", "RUN_SUCCESS") not in specs.STATUSES:
        raise _bad("%s must be an object whose status is one of %s" % (what, ", ".join(specs.STATUSES)))
    status = result.get("status", "RUN_SUCCESS")
    severity = result.get("severity", 0 if status == "RUN_SUCCESS" else None)
    if status == "RUN_SUCCESS" and (not isinstance(severity, int) or isinstance(severity, bool)
                                    or not 0 <= severity <= 5):
        raise _bad("%s: a RUN_SUCCESS result needs a severity from 0 (no issue) to 5 (critical), got %r"
                   % (what, severity))
    return {"status": status, "severity": severity if status == "RUN_SUCCESS" else None,
            "message": str(result.get("message") or ""), "details": dict(result.get("details") or {})}


def define_spec(element_type, body):
    """Control endpoint: add or replace a check spec whose runs give a fixed result (per project if given)."""
    _checked_name(element_type, "check spec element type")
    if element_type in specs.BUILTIN:
        raise _bad("Check spec %s is built in and cannot be redefined" % element_type)
    if not isinstance(body, dict):
        raise _bad("A check spec definition must be a JSON object")
    projects = body.get("projects") or {}
    if not isinstance(projects, dict):
        raise _bad("projects must map project keys to results")
    doc = {"elementType": element_type, "label": str(body.get("label") or element_type),
           "description": str(body.get("description") or ""), "ownerPluginId": "emulator-defined",
           "defaultParams": dict(body.get("defaultParams") or {}),
           "result": _checked_result(body.get("result", {}), "result"),
           "projects": {k: _checked_result(v, "projects.%s" % k) for k, v in projects.items()}}
    store().put("ps_check_spec", "", element_type, doc)
    return doc


def defined_spec(element_type):
    doc = _defined_spec(element_type)
    if doc is None:
        raise _missing("Check spec %s is not defined through the control endpoint" % element_type)
    return doc


def forget_spec(element_type):
    """Checks made from it stay, and report RUN_ERROR when they run (like a check whose plugin was removed)."""
    defined_spec(element_type)
    store().delete("ps_check_spec", "", element_type)


# -- checks ------------------------------------------------------------------------------------------------------

def list_checks():
    return store().list("ps_check")


def get_check(check_id):
    doc = store().get("ps_check", "", check_id)
    if doc is None:
        raise _missing("Project Standards check %s does not exist" % check_id)
    return doc


def _new_check_id(label):
    """[INF] DSS derives a check id from its name; the emulator keeps its letters and digits, numbered if taken."""
    base = re.sub(r"[^A-Za-z0-9]", "", label) or "check"
    check_id, n = base, 1
    while store().get("ps_check", "", check_id) is not None:
        n += 1
        check_id = "%s%d" % (base, n)
    return check_id


def import_checks(element_types):
    """Create one check per element type (the same spec may be imported several times, with other params)."""
    if not isinstance(element_types, list) or not element_types:
        raise _bad("checkSpecElementTypes must be a non-empty list of check spec element types")
    known = {s["elementType"]: s for s in list_specs()}
    unknown = [t for t in element_types if t not in known]
    if unknown:
        raise _bad("Unknown check spec(s) %s; available: %s" % (", ".join(map(str, unknown)), ", ".join(known)))
    created = []
    with store().transaction():
        for element_type in element_types:
            spec = known[element_type]
            doc = {"id": _new_check_id(spec["label"]), "name": spec["label"], "description": spec["description"],
                   "checkElementType": element_type,
                   "checkParams": specs.default_params(element_type, _defined_spec(element_type)), "tags": []}
            store().put("ps_check", "", doc["id"], doc)
            created.append(doc)
    return created


def save_check(check_id, body):
    """PUT: name, description, params and tags change; the id and the spec do not."""
    if not isinstance(body, dict):
        raise _bad("A check must be a JSON object")
    with store().transaction():
        doc = get_check(check_id)
        if body.get("checkElementType", doc["checkElementType"]) != doc["checkElementType"]:
            raise _bad("The check spec of check %s cannot be changed" % check_id)
        if not isinstance(body.get("checkParams", {}), dict) or not isinstance(body.get("tags", []), list):
            raise _bad("checkParams must be an object and tags a list")
        for field in ("name", "description", "checkParams", "tags"):
            if field in body:
                doc[field] = copy.deepcopy(body[field])
        store().put("ps_check", "", check_id, doc)
    return doc


def delete_check(check_id):
    """The check also leaves every scope that lists it."""
    with store().transaction():
        get_check(check_id)
        store().delete("ps_check", "", check_id)
        state = _scopes_state()
        for scope in state["scopes"] + [state["default"]]:
            scope["checks"] = [c for c in scope.get("checks") or [] if c != check_id]
        store().put("ps_scopes", "", "scopes", state)


# -- scopes ------------------------------------------------------------------------------------------------------

def _scopes_state():
    return store().get("ps_scopes", "", "scopes") or {
        "scopes": [], "default": {"name": DEFAULT_SCOPE, "description": "Projects no other scope selects",
                                  "selectionMethod": "ALL", "checks": []}}


def list_scopes():
    """Priority order: the first scope that selects a project applies; the default one is always last."""
    state = _scopes_state()
    return state["scopes"] + [state["default"]]


def default_scope():
    return _scopes_state()["default"]


def get_scope(name):
    for scope in list_scopes():
        if scope["name"] == name:
            return scope
    raise _missing("Project Standards scope %s does not exist" % name)


def _checked_scope(name, body):
    if not isinstance(body, dict):
        raise _bad("A scope must be a JSON object")
    checks = body.get("checks") or []
    if not isinstance(checks, list):
        raise _bad("checks must be a list of check ids")
    unknown = [c for c in checks if store().get("ps_check", "", c) is None]
    if unknown:
        raise _bad("Unknown check(s) %s in scope %s" % (", ".join(map(str, unknown)), name))
    method = body.get("selectionMethod") or "BY_PROJECT"
    if method not in SELECTION_METHODS:
        raise _bad("selectionMethod must be one of %s, got %r" % (", ".join(SELECTION_METHODS), method))
    scope = {"name": name, "description": str(body.get("description") or ""), "selectionMethod": method,
             "checks": list(checks)}
    for field in SELECTED_FIELD.values():
        items = body.get(field) or []
        if not isinstance(items, list):
            raise _bad("%s must be a list" % field)
        scope[field] = list(items)
    return scope


def create_scope(name, body):
    _checked_name(name, "scope name")
    with store().transaction():
        state = _scopes_state()
        if name in [s["name"] for s in list_scopes()]:
            raise _bad("Project Standards scope %s already exists" % name)
        scope = _checked_scope(name, body)
        state["scopes"].append(scope)
        store().put("ps_scopes", "", "scopes", state)
    return scope


def save_scope(name, body):
    """PUT: the name stays; of the default scope only the checks change."""
    with store().transaction():
        state = _scopes_state()
        get_scope(name)
        if isinstance(body, dict) and body.get("name", name) != name:
            raise _bad("A scope cannot be renamed (%s)" % name)
        if name == state["default"]["name"]:
            checked = _checked_scope(name, dict(body or {}, selectionMethod="BY_PROJECT"))
            state["default"]["checks"] = checked["checks"]
            scope = state["default"]
        else:
            scope = _checked_scope(name, body)
            state["scopes"] = [scope if s["name"] == name else s for s in state["scopes"]]
        store().put("ps_scopes", "", "scopes", state)
    return scope


def delete_scope(name):
    with store().transaction():
        state = _scopes_state()
        if name == state["default"]["name"]:
            raise _bad("The default scope cannot be deleted")
        get_scope(name)
        state["scopes"] = [s for s in state["scopes"] if s["name"] != name]
        store().put("ps_scopes", "", "scopes", state)


def reorder_scope(name, index):
    """Move a scope to `index` of the list without it (the default scope stays last)."""
    with store().transaction():
        state = _scopes_state()
        if name == state["default"]["name"]:
            raise _bad("The default scope cannot be reordered")
        scope = get_scope(name)
        others = [s for s in state["scopes"] if s["name"] != name]
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= len(others):
            raise _bad("index must be an integer from 0 to %d, got %r" % (len(others), index))
        state["scopes"] = others[:index] + [scope] + others[index:]
        store().put("ps_scopes", "", "scopes", state)


def _selects(scope, key, project):
    items = scope.get(SELECTED_FIELD[scope["selectionMethod"]]) or []
    if scope["selectionMethod"] == "BY_PROJECT":
        return key in items
    if scope["selectionMethod"] == "BY_TAG":
        return bool(set(project.get("tags") or []) & set(items))
    folder = (store().get("project_location", key, "location") or {}).get("projectFolderId", "ROOT")
    return folder in items


def scope_of(key):
    """The scope that applies to project `key`: the first that selects it, else the default one."""
    project = require_project(key)
    state = _scopes_state()
    return next((s for s in state["scopes"] if _selects(s, key, project)), state["default"])


# -- runs and reports --------------------------------------------------------------------------------------------

def _check_list_item(check):
    return {k: copy.deepcopy(check.get(k)) for k in ("id", "name", "description", "checkElementType", "checkParams",
                                                     "tags")}


def run(key, check_ids=None, bundle_id=None):
    """Evaluate checks on the project's current state and return the report. `check_ids` None: the checks of the
    project's scope (and then, unless for a bundle, the report becomes the project's last report)."""
    project = require_project(key)
    scope = scope_of(key)
    ids = (scope.get("checks") or []) if check_ids is None else check_ids
    checks = [get_check(c) for c in ids]
    start = now_ms()
    run_info = {}
    for check in checks:
        began = now_ms()
        element_type = check["checkElementType"]
        defined = _defined_spec(element_type)
        params = specs.default_params(element_type, defined)
        params.update(check.get("checkParams") or {})
        result = specs.evaluate(element_type, defined, key, project, params)
        run_info[check["id"]] = {"check": _check_list_item(check), "result": result,
                                 "durationMs": now_ms() - began, "expandedCheckParams": params}
    report = {"projectKey": key, "scope": scope["name"], "requester": current_user(), "startTime": start,
              "totalDurationMs": now_ms() - start, "bundleChecksRunInfo": run_info}
    if bundle_id is not None:
        report["bundleId"] = bundle_id
    elif check_ids is None:
        store().put("ps_last_report", key, "last", report)
    return report


def last_report(key):
    require_project(key)
    return store().get("ps_last_report", key, "last")


def bundle_report(key, bundle_id):
    """The report to keep with a bundle being exported, or None when no check applies to the project [INF: DSS
    adds a report "if Project Standards is configured"]."""
    if not scope_of(key).get("checks"):
        return None
    return run(key, bundle_id=bundle_id)


# -- the deployer's policy ---------------------------------------------------------------------------------------

def check_infra(doc):
    """Validate an infrastructure's Project Standards policy (absent fields take their defaults)."""
    doc.setdefault(POLICY_FIELD, "NO_CHECK")
    doc.setdefault(MIN_SEVERITY_FIELD, 1)
    if doc[POLICY_FIELD] not in POLICIES:
        raise _bad("%s must be one of %s, got %r" % (POLICY_FIELD, ", ".join(POLICIES), doc[POLICY_FIELD]))
    severity = doc[MIN_SEVERITY_FIELD]
    if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 5:
        raise _bad("%s must be an integer from 1 (any issue) to 5 (critical issues only), got %r"
                   % (MIN_SEVERITY_FIELD, severity))
    return doc


def failing_checks(report, min_severity):
    """[(check name, severity)] of the checks that ran and found an issue of at least `min_severity`."""
    out = []
    for check_id, info in sorted(((report or {}).get("bundleChecksRunInfo") or {}).items()):
        result = info.get("result") or {}
        severity = result.get("severity")
        if result.get("status") == "RUN_SUCCESS" and isinstance(severity, int) and severity >= min_severity:
            out.append(((info.get("check") or {}).get("name") or check_id, severity))
    return out
