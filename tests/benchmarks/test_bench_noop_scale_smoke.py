"""The no-op scale benchmark at a small size: a no-op promote.yml and its plan (ansible-playbook against emulator
processes, the fleet converged at 1 then 4 projects) send no write, start only the bulk reads, send no request whose
response grows with the number of projects more than once per node (issue 9), and give a converged project no task
of its own: every task result belongs to the first host of a play (run once for the whole play), so the number of
task results does not grow with the fleet (issue 27). No timing assertions. It runs on a copy of the session's
promoted landscape (tests/support/landscape.py): the script's first promotion is then a no-op, and the fleet is
cloned from a CHURN that promote.yml converged all the same."""

import json

from tests.benchmarks import bench_noop_scale
from tests.benchmarks.bench_noop_scale import analyse
from tests.benchmarks.smoke import run_benchmark
from tests.support import landscape

PER_PROJECT = ("GET /projects/<key>", "GET /projects/<key>/scenarios/testing-status",
               "GET /projects/<key>/bundles/imported")


def test_noop_promotion_sends_no_growing_request_more_than_once_per_node(tmp_path, tmp_path_factory, capsys):
    results = tmp_path / "bench.json"
    land = landscape.restored(landscape.PROMOTED, tmp_path / "land", tmp_path_factory)
    usage, code, out = run_benchmark(bench_noop_scale, ["--projects", "4", "--small", "1", "--forks", "8",
                                                        "--json", str(results)], capsys, landscape=land)
    assert usage.returncode == 0 and "--small" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out[-4000:] + out.err[-4000:]
    data = json.loads(results.read_text())
    assert data["violations"] == [] and data["problems"] == []
    assert [run["mode"] for run in data["runs"] + data["plans"]] == ["noop", "noop", "plan", "plan"]
    for run in data["runs"] + data["plans"]:
        assert run["task_hosts"] == ["dev-CHURN", "staging-CHURN"], run["task_hosts"]
    for runs in (data["runs"], data["plans"]):
        assert runs[0]["tasks"] == runs[1]["tasks"] > 0  # 1 and 4 projects: the same task results
    for run in data["runs"] + data["plans"]:
        assert run["modules_started"] == 2 and run["writes"] == {"dev": 0, "staging": 0}
        assert run["request_body_bytes"] == {"dev": 0, "staging": 0}
        # The accounting saw the bulk read: a fixed number of calls per project, each with a body.
        for route in PER_PROJECT:
            assert run["nodes"]["staging"][route]["calls"] == run["projects"], route
        # The design node's read of a converged project: summary, exported bundles, git status, the log from HEAD
        # and one for the playbook checkout's commit (the projects' repositories do not hold it): 5 requests.
        dev = run["nodes"]["dev"]
        assert dev["GET /projects/<key>/git/actions/log"]["calls"] == 2 * run["projects"]
        assert dev["GET /projects/<key>/git/status"]["calls"] == run["projects"]
        assert run["requests_per_project"] == {"dev": 5, "staging": 4}
        assert run["cpu_s"]["ansible"] > 0 and run["cpu_s"]["dev"] >= 0 and run["cpu_s"]["staging"] >= 0
        assert all(r["bytes"] > 0 for node in run["nodes"].values() for r in node.values())
    # The nodes' CPU is read: in clock ticks of 10 ms, so one node's share of one small run can round to 0 (a few
    # requests on a kept-alive connection), not the whole benchmark's.
    assert sum(run["cpu_s"][node] for run in data["runs"] + data["plans"] for node in ("dev", "staging")) > 0


def _run(projects, routes):
    return {"projects": projects, "nodes": {"staging": routes}}


def test_analysis_flags_a_growing_route_sent_twice_and_spares_per_project_routes():
    small = _run(10, {"GET /projects": {"calls": 2, "bytes": 800, "max_bytes": 400},
                      "GET /projects/<key>": {"calls": 10, "bytes": 5000, "max_bytes": 500},
                      "GET /instance-info": {"calls": 1, "bytes": 150, "max_bytes": 150}})
    large = _run(100, {"GET /projects": {"calls": 2, "bytes": 8000, "max_bytes": 4000},
                       "GET /projects/<key>": {"calls": 100, "bytes": 50000, "max_bytes": 510},
                       "GET /instance-info": {"calls": 1, "bytes": 150, "max_bytes": 150}})
    rows, violations = analyse(small, large)
    assert {row["route"]: row["grows"] for row in rows} == {
        "GET /projects": True, "GET /projects/<key>": False, "GET /instance-info": False}
    assert len(violations) == 1 and violations[0].startswith("staging GET /projects: ")
    large["nodes"]["staging"]["GET /projects"]["calls"] = 1  # once per node is allowed
    assert analyse(small, large)[1] == []


def test_analysis_counts_a_route_absent_at_the_small_size():
    rows, violations = analyse(_run(10, {}), _run(100, {"GET /projects": {"calls": 3, "bytes": 9, "max_bytes": 3}}))
    assert rows[0]["small"]["calls"] == 0 and rows[0]["grows"] and len(violations) == 1
