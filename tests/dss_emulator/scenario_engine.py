"""Deciding what a scenario run or a build job ends with, from the project's current content (no I/O here).

The emulator runs nothing: an outcome is derived from the flow and the connections, with the rules of
docs/emulator-scenarios.md. Route modules pass a `Lookup` (read access to datasets, recipes, connections and
scenario scripts) and turn the returned step results into run, step-run and job documents.
"""

import ast

RANK = {"SUCCESS": 0, "WARNING": 1, "FAILED": 2, "ABORTED": 3}
DECLARED_OUTCOME = "emulatorOutcome"  # step params key: the step ends with this outcome (SUCCESS|WARNING|FAILED)
UNREACHABLE_TLD = ".invalid"  # RFC 6761: never resolves, so a connection whose host ends with it is unreachable
DEFAULT_RUN_IF = ("SUCCESS", "WARNING")  # DSS's default step run condition: the run so far is not FAILED
RUNNING_MS = 200  # a run or job reads as running (no result) this long after it starts, so clients really poll

NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"
ILLEGAL_ARGUMENT = "java.lang.IllegalArgumentException"
UNKNOWN_HOST = "java.net.UnknownHostException"
PYTHON_FAILED = "com.dataiku.dip.exceptions.ExternalProcessFailedException"
DECLARED_FAILURE = "com.dataiku.dip.scenario.StepFailedException"


class Lookup:
    """Read access the engine needs; the routes implement it over the store."""

    def dataset(self, project_key, name):
        raise NotImplementedError

    def recipes(self, project_key):
        """Recipe definitions (the inner `recipe` objects) of a project, in store order."""
        raise NotImplementedError

    def connection(self, name):
        raise NotImplementedError


def worst(outcomes, default="SUCCESS"):
    return max(outcomes, key=lambda o: RANK.get(o, RANK["FAILED"]), default=default)


def thrown(clazz, message):
    return {"clazz": clazz, "title": message, "message": message}


def _refs(roles):
    return [item.get("ref") for role in (roles or {}).values() for item in (role or {}).get("items") or []
            if item.get("ref")]


def _split(project_key, ref):
    """Flow refs are `name` (this project) or `PROJECT.name` (a shared dataset)."""
    if "." in ref:
        owner, name = ref.split(".", 1)
        return owner, name
    return project_key, ref


def unresolvable_host(connection):
    host = str((connection.get("params") or {}).get("host") or "").strip().rstrip(".").lower()
    return host if host.endswith(UNREACHABLE_TLD) else None


def _connection_failure(lookup, project_key, dataset):
    name = (dataset.get("params") or {}).get("connection")
    if not name:
        return None  # datasets without a connection (uploaded, inline...) need none
    label = "%s.%s" % (project_key, dataset.get("name"))
    connection = lookup.connection(name)
    if connection is None:
        return thrown(ILLEGAL_ARGUMENT,
                      "Connection '%s' used by dataset %s does not exist on this node" % (name, label))
    host = unresolvable_host(connection)
    if host:
        return thrown(UNKNOWN_HOST, "Cannot connect to connection '%s' used by dataset %s: host '%s' does not resolve"
                      % (name, label, host))
    return None


def dataset_build_failure(lookup, project_key, name, recursive, _seen=None):
    """None if building dataset `name` succeeds, else the `thrown` of the first failure found, in this order:
    the dataset is missing; a producing recipe reads a missing dataset (broken flow); (recursive builds) an
    upstream build fails; an input's connection is missing/unreachable; the dataset's own connection is."""
    seen = _seen if _seen is not None else set()
    if (project_key, name) in seen:
        return None
    seen.add((project_key, name))
    dataset = lookup.dataset(project_key, name)
    if dataset is None:
        return thrown(NOT_FOUND, "Dataset %s.%s does not exist" % (project_key, name))
    for recipe in lookup.recipes(project_key):
        if (project_key, name) not in [_split(project_key, r) for r in _refs(recipe.get("outputs"))]:
            continue  # not a producing recipe
        inputs = [_split(project_key, r) for r in _refs(recipe.get("inputs"))]
        for owner, input_name in inputs:
            if lookup.dataset(owner, input_name) is None:
                return thrown(NOT_FOUND, "Broken flow: recipe %s.%s reads dataset %s.%s, which does not exist"
                              % (project_key, recipe.get("name"), owner, input_name))
        for owner, input_name in inputs:
            failure = (dataset_build_failure(lookup, owner, input_name, True, seen) if recursive
                       else _connection_failure(lookup, owner, lookup.dataset(owner, input_name)))
            if failure:
                return failure
    return _connection_failure(lookup, project_key, dataset)


