"""Wall time of a fleet promotion: the collection's playbooks against a plain dataikuapi script of the same flow.

    python tests/benchmarks/bench_promotion.py --projects 20 [--latency-scale 0.1] [--rounds 3] [--json out.json]

Starts three emulator nodes (dev design, staging and prod automation, tests.support.promotion.Landscape) with N
copies of the sample CHURN project on dev, then, each round, in the same run:

- seed: a sequential dataikuapi script of the usual hand-written flow, project after project: export and download
  the bundle on dev; on staging then prod: list the projects, import, remap (first time), activate, run the smoke
  test and wait for it;
- apply: a new commit, then ``playbooks/promote.yml`` on the three inventories (projects as hosts, ``--forks``,
  one per project by default);
- noop: ``promote.yml`` again, nothing to do;
- plan: ``promote.yml --check --diff`` on the converged fleet.

Prints a table of medians, ratios to the seed script, CPU seconds and task results per project, and writes JSON
(``seed_s``, ``apply_s``, ``noop_s``, ``plan_s`` medians, ``runs`` per round with the task results, the collection
modules started and the CPU of each run, the load average at the start and the end). The CPU of a run is the
controller's (the seed script's own process; ``ansible-playbook`` with its workers and modules) plus the three
nodes' (Linux ``/proc``): on a machine shared with other work it moves far less than the wall time, and it bounds
the wall time of a run that keeps the cores busy (the apply) from below. Exits 1 when a playbook run or the script
fails; never on timings.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support import sample_project as sample  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.promotion import Landscape  # noqa: E402  pylint: disable=wrong-import-position

FORK_SERVERS = ("playbook_server.py", "module_server.py")  # tests/support: they reap the runs they serve


def project_keys(count):
    return [sample.PROJECT_KEY] + ["P%03d" % i for i in range(1, count)]


def seed_flow(land, keys, bundle_id, workdir):
    """The hand-written promotion: one project after the other, every step waited for."""
    dev = land.client("dev")
    for key in keys:
        project = dev.get_project(key)
        project.export_bundle(bundle_id)
        path = os.path.join(workdir, "%s-%s.zip" % (key, bundle_id))
        project.download_exported_bundle_archive_to_file(bundle_id, path)
        for env in ("staging", "prod"):
            client = land.client(env)
            target = client.get_project(key)
            with open(path, "rb") as archive:
                if key in client.list_project_keys():
                    target.import_bundle_from_stream(archive)
                else:
                    client.create_project_from_bundle_archive(archive)
                    settings = target.get_settings()
                    settings.get_raw().setdefault("bundleContainerSettings", {})["remapping"] = {
                        "connections": [{"source": "pg_dev", "target": sample.CONNECTIONS[env]}], "codeEnvs": []}
                    settings.save()
            target.preload_bundle(bundle_id)
            target.activate_bundle(bundle_id)
            target.get_scenario(sample.SMOKE_SCENARIO).run_and_wait()


@contextmanager
def landscape_or_new(given, landscape_class=Landscape, **kwargs):
    """``given`` when a caller of ``main`` passes a started Landscape (the smoke tests: a copy of a landscape their
    session built once, on pooled nodes, tests/support/landscape.py), else a new ``landscape_class(**kwargs)`` started
    and closed here, as a run from the command line does."""
    if given is not None:
        yield given
        return
    with landscape_class(**kwargs) as land:
        yield land


def timed(call):
    started = time.monotonic()
    value = call()
    return time.monotonic() - started, value


def node_cpu(land):
    """CPU seconds of each node's process and the children it waited for (scenario runs), None without /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = {}
    for env, node in land.nodes.items():
        try:
            with open("/proc/%d/stat" % node.proc.pid, encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return None
        cpu[env] = sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
    return cpu


def playbooks_cpu():
    """CPU seconds used so far by the playbook runs of this process, each with its workers and modules: the children
    it reaped (the real ansible-playbook) and, when its runs are served (the smoke tests call ``main`` in a pytest
    process: tests/support/playbook_server.py), the runs that its live fork servers reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    for child in psutil.Process().children():
        try:
            cmdline = child.cmdline()
            if len(cmdline) > 1 and os.path.basename(cmdline[1]) in FORK_SERVERS:
                times = child.cpu_times()  # the server's own (start-up, forks) is not a run's
                total += times.children_user + times.children_system
        except psutil.Error:
            continue  # ended meanwhile: RUSAGE_CHILDREN has it once reaped
    return total


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(land, call, controller_cpu):
    """(wall seconds, value, {controller, nodes} CPU seconds) of ``call``: the controller is this process (own_cpu)
    or the playbook runs it started (playbooks_cpu: ansible-playbook and its workers and modules)."""
    nodes_before, controller_before = node_cpu(land), controller_cpu()
    seconds, value = timed(call)
    nodes_after, controller = node_cpu(land), controller_cpu() - controller_before
    nodes = None if nodes_before is None or nodes_after is None else \
        round(sum(nodes_after.values()) - sum(nodes_before.values()), 2)
    return seconds, value, {"controller": round(controller, 2), "nodes": nodes}


def playbook_run(land, forks, **kwargs):
    """(wall seconds, result) of one promote.yml run (bench_noop_scale.py and bench_topology_scale.py use it too)."""
    seconds, result, _cpu = measured_playbook_run(land, forks, **kwargs)
    return seconds, result


def measured_playbook_run(land, forks, **kwargs):
    """(wall seconds, result, CPU) of one promote.yml run; fails when the playbook does."""
    seconds, result, cpu = measured(land, lambda: land.run("promote.yml", "--forks", str(forks), **kwargs),
                                    playbooks_cpu)
    if result.rc != 0:
        raise RuntimeError("promote.yml failed (rc=%s):\n%s" % (result.rc, result.output[-4000:]))
    return seconds, result, cpu


def one_round(land, keys, number, forks, workdir):
    seed_s, _seeded, seed_cpu = measured(land, lambda: seed_flow(land, keys, "seed-%d" % number, workdir),
                                         own_cpu)
    land.commit("benchmark round %d" % number)
    apply_s, applied, apply_cpu = measured_playbook_run(land, forks)
    writes = land.writes()
    noop_s, noop, noop_cpu = measured_playbook_run(land, forks)
    noop_writes = {env: land.writes()[env] - writes[env] for env in writes}
    plan_s, plan, plan_cpu = measured_playbook_run(land, forks, check=True, diff=True)
    return {"round": number, "seed_s": round(seed_s, 3), "apply_s": round(apply_s, 3), "noop_s": round(noop_s, 3),
            "plan_s": round(plan_s, 3), "apply_tasks": len(applied.tasks), "noop_tasks": len(noop.tasks),
            "plan_tasks": len(plan.tasks), "apply_modules": modules_started(applied),
            "noop_modules": modules_started(noop), "noop_writes": noop_writes,
            "cpu": {"seed": seed_cpu, "apply": apply_cpu, "noop": noop_cpu, "plan": plan_cpu}}


def started_modules(result):
    """The task records of the collection modules that ran (not skipped)."""
    return [t for t in result.tasks if t["action"].startswith("dataiku_gitops.") and t["status"] != "skipped"]


def modules_started(result):
    """How many collection modules ran: a converged no-op should start only the bulk reads."""
    return len(started_modules(result))


def medians(runs):
    return {key: round(statistics.median(r[key] for r in runs), 3) for key in ("seed_s", "apply_s", "noop_s", "plan_s")}


def table(result):
    seed = result["seed_s"] or 1e-9
    title = "N=%d, latency scale %s, %d round(s), medians; load average %s at the start, %s at the end" % (
        result["projects"], result["latency_scale"], len(result["runs"]), result["load_average"]["start"],
        result["load_average"]["end"])
    last = result["runs"][-1]
    lines = [title, "| run | wall time (s) | ratio to the seed script | task results per project (last round) "
                    "| CPU s: controller + nodes (last round) |", "|---|---|---|---|---|"]
    for key, label in (("seed_s", "seed-style script (sequential)"), ("apply_s", "promote.yml (new bundle)"),
                       ("noop_s", "promote.yml (no-op re-run)"), ("plan_s", "promote.yml --check --diff")):
        tasks = last.get(key.replace("_s", "_tasks"))
        per_project = "%.2f" % (tasks / result["projects"]) if tasks is not None else "-"
        lines.append("| %s | %.1f | %.2fx | %s | %s |" % (
            label, result[key], result[key] / seed, per_project, cpu_cell(last["cpu"][key[:-2]])))
    lines.append("Collection modules started by the apply (last round): %d, %.2f per project" % (
        last["apply_modules"], last["apply_modules"] / result["projects"]))
    return "\n".join(lines)


def cpu_cell(cpu):
    if cpu["nodes"] is None:
        return "%.1f + -" % cpu["controller"]
    return "%.1f + %.1f" % (cpu["controller"], cpu["nodes"])


def main(argv=None, landscape=None):
    """``landscape``: a started Landscape with the same projects and latency scale to run on instead of starting one
    (the smoke test's; bench_promotion.landscape_or_new)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--latency-scale", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=3)
    # One fork per project by default, as docs/promotion.md recommends for a fleet (-f 20 for 20 projects).
    parser.add_argument("--forks", type=int, default=None)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    keys = project_keys(max(1, args.projects))
    args.forks = args.forks or len(keys)
    if landscape is not None and (list(landscape.projects) != keys or landscape.latency_scale != args.latency_scale):
        raise ValueError("the landscape given has other projects or another latency scale than the options")
    runs = []
    load_start = [round(v, 2) for v in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-promotion-") as workdir:
        # The connections through the client, not a run of environment.yml: the set-up is not measured.
        with landscape_or_new(landscape, workdir=os.path.join(workdir, "land"), projects=keys,
                              latency_scale=args.latency_scale, environment_playbook=False) as land:
            for number in range(1, args.rounds + 1):
                runs.append(one_round(land, keys, number, args.forks, workdir))
                print("round %d: %s" % (number, json.dumps(runs[-1])), flush=True)
    result = dict(medians(runs), projects=len(keys), latency_scale=args.latency_scale, forks=args.forks, runs=runs,
                  load_average={"start": load_start, "end": [round(v, 2) for v in os.getloadavg()]})
    print(table(result))
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
