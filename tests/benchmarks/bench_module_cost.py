"""What one module start costs: the requests and the CPU of one export (dataiku_bundle) and one deployment
(dataiku_bundle_deploy with tests and the gates, as promote.yml runs it per project and environment).

    python tests/benchmarks/bench_module_cost.py [--rounds 3] [--starts 8] [--json out.json]

Promotes the sample CHURN project once (dev -> staging -> prod, tests.support.promotion.Landscape), commits a change
and saves the dev and staging nodes. One ansible-playbook run of an export task and a deploy task (the arguments
promote.yml gives them) keeps the two AnsiballZ files; each round then restores the saved state and runs the two
files as Ansible runs them (a fresh Python process each), counting the requests each node received (by route) and
the CPU of the process. ``--starts`` fresh processes measure what a start costs before any request: the
interpreter, ansible.module_utils.basic and the collection's module_utils (compiled from the AnsiballZ archive at
every start), requests and dataikuapi. Prints a table and writes JSON; exits 1 when a run fails, never on timings.
"""

import argparse
import base64
import glob
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support.collection import COLLECTIONS_ROOT, ensure_collection_link  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.emulator import EmulatorNode  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.promotion import Landscape  # noqa: E402  pylint: disable=wrong-import-position

MODULES = ("dataiku_bundle", "dataiku_bundle_deploy")
NODES = {"dev": "design", "staging": "automation"}


def prepare(workdir):
    """The state after a first promotion and a new commit, saved; (bundle id, release notes, {env: (url, key)})."""
    with Landscape() as land:
        result = land.run("promote.yml")
        if result.rc != 0:
            raise RuntimeError("promote.yml failed:\n%s" % result.output[-3000:])
        bundle_id = land.commit("CHURN: a reviewed change")
        notes = land.git("log", "-1", "--format=%H %s")
        for env in NODES:
            land.nodes[env].snapshot(os.path.join(workdir, env))
        return bundle_id, notes, {env: (land.nodes[env].url, land.nodes[env].api_key) for env in NODES}


def restore(nodes, workdir, saved):
    replace = {}
    for env, node in nodes.items():
        replace.update({saved[env][0]: node.url, saved[env][1]: node.api_key})
    for env, node in nodes.items():
        node.restore(os.path.join(workdir, env), replace)


def task_args(nodes, bundle_id, notes):
    """The options promote.yml gives the export and the deployment of one project."""
    dev, staging = nodes["dev"], nodes["staging"]
    export = dict(url=dev.url, api_key=dev.api_key, project_key="CHURN", bundle_id=bundle_id, state="exported",
                  node_type="design", release_notes=notes)
    deploy = dict(url=staging.url, api_key=staging.api_key, project_key="CHURN", bundle_id=bundle_id,
                  lock_owner="bench-module-cost", connections={"pg_dev": "pg_staging"}, code_envs={},
                  expect_export=True, on_failure="rollback",
                  gates={"project_standards": "warn", "min_severity": "LOWEST", "release_notes": "ignore"},
                  source={"url": dev.url, "api_key": dev.api_key, "project_key": "CHURN", "bundle_id": bundle_id},
                  tests={"prefix": "TEST_", "scenario_timeout": 600})
    return export, deploy


def ansiballz_files(nodes, bundle_id, notes, workdir):
    """{module: path of its AnsiballZ file}, kept by one ansible-playbook run of the two tasks."""
    export, deploy = task_args(nodes, bundle_id, notes)
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "export", "dataiku_gitops.dss.dataiku_bundle": export},
        {"name": "deploy", "dataiku_gitops.dss.dataiku_bundle_deploy": deploy}]}]
    playbook = os.path.join(workdir, "module_cost.yml")
    with open(playbook, "w", encoding="utf-8") as out:
        json.dump(play, out)
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=os.path.join(workdir, "remote"),
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable, playbook],
                         env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError("the module runs failed:\n%s" % run.stdout[-3000:])
    return {name: glob.glob(os.path.join(workdir, "remote", "*", "AnsiballZ_%s.py" % name))[0] for name in MODULES}