def script_failure(script):
    """The `thrown` of the first `raise` statement of a Python script (in source order), or of its syntax error.

    Statically: a `raise` anywhere, even in a branch that would not run, fails the step (documented rule)."""
    try:
        tree = ast.parse(script or "")
    except SyntaxError as exc:
        return thrown(PYTHON_FAILED, "Error in Python process: At line %s: <class 'SyntaxError'>: %s"
                      % (exc.lineno, exc.msg))
    raises = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Raise)), key=lambda n: (n.lineno, n.col_offset))
    if not raises:
        return None
    node = raises[0]
    clazz, message = _raised(node.exc)
    return thrown(PYTHON_FAILED,
                  "Error in Python process: At line %d: <class '%s'>: %s" % (node.lineno, clazz, message))


def _raised(exc):
    """(class name, message) of a raise expression such as Exception("boom"), ValueError, or a bare raise."""
    if exc is None:
        return "RuntimeError", "No active exception to reraise"
    call = exc if isinstance(exc, ast.Call) else None
    target = call.func if call else exc
    clazz = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "Exception")
    message = ""
    if call and call.args:
        first = call.args[0]
        message = first.value if isinstance(first, ast.Constant) else ast.unparse(first)
    return clazz, str(message)


def _should_run(step, outcome_so_far):
    condition = step.get("runConditionType") or "RUN_IF_STATUS_MATCH"
    if condition == "DISABLED" or step.get("enabled") is False:
        return False
    if condition == "RUN_ALWAYS":
        return True
    statuses = step.get("runConditionStatuses") or DEFAULT_RUN_IF
    return outcome_so_far in statuses


def _builds(step, project_key):
    """(project, dataset name) of each DATASET build of a build_flowitem step; other item types are not checked."""
    items = []
    for build in (step.get("params") or {}).get("builds") or []:
        if (build.get("type") or "DATASET") == "DATASET" and build.get("itemId"):
            items.append(_split(build.get("projectKey") or project_key, build["itemId"]))
    return items


def is_recursive(job_type):
    return str(job_type or "").startswith("RECURSIVE")


def build_result(lookup, outputs, job_type):
    """Outcome of one build job over `outputs` [(project, dataset)]: (outcome, thrown or None)."""
    for owner, name in outputs:
        failure = dataset_build_failure(lookup, owner, name, is_recursive(job_type))
        if failure:
            return "FAILED", failure
    return "SUCCESS", None


def run_step(lookup, project_key, step):
    """One executed step: {"outcome", "thrown", "build": None | {"outputs", "jobType", "outcome", "thrown"}}."""
    params = step.get("params") or {}
    result = {"outcome": "SUCCESS", "thrown": None, "build": None}
    if step.get("type") == "build_flowitem":
        outputs = _builds(step, project_key)
        if outputs:
            job_type = params.get("jobType") or "RECURSIVE_BUILD"
            outcome, failure = build_result(lookup, outputs, job_type)
            result["build"] = {"outputs": outputs, "jobType": job_type, "outcome": outcome, "thrown": failure}
            if failure:
                failure = dict(failure, title="Job failed: " + failure["title"])
                result.update(outcome="FAILED", thrown=failure)
    elif step.get("type") == "custom_python":
        failure = script_failure(params.get("script"))
        if failure:
            result.update(outcome="FAILED", thrown=failure)
    declared = params.get(DECLARED_OUTCOME)
    if declared is not None and result["outcome"] == "SUCCESS":
        result.update(_declared(declared))
    return result


def _declared(value):
    outcome = str(value).upper()
    if outcome not in ("SUCCESS", "WARNING", "FAILED"):
        message = "Invalid %s '%s': use SUCCESS, WARNING or FAILED" % (DECLARED_OUTCOME, value)
        return {"outcome": "FAILED", "thrown": thrown(ILLEGAL_ARGUMENT, message)}
    failure = thrown(DECLARED_FAILURE, "Step declared to end with FAILED (%s)" % DECLARED_OUTCOME)
    return {"outcome": outcome, "thrown": failure if outcome == "FAILED" else None}


def run_scenario(lookup, scenario, payload_script):
    """Executed steps of a scenario run, in order: [(step, step result)], and the run's (outcome, thrown).

    Step-based scenarios run `params.steps` under DSS's run conditions; a custom_python scenario is one step, its
    script. The run's outcome is the worst executed step outcome (SUCCESS < WARNING < FAILED)."""
    project_key = scenario.get("projectKey")
    if scenario.get("type") == "custom_python":
        steps = [{"id": "script", "name": "Python script", "type": "custom_python",
                  "params": {"script": payload_script or ""}}]
    else:
        steps = [s for s in (scenario.get("params") or {}).get("steps") or [] if isinstance(s, dict)]
    executed, outcome, first_thrown = [], "SUCCESS", None
    for index, step in enumerate(steps):
        if not _should_run(step, outcome):
            continue
        step = dict(step, id=step.get("id") or "step_%d" % index, name=step.get("name") or "Step #%d" % (index + 1))
        result = run_step(lookup, project_key, step)
        executed.append((step, result))
        outcome = worst([outcome, result["outcome"]])
        if first_thrown is None and result["thrown"] and result["outcome"] == "FAILED":
            first_thrown = result["thrown"]
    return executed, outcome, first_thrown
