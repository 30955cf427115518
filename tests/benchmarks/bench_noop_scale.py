"""Traffic and cost of a no-op promotion and of its plan as the fleet grows: which requests get bigger with the number
of projects and how often they are sent (issue 9: a no-op run of 1,000 projects on one node sends no request whose
payload grows with the number of projects more than once per node), and what a converged project costs (issue 27:
no per-host task for a converged project, the no-op and the plan of 1,000 projects within a minute).

    python tests/benchmarks/bench_noop_scale.py --projects 1000 [--small 100] [--forks 20] [--json out.json]

Starts the promotion landscape (tests.support.promotion.Landscape) without prod, promotes CHURN for real on dev
(design) and staging (automation), then makes the fleet converged at two sizes, ``--small`` (default N/10) and N
projects, by cloning CHURN's state on both nodes (tests.support.project_clone: exactly what the promotion left, under
other keys).
At each size it runs the no-op ``playbooks/promote.yml`` on the dev and staging inventories, then the plan
(``--check --diff``), and records the wall time, the CPU time (the playbook with its modules, each node with its git
commands: far steadier than wall times on a shared machine), the task results and the hosts that have any, the
modules started, the write requests, the requests per project on each node and, per node and per route (the
emulator's route template, keys normalised), the calls and response body bytes (emulator ``/__emulator__/stats``
``routes``). The cost per extra project is the difference of
the wall times (and of the CPU times) over the difference of the sizes (what a fixed start-up does not explain).

A route grows with the number of projects when its largest response at N is more than 1.5x its largest at the small
size (per-project routes answer the same size whatever N). The target holds when every growing route is called at
most once per node at N. Prints a table and writes JSON (``sizes``, ``runs``, ``routes``, ``violations``). Exits 1
when a run fails, is not a no-op (a write, a module beyond the bulk reads, a project not read as converged) or the
target is violated; never on timings.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_promotion import (  # noqa: E402  pylint: disable=wrong-import-position
    landscape_or_new, playbook_run, playbooks_cpu, started_modules)
from tests.support import sample_project as sample  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.emulator import WRITE_METHODS, EmulatorNode  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.project_clone import clone_project  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.promotion import NODE_TYPES, Landscape  # noqa: E402  pylint: disable=wrong-import-position

ENVS = ("dev", "staging")  # one design node and one automation node
BULK_READ = "dataiku_gitops.dss.dataiku_bundle_state_info"
GROWTH = 1.5  # largest response at N over largest at the small size, above which a route grows with N


class DevStagingLandscape(Landscape):
    """The promotion landscape without its prod node, which no run of this benchmark names."""

    def node_types(self):
        return {env: NODE_TYPES[env] for env in ENVS}

    def start_nodes(self):
        for env, node_type in self.node_types().items():
            self.nodes[env] = EmulatorNode(node_type).start()


def project_keys(count):
    """CHURN and P0001...: every clone key has CHURN's length, so per-project responses keep their size."""
    return [sample.PROJECT_KEY] + ["P%04d" % i for i in range(1, count)]


def promote(land, forks, check=False):
    return playbook_run(land, forks, envs=ENVS, check=check, diff=check)


def grow_fleet(land, keys):
    """Clone CHURN on dev and staging under the keys the nodes do not hold yet; the runs then describe ``keys``."""
    new = [key for key in keys if key not in land.projects]
    started = time.monotonic()
    for env in ENVS:
        clone_project(land.nodes[env], sample.PROJECT_KEY, new)
        refresh_git_indexes(land.nodes[env], new)
    land.describe(keys)
    return time.monotonic() - started


def refresh_git_indexes(node, keys):
    """A copied repository's index holds the stat data (inode, ctime) of the files it was copied from, so git, and the
    emulator that reads a clean status from the index (docs/emulator.md), would check every file the first time;
    a project's repository on a node that has been running does not. Refreshed as git status does, before the runs."""
    for key in keys:
        path = os.path.join(node.data_dir, "git", key)
        if os.path.isdir(os.path.join(path, ".git")):
            subprocess.run(["git", "-C", path, "update-index", "-q", "--refresh"], check=False, capture_output=True,
                           env=dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull))


def not_converged(result, keys, bundle_id):
    """Projects the run's bulk reads did not see as converged: staging not active+certified on the bundle, dev
    without the exported bundle."""
    reads = {t["host"].split("-", 1)[0]: t["result"].get("projects", {}) for t in result.tasks
             if t["action"] == BULK_READ and t["status"] == "ok"}
    bad = []
    for key in keys:
        staging, dev = reads.get("staging", {}).get(key) or {}, reads.get("dev", {}).get(key) or {}
        if not (staging.get("active_bundle_id") == bundle_id and staging.get("certified")):
            bad.append("staging-%s" % key)
        if bundle_id not in (dev.get("bundle_ids") or []):
            bad.append("dev-%s" % key)
    return bad


