"""The check specs of the emulated Project Standards: what each one verifies on the real state of a project.

In DSS a check spec is a plugin component (Python code) returning a severity, 0 for "no issue" up to 5; the emulator
ships three built-in specs evaluated on the project's documents, and runs the specs defined through the control
endpoint (routes/project_standards.py) with the fixed result they were given. Each evaluation returns a run result
{status, severity, message, details} as dataikuapi's DSSProjectStandardsCheckRunResult reads it.
"""

from .activation import _project_env_settings, _recipe_env_selection, _recipe_inner
from .code_env_model import env_id
from .node import store

BUILTIN_PLUGIN = "emulator-standards"
STATUSES = ("RUN_SUCCESS", "RUN_ERROR", "NOT_APPLICABLE")
SEVERITY_NAMES = ("SUCCESS", "LOWEST", "LOW", "MEDIUM", "HIGH", "CRITICAL")
PYTHON_RECIPE_TYPES = ("python", "pyspark")


def success(message, details=None):
    return {"status": "RUN_SUCCESS", "severity": 0, "message": message, "details": details or {}}


def issue(severity, message, details=None):
    return {"status": "RUN_SUCCESS", "severity": severity, "message": message, "details": details or {}}


def not_applicable(message):
    return {"status": "NOT_APPLICABLE", "severity": None, "message": message, "details": {}}


def run_error(message):
    return {"status": "RUN_ERROR", "severity": None, "message": message, "details": {}}


def _severity(params):
    """The severity a failing built-in check reports (param `severity`, 1 to 5), or None when it is not usable."""
    value = params.get("severity")
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5 else None


# -- built-in specs ----------------------------------------------------------------------------------------------

def _has_description(key, project, params):
    if (project.get("description") or "").strip() or (project.get("shortDesc") or "").strip():
        return success("Project %s has a description" % key)
    return issue(params["severity"], "Project %s has no description: say what the project does in its summary" % key)


def _python_env(project, recipe):
    """(env name or None for the built-in env) a Python recipe runs in: its own selection, else the project's."""
    pinned = _recipe_env_selection(recipe)
    if pinned:
        return pinned[1]["envName"]
    inner = _recipe_inner(recipe)
    selection = (inner.get("params") or {}).get("envSelection") or {}
    if selection.get("envMode") in ("USE_BUILTIN_MODE", "BUILTIN"):
        return None
    for lang, conf in _project_env_settings(project):
        if lang == "PYTHON":
            return conf["envName"]
    return None


def _code_envs_exist(key, project, params):
    st = store()
    recipes = [r for r in st.list("recipe", key)
               if str(_recipe_inner(r).get("type", "")).lower() in PYTHON_RECIPE_TYPES]
    if not recipes:
        return not_applicable("Project %s has no Python recipe" % key)
    missing = []
    for recipe in recipes:
        name = _python_env(project, recipe)
        if name is not None and st.get("code_env", "", env_id("PYTHON", name)) is None:
            missing.append({"recipe": _recipe_inner(recipe).get("name"), "envName": name})
    if not missing:
        return success("The %d Python recipe(s) of %s use code envs that exist on this node" % (len(recipes), key))
    text = ", ".join("%s (code env %s)" % (m["recipe"], m["envName"]) for m in missing)
    return issue(params["severity"], "Python recipe(s) using a code env that does not exist on this node: %s" % text,
                 {"missingCodeEnvs": missing})


def _scenarios_have_triggers(key, _project, params):
    scenarios = [s for s in store().list("scenario", key)
                 if not (params.get("ignoreTestScenarios", True) and s.get("markedAsTest"))]
    if not scenarios:
        return not_applicable("Project %s has no scenario to check" % key)
    bare = [s["id"] for s in scenarios if not s.get("triggers")]
    if not bare:
        return success("Every scenario of %s has a trigger" % key)
    return issue(params["severity"], "Scenario(s) without any trigger: %s" % ", ".join(bare), {"scenarios": bare})


# element type -> (label, description, default params, evaluate(key, project doc, expanded params))
BUILTIN = {
    BUILTIN_PLUGIN + "_project-has-description": (
        "Project has a description", "The project's description (or short description) is not empty.",
        {"severity": 2}, _has_description),
    BUILTIN_PLUGIN + "_python-code-envs-exist": (
        "Python recipes use existing code envs", "Every Python recipe runs in a code env that exists on the node "
        "that runs the check (its own, else the project's default; the built-in env always exists).",
        {"severity": 4}, _code_envs_exist),
    BUILTIN_PLUGIN + "_scenarios-have-triggers": (
        "Scenarios have triggers", "Every scenario has at least one trigger (scenarios marked as test are skipped "
        "unless ignoreTestScenarios is false).",
        {"severity": 3, "ignoreTestScenarios": True}, _scenarios_have_triggers),
}


def builtin_spec_info(element_type):
    label, description, _params, _evaluate = BUILTIN[element_type]
    return {"elementType": element_type, "label": label, "description": description, "ownerPluginId": BUILTIN_PLUGIN}


def default_params(element_type, defined):
    if element_type in BUILTIN:
        return dict(BUILTIN[element_type][2])
    return dict((defined or {}).get("defaultParams") or {})


def evaluate(element_type, defined, key, project, params):
    """The run result of one check on project `key`; a spec that no longer exists, or bad params, is a RUN_ERROR
    (as a plugin check whose code fails)."""
    if element_type in BUILTIN:
        if _severity(params) is None:
            return run_error("Check param severity must be an integer from 1 to 5, got %r" % (params.get("severity"),))
        return BUILTIN[element_type][3](key, project, params)
    if defined is None:
        return run_error("Check spec %s is not installed on this node" % element_type)
    result = (defined.get("projects") or {}).get(key) or defined["result"]
    return dict(result, details=dict(result.get("details") or {}))
