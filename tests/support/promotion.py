"""Three emulated DSS nodes (dev design, staging and prod automation) plus a throw-away git repository, and a runner
for the shipped playbooks against them. Shared by `make demo` (tests/demo/demo.py) and
tests/integration/test_promotion.py.

The shipped inventories (inventories/fleet.yml expanded by the fleet inventory plugin, one host per environment x
project) read each node's URL and key from DSS_<ENV>_URL / DSS_<ENV>_API_KEY; the bundle id comes from the HEAD of
`dss_git_dir`, so committing in the throw-away repository is what makes a new bundle. With more projects than the
shipped CHURN (``Landscape(projects=("CHURN", "FRAUD"))``), each extra project is seeded on dev as a copy of CHURN and
the runs use a copy of the shipped inventories, in the work directory, that describes them too.
"""

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

import yaml

from tests.support import processes, sample_project
from tests.support.collection import ROOT
from tests.support.emulator import EmulatorNode
from tests.support.playbook import ANSIBLE_PLAYBOOK, PlaybookResult, ansible_env

ENVIRONMENTS = ("dev", "staging", "prod")
NODE_TYPES = {"dev": "design", "staging": "automation", "prod": "automation"}
INVENTORY_PORTS = {"dev": 11210, "staging": 11220, "prod": 11230}
GIT_ENV = {"GIT_AUTHOR_NAME": "Demo", "GIT_AUTHOR_EMAIL": "demo@example.com", "GIT_COMMITTER_NAME": "Demo",
           "GIT_COMMITTER_EMAIL": "demo@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def recap(output):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from the PLAY RECAP of ansible-playbook's output."""
    hosts = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in (item.split("=") for item in match.group(2).split())}
    return hosts


