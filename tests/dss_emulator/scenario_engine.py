"""Deciding what a scenario run or a build job ends with (no I/O here).

Python (scenario steps, Python recipes) really runs, through `Lookup.run_python`; everything else is derived from
the flow and the connections, with the rules of docs/emulator-scenarios.md. Route modules pass a `Lookup` (read
access to datasets, recipes, connections; running Python) and turn the step results into run, step-run and job
documents.
"""

import abc

RANK = {"SUCCESS": 0, "WARNING": 1, "FAILED": 2, "ABORTED": 3}
DECLARED_OUTCOME = "emulatorOutcome"  # step params key: the step ends with this outcome (SUCCESS|WARNING|FAILED)
UNREACHABLE_TLD = ".invalid"  # RFC 6761: never resolves, so a connection whose host ends with it is unreachable
DEFAULT_RUN_IF = ("SUCCESS", "WARNING")  # DSS's default step run condition: the run so far is not FAILED
RUNNING_MS = 200  # a run or job reads as running (no result) this long after it starts, so clients really poll

NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"
ILLEGAL_ARGUMENT = "java.lang.IllegalArgumentException"
UNKNOWN_HOST = "java.net.UnknownHostException"
PYTHON_RECIPE = "python"
DECLARED_FAILURE = "com.dataiku.dip.scenario.StepFailedException"


class Lookup(abc.ABC):
    """Read access the engine needs; the routes implement it over the store."""

    @abc.abstractmethod
    def dataset(self, project_key, name):
        """The dataset definition, or None."""

    @abc.abstractmethod
    def recipes(self, project_key):
        """Recipe definitions (the inner `recipe` objects) of a project, in store order."""

    @abc.abstractmethod
    def recipe_code(self, project_key, name):
        """The code (payload) of a code recipe."""

    @abc.abstractmethod
    def connection(self, name):
        """The connection definition, or None."""

    @abc.abstractmethod
    def run_python(self, project_key, script, flow):
        """Run Python code of the project: (thrown or None, output text). flow: None for a scenario step, or the
        recipe's declared {"inputs": [...], "outputs": [...]} as PROJECT.name."""


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


def _producers(lookup, project_key, name):
    return [r for r in lookup.recipes(project_key)
            if (project_key, name) in [_split(project_key, ref) for ref in _refs(r.get("outputs"))]]


def _full_names(project_key, roles):
    return ["%s.%s" % _split(project_key, ref) for ref in _refs(roles)]


def _run_recipe(lookup, project_key, recipe, logs):
    """Run a Python recipe with its declared inputs/outputs; the `thrown` of its failure or None."""
    label = "%s.%s" % (project_key, recipe.get("name"))
    flow = {"inputs": _full_names(project_key, recipe.get("inputs")),
            "outputs": _full_names(project_key, recipe.get("outputs")),
            "envSelection": (recipe.get("params") or {}).get("envSelection")}
    failure, output = lookup.run_python(project_key, lookup.recipe_code(project_key, recipe.get("name")), flow)
    logs.append("Running Python recipe %s" % label)
    logs.extend(line for line in output.splitlines() if line.strip())
    return failure


def dataset_build_failure(lookup, project_key, name, recursive, logs, _seen=None):
    """None if building dataset `name` succeeds, else the `thrown` of the first failure found, in this order:
    the dataset is missing; a producing recipe reads a missing dataset (broken flow); (recursive builds) an
    upstream build fails; an input's connection is missing/unreachable; the dataset's own connection is; a
    producing Python recipe fails when run. `logs` collects the output of the recipes run."""
    seen = _seen if _seen is not None else set()
    if (project_key, name) in seen:
        return None
    seen.add((project_key, name))
    dataset = lookup.dataset(project_key, name)
    if dataset is None:
        return thrown(NOT_FOUND, "Dataset %s.%s does not exist" % (project_key, name))
    producers = _producers(lookup, project_key, name)
    for recipe in producers:
        inputs = [_split(project_key, r) for r in _refs(recipe.get("inputs"))]
        for owner, input_name in inputs:
            if lookup.dataset(owner, input_name) is None:
                return thrown(NOT_FOUND, "Broken flow: recipe %s.%s reads dataset %s.%s, which does not exist"
                              % (project_key, recipe.get("name"), owner, input_name))
        for owner, input_name in inputs:
            failure = (dataset_build_failure(lookup, owner, input_name, True, logs, seen) if recursive
                       else _connection_failure(lookup, owner, lookup.dataset(owner, input_name)))
            if failure:
                return failure
    failure = _connection_failure(lookup, project_key, dataset)
    for recipe in producers:
        ran = ("recipe", project_key, recipe.get("name"))
        if failure or recipe.get("type") != PYTHON_RECIPE or ran in seen:
            continue
        seen.add(ran)
        failure = _run_recipe(lookup, project_key, recipe, logs)
    return failure


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
    """Outcome of one build job over `outputs` [(project, dataset)]: (outcome, thrown or None, log lines)."""
    logs, seen = [], set()
    for owner, name in outputs:
        failure = dataset_build_failure(lookup, owner, name, is_recursive(job_type), logs, seen)
        if failure:
            return "FAILED", failure, logs
    return "SUCCESS", None, logs


def run_step(lookup, project_key, step):
    """One executed step: {"outcome", "thrown", "log": [lines], "build": None | {"outputs", "jobType", "outcome",
    "thrown", "log"}}."""
    params = step.get("params") or {}
    result = {"outcome": "SUCCESS", "thrown": None, "build": None, "log": []}
    if step.get("type") == "build_flowitem":
        outputs = _builds(step, project_key)
        if outputs:
            job_type = params.get("jobType") or "RECURSIVE_BUILD"
            outcome, failure, log = build_result(lookup, outputs, job_type)
            result["build"] = {"outputs": outputs, "jobType": job_type, "outcome": outcome, "thrown": failure,
                               "log": log}
            if failure:
                failure = dict(failure, title="Job failed: " + failure["title"])
                result.update(outcome="FAILED", thrown=failure)
    elif step.get("type") == "custom_python":
        failure, output = lookup.run_python(project_key, params.get("script") or "", None)
        result["log"] = output.splitlines()
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


def scenario_steps(scenario, payload_script):
    """The steps of a scenario: `params.steps`, or for a custom_python scenario one step, its script."""
    if scenario.get("type") == "custom_python":
        return [{"id": "script", "name": "Python script", "type": "custom_python",
                 "params": {"script": payload_script or ""}}]
    return [s for s in (scenario.get("params") or {}).get("steps") or [] if isinstance(s, dict)]


def run_scenario(lookup, scenario, payload_script, on_step=None, stopped=lambda: False):
    """Execute a scenario's steps in order under DSS's run conditions, calling on_step(step, result) after each,
    until `stopped()`; returns the run's (outcome, thrown): the worst executed step outcome (SUCCESS < WARNING <
    FAILED) and the first failed step's `thrown`."""
    project_key = scenario.get("projectKey")
    outcome, first_thrown = "SUCCESS", None
    for index, step in enumerate(scenario_steps(scenario, payload_script)):
        if stopped():
            break
        if not _should_run(step, outcome):
            continue
        step = dict(step, id=step.get("id") or "step_%d" % index, name=step.get("name") or "Step #%d" % (index + 1))
        result = run_step(lookup, project_key, step)
        if on_step:
            on_step(step, result)
        outcome = worst([outcome, result["outcome"]])
        if first_thrown is None and result["thrown"] and result["outcome"] == "FAILED":
            first_thrown = result["thrown"]
    return outcome, first_thrown