def child_cpu(argv):
    """(CPU seconds of the process, wall seconds, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall, run.stdout


def requests_since(node, count_before):
    stats = node.stats()
    count = sum(stats["requests"].values())
    new = count - count_before
    return stats["calls"][-new:] if new else []


def request_count(node):
    return sum(node.stats()["requests"].values())


def one_round(nodes, files):
    row = {}
    for name in MODULES:
        before = {env: request_count(node) for env, node in nodes.items()}
        cpu, wall, out = child_cpu([sys.executable, files[name]])
        result = json.loads(out)
        if result.get("failed"):
            raise RuntimeError("%s failed: %s" % (name, result.get("msg")))
        calls = {env: requests_since(node, before[env]) for env, node in nodes.items()}
        polls = sum(1 for c in calls["staging"] if re.search(r"/scenarios/[^/]+/\d{4}-[\d-]+$", c))
        row[name] = {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "polls": polls,
                     "requests": {env: len(c) for env, c in calls.items()}, "calls": calls}
    return row


def start_costs(files, starts, workdir):
    """Median CPU seconds of fresh processes importing each layer of a module start (no request sent)."""
    costs = {}
    for name, path in files.items():
        with open(path, encoding="utf-8") as fh:
            data = re.search(r"zip_data='([^']*)'", fh.read()).group(1)
        archive = os.path.join(workdir, "%s.zip" % name)
        with open(archive, "wb") as out:
            out.write(base64.b64decode(data))
        head = "import sys; sys.path.insert(0, %r); import ansible.module_utils.basic" % archive
        layers = {"python": "pass", "+ ansible basic": head, "+ requests, dataikuapi": head + ", dataikuapi",
                  "+ the module": head + ", dataikuapi; import ansible_collections.dataiku_gitops.dss.plugins."
                                         "modules.%s" % name}
        costs[name] = {layer: round(statistics.median(child_cpu([sys.executable, "-c", code])[0]
                                                      for _start in range(starts)), 3) for layer, code in layers.items()}
    return costs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starts", type=int, default=8)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    ensure_collection_link()
    with tempfile.TemporaryDirectory(prefix="bench-module-cost-") as workdir:
        bundle_id, notes, saved = prepare(workdir)
        nodes = {env: EmulatorNode(node_type).start() for env, node_type in NODES.items()}
        try:
            restore(nodes, workdir, saved)
            files = ansiballz_files(nodes, bundle_id, notes, workdir)
            rounds = []
            for _round in range(args.rounds):
                restore(nodes, workdir, saved)
                rounds.append(one_round(nodes, files))
        finally:
            for node in nodes.values():
                node.close()
        starts = start_costs(files, args.starts, workdir)
    report = {"rounds": rounds, "start_costs": starts, "load_average": os.getloadavg()}
    print("%-22s %9s %9s %22s %7s" % ("module", "CPU s", "wall s", "requests dev, staging", "polls"))
    for name in MODULES:
        runs = [r[name] for r in rounds]
        print("%-22s %9.3f %9.3f %22s %7s" % (
            name, statistics.median(r["cpu_s"] for r in runs), statistics.median(r["wall_s"] for r in runs),
            "%d, %d" % (statistics.median(r["requests"]["dev"] for r in runs),
                        statistics.median(r["requests"]["staging"] for r in runs)),
            statistics.median(r["polls"] for r in runs)))
    for name, layers in starts.items():
        print("start of %s (CPU s, cumulative): %s" % (name, ", ".join("%s %.3f" % kv for kv in layers.items())))
    routes = Counter(c for r in rounds[:1] for calls in r["dataiku_bundle_deploy"]["calls"].values() for c in calls)
    print("deployment's requests by route (first round): %s" % dict(routes))
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