class Landscape:
    """``with Landscape() as land:`` three started nodes (``land.nodes["prod"]``), seeded with the CHURN project on
    dev and one connection per environment, and a git repository with one commit."""

    def __init__(self, workdir=None, inventory_ports=False, projects=(sample_project.PROJECT_KEY,), latency_scale=0,
                 environment_playbook=True):
        self._tmp = tempfile.TemporaryDirectory(prefix="dss-promotion-") if workdir is None else None
        self.workdir = str(workdir or self._tmp.name)
        self.git_dir = os.path.join(self.workdir, "repo")
        self.nodes = {}
        self._own_nodes = True
        self.inventory_ports = inventory_ports
        self.projects = tuple(projects)
        self.latency_scale = latency_scale  # the emulator's latency profile (docs/emulator.md), 0: none
        # False: each automation node's connection is created through the official client, as the inventories declare
        # it, instead of a run of playbooks/environment.yml (which test_environment_and_drift.py tests)
        self.environment_playbook = environment_playbook
        self.inventory_dir = os.path.join(ROOT, "inventories")
        self.kept_paths = []  # more files of the work directory a cached copy keeps (tests/support/landscape.py)
        self.outputs = []  # every playbook output, to check that no key was printed
        self.runs = 0
        self._run_numbers = itertools.count(1)  # thread-safe: concurrent runs get distinct result files

    # -- lifecycle ------------------------------------------------------------------------------------------

    def node_types(self):
        """{node name: emulator node type} of this landscape."""
        return dict(NODE_TYPES)

    def use_nodes(self, nodes):
        """Run on these started, fresh nodes ({name: EmulatorNode}, e.g. a pool's) instead of starting nodes of its
        own; close() leaves them running."""
        self.nodes = dict(nodes)
        self._own_nodes = False
        return self

    def start_nodes(self):
        for env in ENVIRONMENTS:
            port = INVENTORY_PORTS[env] if self.inventory_ports and port_is_free(INVENTORY_PORTS[env]) else 0
            # Only when set: a caller may have given EmulatorNode a latency profile of its own (functools.partial).
            latency = {"latency_scale": self.latency_scale} if self.latency_scale else {}
            self.nodes[env] = EmulatorNode(NODE_TYPES[env], port=port, **latency).start()

    def start(self):
        if not self.nodes:
            self.start_nodes()
        for key in self.projects:
            sample_project.seed_design_project(self.nodes["dev"].client(), key)
        if self.projects != (sample_project.PROJECT_KEY,):
            self.inventory_dir = self._write_inventories()
        os.makedirs(self.git_dir)
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit("CHURN: first version of the churn scoring flow")
        self.create_environment_objects([env for env in self.nodes if env != "dev"])
        return self

    def create_environment_objects(self, automation_nodes):
        """Staging and prod get their connections the way users declare them: dss_environment_objects in the
        inventories, applied by playbooks/environment.yml; or, without ``environment_playbook``, the same connections
        through the official client."""
        if not self.environment_playbook:
            for name in automation_nodes:
                sample_project.seed_connection(self.client(name), name.split("_", 1)[0])
            return
        result = self.run("environment.yml", envs=sorted({name.split("_", 1)[0] for name in automation_nodes},
                                                         key=ENVIRONMENTS.index))
        if result.rc != 0:
            raise RuntimeError("playbooks/environment.yml failed:\n%s" % result.output[-4000:])

    def describe(self, projects):
        """Later runs use inventories describing ``projects`` (seeding them on the nodes is the caller's job)."""
        self.projects = tuple(projects)
        self.inventory_dir = self._write_inventories("inventories-%d" % len(self.projects))

    def _write_inventories(self, name="inventories"):
        """A copy of the shipped inventories whose description has every project of this landscape (each extra
        one with CHURN's settings)."""
        target = os.path.join(self.workdir, name)
        with open(os.path.join(ROOT, "inventories", "fleet.yml"), encoding="utf-8") as fh:
            description = yaml.safe_load(fh)
        template = description["projects"][sample_project.PROJECT_KEY]
        description["projects"] = {key: template for key in self.projects}
        for env in ENVIRONMENTS:
            os.makedirs(os.path.join(target, env))
            with open(os.path.join(ROOT, "inventories", env, "hosts.yml"), encoding="utf-8") as src, \
                    open(os.path.join(target, env, "hosts.yml"), "w", encoding="utf-8") as out:
                out.write(src.read())
        with open(os.path.join(target, "fleet.yml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(description, out, sort_keys=False)
        return target

    def close(self):
        if self._own_nodes:
            for node in self.nodes.values():
                node.close()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    # -- landscape cache (tests/support/landscape.py) --------------------------------------------------------

    def cached_paths(self):
        """The files of the work directory a restored copy needs: the git repository, the inventories written here,
        the paths of ``kept_paths``."""
        return ["repo"] + ([self._inventory_relpath()] if self._inventory_relpath() else []) + self.kept_paths

    def cache_state(self):
        """What a copy restored into other nodes and another work directory needs to know (JSON)."""
        return {"projects": list(self.projects), "inventory_dir": self._inventory_relpath(),
                "kept_paths": self.kept_paths}

    def load_cache_state(self, state):
        self.projects = tuple(state["projects"])
        self.kept_paths = list(state.get("kept_paths", []))
        relpath = state["inventory_dir"]
        self.inventory_dir = os.path.join(self.workdir, relpath) if relpath else os.path.join(ROOT, "inventories")

    def _inventory_relpath(self):
        """The inventories' path in the work directory, None for the shipped ones."""
        relpath = os.path.relpath(self.inventory_dir, self.workdir)
        return None if relpath.startswith("..") else relpath

    # -- git ------------------------------------------------------------------------------------------------

    def git(self, *args):
        env = dict(os.environ, **GIT_ENV)
        return subprocess.run(["git", "-C", self.git_dir] + list(args), env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, message):
        """Commit a change (a line appended to CHANGES.txt) and return the bundle id it maps to."""
        with open(os.path.join(self.git_dir, "CHANGES.txt"), "a", encoding="utf-8") as out:
            out.write(message + "\n")
        self.git("add", "CHANGES.txt")
        self.git("commit", "--quiet", "-m", message)
        return self.bundle_id()

    def bundle_id(self):
        """The id the bundle_export role derives from HEAD: "g" + 12 hex chars."""
        return "g" + self.git("rev-parse", "HEAD")[:12]

    # -- nodes ----------------------------------------------------------------------------------------------

    def env(self):
        values = {}
        for env, node in self.nodes.items():
            values["DSS_%s_URL" % env.upper()] = node.url
            values["DSS_%s_API_KEY" % env.upper()] = node.api_key
        return values

    def client(self, env):
        return self.nodes[env].client()

    def active_bundle(self, env, project_key=sample_project.PROJECT_KEY):
        client = self.client(env)
        if project_key not in client.list_project_keys():
            return None
        return (client.get_project(project_key).get_summary().get("activeBundleState") or {}).get("bundleId")

    def digests(self):
        return {env: node.digest() for env, node in self.nodes.items()}

    def writes(self):
        return {env: node.writes() for env, node in self.nodes.items()}

    def requests(self):
        """Requests (all methods) each node received since it started."""
        return {env: sum(node.stats()["requests"].values()) for env, node in self.nodes.items()}

    def certified(self, env, project_key=sample_project.PROJECT_KEY):
        """Whether the active bundle has a passing test record on the node (DSS's per-bundle testing status)."""
        bundle_id = self.active_bundle(env, project_key)
        if bundle_id is None:
            return False
        status = self.client(env)._perform_json(  # pylint: disable=protected-access
            "GET", "/projects/%s/scenarios/testing-status" % project_key, params={"bundleId": bundle_id})
        outcomes = status.get("nbScenariosPerOutcome") or {}
        return status.get("nbTotalRanScenarios", 0) > 0 and set(outcomes) <= {"SUCCESS", "WARNING"}

    def api_keys(self):
        return [node.api_key for node in self.nodes.values()]

    # -- playbooks ------------------------------------------------------------------------------------------

    def run(self, playbook, *args, envs=ENVIRONMENTS, check=False, diff=False, extra_vars=None, stream=False,
            env=None):
        """Run playbooks/<playbook> on the inventories of ``envs``; returns a PlaybookResult (with per-task records).
        ``stream`` echoes the output while it runs (the demo)."""
        number = next(self._run_numbers)
        self.runs = max(self.runs, number)
        results_file = os.path.join(self.workdir, "run-%02d.results.jsonl" % number)
        cmd = [ANSIBLE_PLAYBOOK]
        for name in envs:
            cmd += ["-i", os.path.join(self.inventory_dir, name)]
        cmd.append(os.path.join(ROOT, "playbooks", playbook))
        cmd += ["-e", "dss_git_dir=%s" % self.git_dir]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        for key, value in (extra_vars or {}).items():
            cmd += ["-e", "%s=%s" % (key, value)]
        cmd += list(args)
        run_env = ansible_env(dict(self.env(), **(env or {})), results_file)
        lines = []
        proc = processes.popen(cmd, cwd=self.workdir, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        try:
            for line in proc.stdout:
                lines.append(line)
                if stream:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            proc.wait()
        finally:  # interrupted (SIGTERM, Ctrl-C): the playbook does not go on alone
            processes.stop(proc)
            proc.stdout.close()
        output = "".join(lines)
        self.outputs.append(output)
        tasks = []
        if os.path.exists(results_file):
            with open(results_file, encoding="utf-8") as fh:
                tasks = [json.loads(line) for line in fh if line.strip()]
        return PlaybookResult(proc.returncode, output, tasks, playbook)

    def leaked_keys(self):
        """API keys that appear in any playbook output so far (expected: none)."""
        return [key for key in self.api_keys() if any(key in output for output in self.outputs)]


def plan_mismatches(check, real):
    """Tasks that ran (not skipped) in both the --check run and the real run but with a different changed status,
    as "host | task: check=... real=..." strings. Tasks that ran only in one of them (rescue, later plays after a
    failure) are not compared; a task running several times is compared occurrence by occurrence."""
    def runs(result):
        seen = {}
        for record in result.tasks:
            if record["status"] == "skipped":
                continue
            seen.setdefault((record["host"], record["task"]), []).append(record)
        return seen

    planned, done = runs(check), runs(real)
    mismatches = []
    for key in planned.keys() & done.keys():
        for predicted, actual in zip(planned[key], done[key]):
            if predicted["changed"] != actual["changed"]:
                mismatches.append("%s | %s: check=%s real=%s" % (key[0], key[1], predicted["status"], actual["status"]))
    return sorted(mismatches)


def ran_in_both(check, real):
    """(host, task) keys that ran in both runs (to make sure the comparison compared something)."""
    def keys(result):
        return {(r["host"], r["task"]) for r in result.tasks if r["status"] != "skipped"}
    return keys(check) & keys(real)
