"""Runs scenario and recipe Python code for real: one process per script, with a time limit.

The process is this interpreter running runtime/run_python.py with runtime/ first on PYTHONPATH, so `import
dataiku` finds the emulator's package; the node's URL, the caller's API key, the project key and (for recipes) the
declared inputs/outputs travel by environment. Scripts run in a fresh temp dir; a run can be killed by token.
A script that works with DataFrames is forked from the node's preloaded zygote instead of a fresh interpreter
(python_zygote.py: same runner, environment and output, without paying the pandas import each time).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading

from . import python_zygote

RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
TIME_LIMIT_ENV = "DSS_EMULATOR_PYTHON_TIMEOUT"
DEFAULT_TIME_LIMIT_S = 300
SCRATCH = "tmp"  # under the data dir: the scripts' work directories (scratch_dir)
PYTHON_FAILED = "com.dataiku.dip.exceptions.ExternalProcessFailedException"
LOG_LIMIT = 64 * 1024  # keep the tail of a chatty script's output
ZYGOTE_ENV = "DSS_EMULATOR_PYTHON_PRELOAD"  # "0": never fork from the preloaded zygote (python_zygote.py)
PANDAS_HINTS = ("pandas", "numpy", "dataframe")

_live = {}  # token -> [Popen], the processes a scenario run (or a job) has running now
_killed = set()
_scenario_variables = {}  # token -> variables set by set_scenario_variables in the run's steps so far
_lock = threading.Lock()


class NodeContext:
    """What code run on this node needs: its URL and data dir, the caller's API key, and a kill token."""

    def __init__(self, url, api_key, data_dir, token=None):
        self.url, self.api_key, self.data_dir, self.token = url, api_key, data_dir, token


def datasets_dir(data_dir):
    return os.path.join(data_dir, "datasets")


def folders_dir(data_dir):
    return os.path.join(data_dir, "managed_folders")


def scratch_dir(data_dir):
    """Where a script's work directory goes: under the node's data dir, as DSS keeps its jobs' files under its own,
    so that a node killed mid-script leaves them with its data rather than in the machine's /tmp. Not node state:
    snapshots leave it out."""
    folder = os.path.join(data_dir, SCRATCH)
    os.makedirs(folder, exist_ok=True)
    return folder


def time_limit():
    try:
        return float(os.environ.get(TIME_LIMIT_ENV) or DEFAULT_TIME_LIMIT_S)
    except ValueError:
        return DEFAULT_TIME_LIMIT_S


