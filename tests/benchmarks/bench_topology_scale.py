"""No-op promotion and plan of a fleet with several automation nodes per environment (issue 26): the same property
as bench_noop_scale.py, per node - a fixed number of requests per project and node, one bulk read per node, no
write, no module beyond the bulk reads, task results on the first host of each planning batch only.

    python tests/benchmarks/bench_topology_scale.py --projects 100 --nodes 3 [--prod] [--small 10] [--forks 20]
                                                    [--json out.json]

Starts a topology landscape (tests.support.topology: dev, and staging on ``--nodes`` automation nodes; with
``--prod``, prod too, on as many nodes, the first one its canary), promotes CHURN for real on every node, then makes
the fleet converged at two sizes (``--small``, default N/10, and N) by cloning CHURN's state on every node
(tests.support.project_clone). At each size it runs the no-op ``playbooks/promote.yml`` on all its environments,
then the plan (``--check --diff``), and records per node the requests
about projects per project, the writes, the bulk reads, the task results and their hosts, and the wall and CPU
times. Exits 1 when a run fails or is not a no-op, or when the requests per project of a node differ between the
two sizes; never on timings.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_noop_scale import project_keys, routes_between, stats  # noqa: E402  pylint: disable=wrong-import-position
from tests.benchmarks.bench_promotion import playbook_run, started_modules  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import sample_project as sample  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.emulator import WRITE_METHODS  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.project_clone import clone_project  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.topology import TopologyLandscape  # noqa: E402  pylint: disable=wrong-import-position

BULK_READ = "dataiku_gitops.dss.dataiku_bundle_state_info"


def converged_failures(result, keys, bundle_id):
    """Nodes x projects the run's bulk reads did not see as converged (each read is one node's: its batch's host)."""
    bad = []
    for task in result.tasks:
        if task["action"] != BULK_READ or task["status"] != "ok":
            continue
        projects = task["result"].get("projects", {})
        design = task["host"].startswith("dev-")
        for key in keys:
            state = projects.get(key) or {}
            ok = bundle_id in (state.get("bundle_ids") or []) if design else \
                state.get("active_bundle_id") == bundle_id and state.get("certified")
            if not ok:
                bad.append("%s: %s" % (task["host"], key))
    return bad


def measure(land, keys, bundle_id, forks, check):
    nodes = ["dev"] + land.automation_nodes()
    before = {node: stats(land.nodes[node]) for node in nodes}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, result = playbook_run(land, forks, envs=tuple(land.layout), check=check, diff=check)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = {node: stats(land.nodes[node]) for node in nodes}
    routes = {node: routes_between(before[node], after[node]) for node in nodes}
    modules = started_modules(result)
    return {
        "mode": "plan" if check else "noop", "projects": len(keys), "wall_s": round(seconds, 2),
        "ansible_cpu_s": round(cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime,
                               2),
        "tasks": len(result.tasks), "task_hosts": sorted({t["host"] for t in result.tasks}),
        "bulk_reads": sorted(t["host"] for t in modules if t["action"] == BULK_READ),
        "extra_modules": sorted("%s %s" % (t["host"], t["action"]) for t in modules if t["action"] != BULK_READ),
        "writes": {node: sum(after[node]["requests"].get(m, 0) - before[node]["requests"].get(m, 0)
                             for m in WRITE_METHODS) for node in nodes},
        "requests_per_project": {node: round(sum(r["calls"] for name, r in routes[node].items() if "<key>" in name)
                                             / len(keys), 2) for node in nodes},
        "not_converged": converged_failures(result, keys, bundle_id),
    }


def problems(small, large):
    found = []
    for run in (small, large):
        found += ["%s N=%d: %d write(s) on %s" % (run["mode"], run["projects"], n, node)
                  for node, n in run["writes"].items() if n]
        if run["extra_modules"] or run["not_converged"]:
            found.append("%s N=%d: not a no-op: %s" % (run["mode"], run["projects"],
                                                       ", ".join((run["extra_modules"] + run["not_converged"])[:10])))
    if small["requests_per_project"] != large["requests_per_project"]:
        found.append("%s: requests per project and node change with the fleet: %s -> %s"
                     % (large["mode"], small["requests_per_project"], large["requests_per_project"]))
    return found