def stats(node, attempts=5):
    """The node's stats, asked again when a busy node (1,000 projects, a loaded machine) answers too late."""
    for attempt in range(attempts):
        try:
            return node.stats()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    return None


def traffic(land):
    return {env: stats(land.nodes[env]) for env in ENVS}


def routes_between(before, after):
    """{route: {calls, bytes, max_bytes}} of the calls answered between two stats() of one node. max_bytes is the
    largest of the run when the route was not called before (always so here: nodes restart after cloning)."""
    routes = {}
    for name, totals in after["routes"].items():
        old = before["routes"].get(name, {"calls": 0, "bytes": 0, "max_bytes": 0})
        if totals["calls"] > old["calls"]:
            routes[name] = {"calls": totals["calls"] - old["calls"], "bytes": totals["bytes"] - old["bytes"],
                            "max_bytes": totals["max_bytes"]}
    return routes


def node_cpu_s(node):
    """CPU seconds a node process has used, with the git commands it ran (Linux /proc); None elsewhere."""
    try:
        with open("/proc/%d/stat" % node.proc.pid, encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, AttributeError):
        return None
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def cpu_s(land):
    """CPU seconds so far of this process's playbook runs (each ansible-playbook run with its workers and modules:
    bench_promotion.playbooks_cpu) and of each node: on a shared machine they move far less with the load than wall
    times."""
    return {"ansible": playbooks_cpu(), **{env: node_cpu_s(land.nodes[env]) for env in ENVS}}


def noop_run(land, keys, bundle_id, forks, check=False):
    before, cpu_before = traffic(land), cpu_s(land)
    seconds, result = promote(land, forks, check)
    after, cpu_after = traffic(land), cpu_s(land)
    modules = started_modules(result)
    run = {
        "mode": "plan" if check else "noop",
        "projects": len(keys), "wall_s": round(seconds, 3), "tasks": len(result.tasks),
        "cpu_s": {name: round(cpu_after[name] - cpu_before[name], 2) if cpu_before[name] is not None else None
                  for name in cpu_before},
        # A converged project has no task of its own: only the first host of each play (run_once) has results.
        "task_hosts": sorted({t["host"] for t in result.tasks}),
        "modules_started": len(modules),
        "extra_modules": sorted("%s %s" % (t["host"], t["action"]) for t in modules if t["action"] != BULK_READ),
        "writes": {env: sum(after[env]["requests"].get(m, 0) - before[env]["requests"].get(m, 0)
                            for m in WRITE_METHODS) for env in ENVS},
        # What the requests themselves carried (bodies): a no-op sends GETs only, so none.
        "request_body_bytes": {env: after[env]["bytes_received"] - before[env]["bytes_received"] for env in ENVS},
        "not_converged": not_converged(result, keys, bundle_id),
        "nodes": {env: routes_between(before[env], after[env]) for env in ENVS},
    }
    run["requests_per_project"] = requests_per_project(run)
    return run


def requests_per_project(run):
    """{node: requests about one project (routes naming a project key) per project of the fleet}."""
    return {env: round(sum(r["calls"] for name, r in routes.items() if "<key>" in name) / run["projects"], 2)
            for env, routes in run["nodes"].items()}


def analyse(small, large):
    """Per (node, route): calls and largest response at both sizes, whether it grows with N, and the violations
    (a growing route called more than once on a node at N). A route absent at one size counts 0 calls there."""
    rows, violations = [], []
    for env in sorted(set(small["nodes"]) | set(large["nodes"])):
        names = set(small["nodes"].get(env, {})) | set(large["nodes"].get(env, {}))
        for name in sorted(names):
            at_small = small["nodes"].get(env, {}).get(name, {"calls": 0, "bytes": 0, "max_bytes": 0})
            at_large = large["nodes"].get(env, {}).get(name, {"calls": 0, "bytes": 0, "max_bytes": 0})
            grows = at_large["max_bytes"] > GROWTH * max(at_small["max_bytes"], 1)
            row = {"node": env, "route": name, "grows": grows,
                   "small": dict(at_small, projects=small["projects"]),
                   "large": dict(at_large, projects=large["projects"])}
            rows.append(row)
            if grows and at_large["calls"] > 1:
                violations.append("%s %s: response grows with the number of projects (%d -> %d bytes) and is "
                                  "sent %d times at N=%d" % (env, name, at_small["max_bytes"], at_large["max_bytes"],
                                                             at_large["calls"], large["projects"]))
    return rows, violations


def problems(run):
    """Why a run is not the no-op it should be (empty: it is)."""
    found = ["%s: %d write request(s) on %s" % (run["mode"], n, env) for env, n in run["writes"].items() if n]
    if run["extra_modules"]:
        found.append("modules beyond the bulk reads: %s" % ", ".join(run["extra_modules"][:10]))
    if run["not_converged"]:
        found.append("not read as converged: %s" % ", ".join(run["not_converged"][:10]))
    return found