def _env(context, project_key, flow, project, variables_out):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DKU_")}
    env.update({"PYTHONPATH": os.pathsep.join([RUNTIME] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
                "PYTHONUNBUFFERED": "1", "DKU_CURRENT_PROJECT_KEY": project_key,
                "DKU_EMULATOR_URL": context.url, "DKU_EMULATOR_API_KEY": context.api_key,
                "DKU_EMULATOR_DATASETS_DIR": datasets_dir(context.data_dir),
                "DKU_EMULATOR_FOLDERS_DIR": folders_dir(context.data_dir),
                "DKU_EMULATOR_SCENARIO_VARIABLES_OUT": variables_out})
    if sys.dont_write_bytecode:  # `python -B` (an installed collection): no bytecode next to the runtime either
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    with _lock:
        if context.token in _scenario_variables:
            env["DKU_EMULATOR_SCENARIO_VARIABLES"] = json.dumps(_scenario_variables[context.token])
    if flow is not None:
        env["DKU_EMULATOR_RECIPE_FLOW"] = json.dumps(flow)
    env["DKU_EMULATOR_PROJECT"] = json.dumps(project)
    return env


def _thrown(message):
    return {"clazz": PYTHON_FAILED, "title": message, "message": message}


def _failure(report, returncode, timed_out, limit, killed):
    if killed:
        return _thrown("Python process killed: the run was aborted")
    if timed_out:
        return _thrown("Error in Python process: did not finish within %g s (emulator time limit %s)"
                       % (limit, TIME_LIMIT_ENV))
    if report is None:
        return None if returncode == 0 else _thrown("Error in Python process: exited with code %s" % returncode)
    if report["clazz"] == "SystemExit":
        detail = "" if str(report["exitCode"]) == report["message"] else ": " + report["message"]
        return _thrown("Error in Python process: At line %s: exited with code %s%s"
                       % (report["line"], report["exitCode"], detail))
    return _thrown("Error in Python process: At line %s: <class '%s'>: %s"
                   % (report["line"], report["clazz"], report["message"]))


def missing_code_env(env_selection, code_envs):
    """The `thrown` of code pinned to a Python code env this node does not have (DSS cannot start it), else None.
    env_selection: the recipe's or step's `envSelection`; code_envs: the node's Python env names."""
    selection = env_selection if isinstance(env_selection, dict) else {}
    name = selection.get("envName")
    if selection.get("envMode") != "EXPLICIT_ENV" or not name or name in code_envs:
        return None
    return {"clazz": "com.dataiku.dip.exceptions.CodedException", "title": "Code env missing",
            "message": "PYTHON env %s doesn't exist" % name}


class Spawned:
    """A script run by a fresh interpreter: kill(), finish(timeout) -> output bytes, returncode."""

    def __init__(self, script_path, result_path, cwd, env):
        self.proc = subprocess.Popen([sys.executable, os.path.join(RUNTIME, "run_python.py"), script_path,
                                      result_path], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def kill(self):
        self.proc.kill()

    def finish(self, timeout=None):
        return self.proc.communicate(timeout=timeout)[0]

    @property
    def returncode(self):
        return self.proc.returncode


def _needs_pandas(script):
    """Whether the script works with DataFrames (then a fork of the preloaded zygote starts it much faster)."""
    text = (script or "").lower()
    return any(hint in text for hint in PANDAS_HINTS)


def _start(script, script_path, result_path, output_path, cwd, env):
    if _needs_pandas(script) and os.environ.get(ZYGOTE_ENV, "1") != "0":
        zygote_env = dict(os.environ, PYTHONPATH=env["PYTHONPATH"], PYTHONUNBUFFERED="1")
        if "PYTHONDONTWRITEBYTECODE" in env:
            zygote_env["PYTHONDONTWRITEBYTECODE"] = "1"
        forked = python_zygote.start(os.path.join(RUNTIME, "zygote.py"), zygote_env, script_path, result_path,
                                     output_path, cwd, env)
        if forked is not None:
            return forked
    return Spawned(script_path, result_path, cwd, env)


def run(context, project_key, script, flow=None, project=None):
    """Run `script`; (thrown or None, output text). flow: {"inputs", "outputs"} full names for a recipe, plus its
    "envSelection"; project: {"datasets": [full names that exist], "folders": [{projectKey, id, name, type}],
    "variables": {resolved project variables}, "codeEnvs": [Python env names of the node]}."""
    project = project or {}
    if "codeEnvs" in project:
        missing = missing_code_env((flow or {}).get("envSelection"), project["codeEnvs"])
        if missing:
            return missing, ""
    limit = time_limit()
    with tempfile.TemporaryDirectory(prefix="dss-python-", dir=scratch_dir(context.data_dir)) as work:
        script_path = os.path.join(work, "script.py")
        result_path = os.path.join(work, "result.json")
        variables_path = os.path.join(work, "scenario_variables.json")
        with open(script_path, "w", encoding="utf-8") as fp:
            fp.write(script or "")
        env = _env(context, project_key, {k: v for k, v in flow.items() if k != "envSelection"} if flow else flow,
                   project, variables_path)
        proc = _start(script, script_path, result_path, os.path.join(work, "output.txt"), work, env)
        with _lock:
            _live.setdefault(context.token, []).append(proc)
            if context.token in _killed:  # aborted while this process was being started
                proc.kill()
        timed_out = False
        try:
            output = proc.finish(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.finish()
            timed_out = True
        finally:
            with _lock:
                _live[context.token].remove(proc)
                if not _live[context.token]:
                    del _live[context.token]
                killed = context.token in _killed
        report = None
        if os.path.exists(result_path):
            with open(result_path, encoding="utf-8") as fp:
                report = json.load(fp)
        if os.path.exists(variables_path) and context.token is not None:
            with open(variables_path, encoding="utf-8") as fp:
                variables = json.load(fp)
            with _lock:
                _scenario_variables[context.token] = variables
    text = output.decode("utf-8", "replace")[-LOG_LIMIT:]
    return _failure(report, proc.returncode, timed_out, limit, killed), text


def kill(token):
    """Kill the processes running under `token` (an aborted run), and any it starts until `forget(token)`."""
    with _lock:
        procs = list(_live.get(token, []))
        _killed.add(token)
    for proc in procs:
        proc.kill()


def kill_all():
    """Kill every process still running (the node stops)."""
    with _lock:
        tokens = list(_live)
    for token in tokens:
        kill(token)
    python_zygote.stop()


def forget(token):
    """The run of `token` is over (its thread ends)."""
    with _lock:
        _killed.discard(token)
        _scenario_variables.pop(token, None)