def table(result):
    lines = []
    for mode in ("noop", "plan"):
        small, large = [r for r in result["runs"] if r["mode"] == mode]
        lines += ["| `promote.yml` %s (dev + %s on %d nodes each) | N=%d | N=%d |" % (
            "no-op" if mode == "noop" else "--check --diff", " + ".join(result["environments"]), result["nodes"],
            small["projects"], large["projects"]),
            "|---|---:|---:|"]
        rows = (("wall time (s)", lambda r: r["wall_s"]), ("CPU s of ansible-playbook", lambda r: r["ansible_cpu_s"]),
                ("task results", lambda r: r["tasks"]), ("hosts with task results", lambda r: len(r["task_hosts"])),
                ("bulk reads (modules started)", lambda r: len(r["bulk_reads"])),
                ("write requests", lambda r: sum(r["writes"].values())))
        for label, value in rows:
            lines.append("| %s | %s | %s |" % (label, value(small), value(large)))
        for node in small["requests_per_project"]:
            lines.append("| requests per project on %s | %s | %s |" % (
                node, small["requests_per_project"][node], large["requests_per_project"][node]))
        lines.append("")
    lines.append("problems: %s" % ("none" if not result["problems"] else "; ".join(result["problems"])))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--small", type=int, default=None, help="the smaller fleet (default: N/10, at least 2)")
    parser.add_argument("--nodes", type=int, default=3, help="automation nodes per automation environment")
    parser.add_argument("--prod", action="store_true", help="prod too (staging only without it)")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    sizes = (max(2, args.small or args.projects // 10), max(3, args.projects))
    if sizes[0] >= sizes[1]:
        parser.error("--small must be below --projects")
    layout = {"dev": ("dev",), "staging": tuple("s%d" % (i + 1) for i in range(args.nodes))}
    if args.prod:
        layout["prod"] = tuple("p%d" % (i + 1) for i in range(args.nodes))  # p1 is the canary (tests.support.topology)
    result = {"sizes": list(sizes), "nodes": args.nodes, "environments": [env for env in layout if env != "dev"],
              "forks": args.forks, "runs": [],
              "load_average": {"start": [round(v, 2) for v in os.getloadavg()]}}
    with tempfile.TemporaryDirectory(prefix="bench-topology-") as workdir:
        with TopologyLandscape(os.path.join(workdir, "land"), {sample.PROJECT_KEY: []}, nodes=layout) as land:
            result["first_promotion_s"] = round(playbook_run(land, args.forks, envs=tuple(layout))[0], 2)
            bundle_id = land.bundle_id()
            for size in sizes:
                keys = project_keys(size)
                new = [key for key in keys if key not in land.projects]
                started = time.monotonic()
                for node in ["dev"] + land.automation_nodes():
                    clone_project(land.nodes[node], sample.PROJECT_KEY, new)
                land.describe(keys)
                clone_s = time.monotonic() - started
                for check in (False, True):
                    run = measure(land, keys, bundle_id, args.forks, check)
                    result["runs"].append(dict(run, clone_s=round(clone_s, 2)))
                    print("N=%d %s: %.1f s, %d task results, %d bulk reads, requests per project %s"
                          % (size, run["mode"], run["wall_s"], run["tasks"], len(run["bulk_reads"]),
                             run["requests_per_project"]), flush=True)
    result["load_average"]["end"] = [round(v, 2) for v in os.getloadavg()]
    by_mode = {mode: [r for r in result["runs"] if r["mode"] == mode] for mode in ("noop", "plan")}
    result["problems"] = problems(*by_mode["noop"]) + problems(*by_mode["plan"])
    print(table(result))
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=1)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