def per_project_ms(small, large, key="wall_s"):
    """Wall time (or total CPU time, key cpu_s) per extra project between the two sizes, in ms."""
    def value(run):
        return sum(v or 0 for v in run[key].values()) if isinstance(run[key], dict) else run[key]
    return round(1000.0 * (value(large) - value(small)) / (large["projects"] - small["projects"]), 1)


def table(result):
    small, large = result["runs"]
    lines = []
    for (run_small, run_large), title in ((result["runs"], "no-op promote.yml"),
                                          (result["plans"], "promote.yml --check --diff")):
        lines += ["| %s (dev + staging) | N=%d | N=%d |" % (title, run_small["projects"], run_large["projects"]),
                  "|---|---|---|"]
        for key, label in (("wall_s", "wall time (s)"), ("tasks", "task results"),
                           ("task_hosts", "hosts with task results"), ("modules_started", "modules started"),
                           ("writes", "write requests"), ("request_body_bytes", "request body bytes"),
                           ("requests_per_project", "requests per project (dev + staging)"),
                           ("cpu_s", "CPU s (ansible-playbook with its modules + nodes)")):
            values = [round(sum(v or 0 for v in r[key].values()), 2) if isinstance(r[key], dict)
                      else len(r[key]) if isinstance(r[key], list) else r[key] for r in (run_small, run_large)]
            lines.append("| %s | %s | %s |" % (label, values[0], values[1]))
        lines += ["", "%s: %.1f ms per extra project, %.1f ms of CPU" % (
            title, per_project_ms(run_small, run_large), per_project_ms(run_small, run_large, "cpu_s")), ""]
    lines += ["", "| node | route | calls N=%d | calls N=%d | largest response N=%d (B) | largest response N=%d (B) "
              "| bytes N=%d | grows with N |" % ((small["projects"], large["projects"]) * 2 + (large["projects"],)),
              "|---|---|---|---|---|---|---|---|"]
    for row in result["routes"]:
        lines.append("| %s | `%s` | %d | %d | %d | %d | %d | %s |" % (
            row["node"], row["route"], row["small"]["calls"], row["large"]["calls"], row["small"]["max_bytes"],
            row["large"]["max_bytes"], row["large"]["bytes"], "yes" if row["grows"] else "no"))
    lines.append("")
    lines.append("target (a growing route at most once per node): %s" % (
        "met" if not result["violations"] else "VIOLATED: " + "; ".join(result["violations"])))
    return "\n".join(lines)


def main(argv=None, landscape=None):
    """``landscape``: a started Landscape with CHURN on dev and staging's connections to run on instead of starting
    one (the smoke test's: one already promoted, so that the first promotion is a no-op; landscape_or_new)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--small", type=int, default=None, help="the smaller fleet (default: N/10, at least 2)")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    sizes = (max(2, args.small or args.projects // 10), max(3, args.projects))
    if sizes[0] >= sizes[1]:
        parser.error("--small must be below --projects")
    result = {"sizes": list(sizes), "forks": args.forks, "runs": [], "plans": [],
              "load_average": {"start": [round(v, 2) for v in os.getloadavg()]}}
    with tempfile.TemporaryDirectory(prefix="bench-noop-scale-") as workdir:
        # The connections through the client, not a run of environment.yml: the set-up is not measured.
        with landscape_or_new(landscape, DevStagingLandscape, workdir=os.path.join(workdir, "land"),
                              environment_playbook=False) as land:
            result["first_promotion_s"] = round(promote(land, args.forks)[0], 3)
            bundle_id = land.bundle_id()
            for size in sizes:
                keys = project_keys(size)
                clone_s = grow_fleet(land, keys)
                run = dict(noop_run(land, keys, bundle_id, args.forks), clone_s=round(clone_s, 3))
                result["runs"].append(run)
                plan = noop_run(land, keys, bundle_id, args.forks, check=True)
                result["plans"].append(plan)
                print("N=%d: no-op %.1f s, plan %.1f s, %d/%d task results, %d modules, writes %s, cloned in %.1f s"
                      % (size, run["wall_s"], plan["wall_s"], run["tasks"], plan["tasks"], run["modules_started"],
                         run["writes"], clone_s), flush=True)
            result["load_average"]["end"] = [round(v, 2) for v in os.getloadavg()]
            report(result, args.json_path)  # before the (slow, at 1,000 projects) removal of the nodes' data
    return 1 if result["problems"] or result["violations"] else 0


def report(result, json_path):
    result["routes"], result["violations"] = analyse(*result["runs"])
    result["problems"] = [p for run in result["runs"] + result["plans"] for p in problems(run)]
    result["per_project_ms"] = {"noop": per_project_ms(*result["runs"]), "plan": per_project_ms(*result["plans"])}
    result["per_project_cpu_ms"] = {"noop": per_project_ms(*result["runs"], key="cpu_s"),
                                    "plan": per_project_ms(*result["plans"], key="cpu_s")}
    print(table(result))
    for problem in result["problems"]:
        print("NOT A NO-OP: %s" % problem)
    if json_path:
        with open(json_path, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
