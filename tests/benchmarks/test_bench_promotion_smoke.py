"""Runs the promotion benchmark with one project and one round so the script cannot rot (no timing assertions)."""

import json

from tests.benchmarks import bench_promotion
from tests.benchmarks.smoke import run_benchmark


def test_bench_promotion_runs_and_writes_its_keys(tmp_path, capsys):
    results = tmp_path / "bench.json"
    usage, code, out = run_benchmark(bench_promotion, ["--projects", "1", "--rounds", "1", "--json", str(results)],
                                     capsys)
    assert usage.returncode == 0 and "--rounds" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out[-4000:] + out.err[-4000:]
    assert "ratio to the seed script" in out.out
    data = json.loads(results.read_text())
    for key in ("seed_s", "apply_s", "noop_s", "plan_s"):
        assert data[key] > 0
    assert len(data["runs"]) == 1 and data["projects"] == 1
    assert "task results per project" in out.out
    assert all(data["runs"][0][key] > 0 for key in ("apply_tasks", "noop_tasks", "plan_tasks"))
