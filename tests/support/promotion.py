"""Three emulated DSS nodes (dev design, staging and prod automation) plus a throw-away git repository, and a runner
for the shipped playbooks against them. Shared by `make demo` (tests/demo/demo.py) and
tests/integration/test_promotion.py.

The shipped inventories read each node's URL and key from DSS_<ENV>_URL / DSS_<ENV>_API_KEY; the bundle id comes
from the HEAD of `dss_git_dir`, so committing in the throw-away repository is what makes a new bundle.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile

from tests.support import sample_project
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

    def __init__(self, workdir=None, inventory_ports=False):
        self._tmp = tempfile.TemporaryDirectory(prefix="dss-promotion-") if workdir is None else None
        self.workdir = str(workdir or self._tmp.name)
        self.git_dir = os.path.join(self.workdir, "repo")
        self.nodes = {}
        self.inventory_ports = inventory_ports
        self.outputs = []  # every playbook output, to check that no key was printed
        self.runs = 0

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self):
        for env in ENVIRONMENTS:
            port = INVENTORY_PORTS[env] if self.inventory_ports and port_is_free(INVENTORY_PORTS[env]) else 0
            self.nodes[env] = EmulatorNode(NODE_TYPES[env], port=port).start()
        sample_project.seed_design_project(self.nodes["dev"].client())
        os.makedirs(self.git_dir)
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit("CHURN: first version of the churn scoring flow")
        # Staging and prod get their connections the way users declare them: dss_environment_objects in the
        # inventories, applied by playbooks/environment.yml.
        result = self.run("environment.yml", envs=("staging", "prod"))
        if result.rc != 0:
            raise RuntimeError("playbooks/environment.yml failed:\n%s" % result.output[-4000:])
        return self

    def close(self):
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

    def api_keys(self):
        return [node.api_key for node in self.nodes.values()]

    # -- playbooks ------------------------------------------------------------------------------------------

    def run(self, playbook, *args, envs=ENVIRONMENTS, check=False, diff=False, extra_vars=None, stream=False,
            env=None):
        """Run playbooks/<playbook> on the inventories of ``envs``; returns a PlaybookResult (with per-task records).
        ``stream`` echoes the output while it runs (the demo)."""
        self.runs += 1
        results_file = os.path.join(self.workdir, "run-%02d.results.jsonl" % self.runs)
        cmd = [ANSIBLE_PLAYBOOK]
        for name in envs:
            cmd += ["-i", os.path.join(ROOT, "inventories", name)]
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
        with subprocess.Popen(cmd, cwd=self.workdir, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as proc:
            for line in proc.stdout:
                lines.append(line)
                if stream:
                    sys.stdout.write(line)
                    sys.stdout.flush()
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
