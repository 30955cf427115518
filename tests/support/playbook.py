"""Run real `ansible-playbook` against emulator nodes and collect per-task results.

    result = run_playbook(tmp_path, tasks=[{...}], check=True, diff=True, extra_vars={...})
    result.rc, result.output (stdout+stderr), result.tasks (list of dicts), result.task("name")

Each task record: task, action, host, status (ok|changed|failed|ignored|skipped|unreachable), changed, result.
"""

import json
import os
import shlex
import sys

import yaml

from tests.support import processes
from tests.support.collection import ROOT, ensure_collection_link

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
CALLBACKS = os.path.join(ROOT, "tests", "support", "callback_plugins")


class PlaybookResult:
    def __init__(self, rc, output, tasks, playbook_path):
        self.rc = rc
        self.output = output
        self.tasks = tasks
        self.playbook_path = playbook_path

    def task(self, name, host=None):
        """The (last) record of the task named ``name``."""
        found = [t for t in self.tasks if t["task"] == name and (host is None or t["host"] == host)]
        if not found:
            raise AssertionError("no task %r in results; tasks were %s\n%s" % (
                name, [t["task"] for t in self.tasks], self.output[-4000:]))
        return found[-1]

    def changed_count(self):
        return sum(1 for t in self.tasks if t["status"] == "changed")

    def snapshot(self, name, host=None):
        """(state digest, write count) of the emulator node when the task ``name`` of ``snapshot_task`` ran."""
        stats = self.task(name, host)["result"]["ansible_facts"]["emulator_stats"]
        return stats["state_digest"], sum(stats["requests"].get(m, 0) for m in ("POST", "PUT", "DELETE", "PATCH"))

    def stats_at(self, name, host=None):
        """The emulator node's whole stats (request counters, bytes received, digest) at the ``snapshot_task``
        ``name``."""
        return self.task(name, host)["result"]["ansible_facts"]["emulator_stats"]

    def output_of(self, name):
        """What ansible-playbook printed for the task ``name`` (its status, its diff): the text from its TASK banner
        to the next banner, so that one run's tasks can each be checked for what they printed."""
        after = self.output.split("TASK [%s]" % name, 1)[1]
        return after.split("\nTASK [", 1)[0].split("\nPLAY RECAP", 1)[0]

    def __repr__(self):
        return "<PlaybookResult rc=%s tasks=%d>\n%s" % (self.rc, len(self.tasks), self.output[-6000:])


def ansible_env(extra_env=None, results_file=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(),
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        # A module's script on the interpreter's standard input, as ansible.cfg's `pipelining = True` has it: without,
        # the local connection runs four more shell commands per module (its home, mkdir, chmod, rm), about 22 ms of
        # CPU. Ansible's default (no pipelining) is what the packaging tier runs: the README's and CI templates'
        # commands, molecule and ansible-runner.
        "ANSIBLE_PIPELINING": "1",
        "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    })
    for var in ("DATAIKU_URL", "DATAIKU_API_KEY", "DATAIKU_VALIDATE_CERTS"):
        env.pop(var, None)  # tests pass connection options explicitly unless they set these on purpose
    if results_file:
        env["DSS_TEST_RESULTS"] = results_file
    env.update(extra_env or {})
    return env


def run_playbook(workdir, tasks=None, playbook=None, check=False, diff=False, extra_vars=None, env=None,
                 inventory=None, args=(), name="play", timeout=600):
    """Write ``tasks`` (a list of task dicts, run on localhost) or ``playbook`` (YAML text or a list of plays) into
    ``workdir`` and run ansible-playbook on it."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    if playbook is None:
        playbook = [{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    if not isinstance(playbook, str):
        playbook = yaml.safe_dump(playbook, sort_keys=False)
    existing = [f for f in os.listdir(workdir) if f.startswith(name) and f.endswith(".yml")]
    path = os.path.join(workdir, "%s-%d.yml" % (name, len(existing)))
    with open(path, "w", encoding="utf-8") as out:
        out.write(playbook)
    results_file = path + ".results.jsonl"
    cmd = [ANSIBLE_PLAYBOOK, path]
    cmd += ["-i", inventory] if inventory else ["-i", "localhost,", "-c", "local"]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += list(args)
    proc = processes.run(cmd, cwd=workdir, env=ansible_env(env, results_file), timeout=timeout)
    tasks_done = []
    if os.path.exists(results_file):
        with open(results_file, encoding="utf-8") as fh:
            tasks_done = [json.loads(line) for line in fh if line.strip()]
    return PlaybookResult(proc.returncode, proc.stdout + proc.stderr, tasks_done, path)


def stats_command(node):
    """The shell command that prints an emulator node's stats (state digest, request counters) as JSON."""
    return "curl -sSf %s/__emulator__/stats" % node.url


def snapshot_task(name, node):
    """A task that records an emulator node's state digest and request counters at this point of the run (read it
    with ``result.snapshot(name)``): a lookup in the controller, no module start, so one run can hold a check, the
    real run and the re-run and still tell what each of them wrote. curl through the pipe lookup costs the task's
    worker a third of the CPU of the url lookup, whose imports each worker pays."""
    return {"name": name, "vars": {"emulator_stats_command": stats_command(node)}, "ansible.builtin.set_fact": {
        "emulator_stats": "{{ lookup('ansible.builtin.pipe', emulator_stats_command) | from_json }}"}}


def snapshot_steps(node, *tasks):
    """``tasks`` with a ``snapshot_task`` of ``node`` before the first (``"start"``) and after each (``"after
    <name>"``, name: the task's): one run holding a check, the real run and the re-run tells what each wrote."""
    steps = [snapshot_task("start", node)]
    for task in tasks:
        steps += [task, snapshot_task("after " + task["name"], node)]
    return steps


def save_state_task(name, node, folder):
    """A task that saves a node's whole state into the new directory ``folder`` at this point of the run (POST
    /__emulator__/snapshot from the controller through curl, no module start): after the run, ``node.restore(folder)``
    puts that state back so that the official client reads what the node held between two tasks of one run."""
    body = json.dumps({"dir": os.path.abspath(str(folder))})
    command = "curl -sSf -X POST -H 'Content-Type: application/json' --data %s %s/__emulator__/snapshot" % (
        shlex.quote(body), node.url)
    return {"name": name, "vars": {"emulator_save_command": command}, "ansible.builtin.set_fact": {
        "emulator_saved": "{{ lookup('ansible.builtin.pipe', emulator_save_command) | from_json }}"}}


def run_cases(workdir, task_name, module, cases, name="cases", **kwargs):
    """Independent cases of one task in one ansible-playbook run (one start instead of one per case): each case is a
    host of its own (a local one) whose variable ``case`` holds the module's options, so a case that fails stops only
    its host. ``cases`` maps a host name to the options; read each case with ``result.task(task_name, host=name)``.
    An option a case leaves out is omitted (``default(omit)``), as if the task did not set it."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    options = sorted({option for args in cases.values() for option in args})
    hosts = {host: {"ansible_connection": "local", "case": args} for host, args in cases.items()}
    inventory = os.path.join(workdir, "%s-inventory.yml" % name)
    with open(inventory, "w", encoding="utf-8") as out:
        yaml.safe_dump({"all": {"hosts": hosts}}, out, sort_keys=False)
    task = {"name": task_name, module: {option: "{{ case.%s | default(omit) }}" % option for option in options}}
    play = [{"name": name, "hosts": "all", "gather_facts": False, "tasks": [task]}]
    return run_playbook(workdir, playbook=play, inventory=inventory, name=name, **kwargs)
