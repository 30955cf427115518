"""Promotion success under injected faults: the shipped promotion run N times with a fault-injecting proxy in front
of every node, with the collection's retries (``retries`` default) and, as the baseline in the same run, without
(``DATAIKU_RETRIES=0``, what every module did before retries existed).

    python tests/benchmarks/bench_faults.py --runs 10 --rate 0.03 [--seed 1] [--kinds 503,reset,lost]
                                            [--modes retries,baseline] [--json FILE]

Each run commits a change in the Landscape's git repository (a new bundle) and runs playbooks/promote.yml through
``Landscape.run``. After the run, with the proxies bypassed, each automation node is checked:

- success: the playbook returned 0 and every environment is active on the bundle of the commit;
- inconsistent: an environment is active on a bundle that has no passing TEST_SMOKE run recorded while it was
  active (a SUCCESS run started after its activation, or one observed after an earlier run for that bundle).

Only Landscape's public API is used (``nodes``, ``run``, ``commit``, ``active_bundle``, ``client``); the proxies
are put in front of the nodes by pointing each node's ``url`` at its proxy while a playbook runs, so the script
does not depend on how the inventories find the nodes. Exit status 1 when a mode with retries misses --target-success
or has any inconsistent state (use --no-check for exploration).
"""

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_promotion import landscape_or_new  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import sample_project  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.fault_proxy import KINDS, FaultProxy  # noqa: E402  pylint: disable=wrong-import-position

AUTOMATION_ENVS = ("staging", "prod")


def _ms(dss_date):
    """Milliseconds since the epoch of a DSS date (yyyy-MM-ddTHH:mm:ss.SSS+0000)."""
    return int(datetime.strptime(dss_date, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


@contextmanager
def proxied(land, proxies):
    """Point every node's url at its proxy for the duration (Landscape reads node.url when it runs a playbook)."""
    direct = {env: node.url for env, node in land.nodes.items()}
    for env, node in land.nodes.items():
        node.url = proxies[env].url
    try:
        yield
    finally:
        for env, node in land.nodes.items():
            node.url = direct[env]


class Certifications:
    """Per environment, the bundles seen active with a passing smoke test recorded after their activation."""

    def __init__(self):
        self.passed = {env: set() for env in AUTOMATION_ENVS}

    def check(self, land, env):
        """(active bundle or None, consistent?) for ``env`` now."""
        active = land.active_bundle(env)
        if active is None:
            return None, True
        project = land.client(env).get_project(sample_project.PROJECT_KEY)
        activated = _ms((project.get_summary().get("activeBundleState") or {}).get("activatedOn"))
        runs = project.get_scenario(sample_project.SMOKE_SCENARIO).get_last_runs(limit=50, only_finished_runs=True)
        if any(r.run["start"] >= activated and r.outcome == "SUCCESS" for r in runs):
            self.passed[env].add(active)
        return active, active in self.passed[env]


def _message(task_result):
    """The message of a failed task, or of its first failed loop item."""
    items = [i for i in task_result.get("results") or [] if isinstance(i, dict) and i.get("failed")]
    return str((items[0] if items else task_result).get("msg", ""))


def failures(result):
    """The failed tasks of a run (host, task, first 300 characters of the message), to tell why a run failed."""
    return [{"host": t["host"], "task": t["task"], "msg": _message(t.get("result") or {})[:300]}
            for t in result.tasks if t["status"] == "failed"]


def run_mode(land, proxies, mode, runs, certifications):
    env = {"DATAIKU_RETRIES": "0"} if mode == "baseline" else {}
    rows = []
    for index in range(runs):
        bundle = land.commit("bench %s run %d" % (mode, index + 1))
        started = time.monotonic()
        with proxied(land, proxies):
            result = land.run("promote.yml", env=env)
        states = {e: certifications.check(land, e) for e in AUTOMATION_ENVS}
        rows.append({
            "mode": mode, "run": index + 1, "bundle": bundle, "rc": result.rc,
            "seconds": round(time.monotonic() - started, 1),
            "success": result.rc == 0 and all(states[e][0] == bundle for e in AUTOMATION_ENVS),
            "inconsistent": [e for e in AUTOMATION_ENVS if not states[e][1]],
            "active": {e: states[e][0] for e in AUTOMATION_ENVS},
            "failures": failures(result),
        })
        print("  %-8s run %2d: rc=%d success=%s inconsistent=%s (%.0fs)" % (
            mode, index + 1, result.rc, rows[-1]["success"], rows[-1]["inconsistent"] or "none",
            rows[-1]["seconds"]), flush=True)
        for failure in rows[-1]["failures"]:
            print("      failed: %(host)s | %(task)s | %(msg)s" % failure, flush=True)
    return rows


def summary(rows, mode, proxies_stats):
    mine = [r for r in rows if r["mode"] == mode]
    return {"mode": mode, "runs": len(mine), "succeeded": sum(r["success"] for r in mine),
            "success_rate": sum(r["success"] for r in mine) / len(mine) if mine else 0.0,
            "inconsistent_states": sum(len(r["inconsistent"]) for r in mine), "proxies": proxies_stats}


def main(argv=None, landscape=None):
    """``landscape``: a started, seeded Landscape to run on instead of starting one (the smoke test's;
    bench_promotion.landscape_or_new)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="promotions per mode")
    parser.add_argument("--rate", type=float, default=0.03, help="probability that a request is faulted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--modes", default="retries,baseline", help="retries (default options), baseline (retries 0)")
    parser.add_argument("--target-success", type=float, default=0.95)
    parser.add_argument("--no-check", action="store_true", help="always exit 0")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    kinds = args.kinds.split(",")
    results = {"rate": args.rate, "kinds": kinds, "seed": args.seed, "rows": [], "summaries": []}
    # The set-up is not measured: no playbook run for it.
    with landscape_or_new(landscape, environment_playbook=False) as land:
        for mode_index, mode in enumerate(modes):
            print("%s: %d promotions at %.1f%% injected faults (%s)" % (mode, args.runs, args.rate * 100,
                                                                        ", ".join(kinds)), flush=True)
            proxies = {}
            try:
                for env_index, (env, node) in enumerate(sorted(land.nodes.items())):
                    seed = args.seed * 100 + mode_index * 10 + env_index
                    proxies[env] = FaultProxy(node.url, rate=args.rate, seed=seed, kinds=kinds).start()
                results["rows"] += run_mode(land, proxies, mode, args.runs, Certifications())
                stats = {env: {"requests": p.stats()["requests"], "faults": sum(p.stats()["faults"].values())}
                         for env, p in proxies.items()}
            finally:
                for proxy in proxies.values():
                    proxy.stop()
            results["summaries"].append(summary(results["rows"], mode, stats))
        leaked = land.leaked_keys()
    results["leaked_keys"] = len(leaked)
    print("\n| mode | runs | succeeded | success rate | inconsistent states | requests | injected faults |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for item in results["summaries"]:
        print("| %s | %d | %d | %.0f%% | %d | %d | %d |" % (
            item["mode"], item["runs"], item["succeeded"], item["success_rate"] * 100, item["inconsistent_states"],
            sum(s["requests"] for s in item["proxies"].values()), sum(s["faults"] for s in item["proxies"].values())))
    print("API keys printed in playbook output: %d" % len(leaked))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)
    failed = [s for s in results["summaries"] if s["mode"] == "retries"
              and (s["success_rate"] < args.target_success or s["inconsistent_states"])]
    return 0 if args.no_check or not (failed or leaked) else 1


if __name__ == "__main__":
    sys.exit(main())
