"""Runs the promotion benchmark with one project and one round so the script cannot rot (no timing assertions), on a
copy of the session's seeded landscape (what the script would start: CHURN on dev, the connections, one commit)."""

import json

from tests.benchmarks import bench_promotion
from tests.benchmarks.smoke import run_benchmark
from tests.support import landscape


def test_bench_promotion_runs_and_writes_its_keys(tmp_path, tmp_path_factory, capsys):
    results = tmp_path / "bench.json"
    land = landscape.restored(landscape.SEEDED, tmp_path / "land", tmp_path_factory)
    usage, code, out = run_benchmark(bench_promotion, ["--projects", "1", "--rounds", "1", "--json", str(results)],
                                     capsys, landscape=land)
    assert usage.returncode == 0 and "--rounds" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out[-4000:] + out.err[-4000:]
    assert "ratio to the seed script" in out.out
    data = json.loads(results.read_text())
    for key in ("seed_s", "apply_s", "noop_s", "plan_s"):
        assert data[key] > 0
    assert len(data["runs"]) == 1 and data["projects"] == 1
    assert "task results per project" in out.out
    assert all(data["runs"][0][key] > 0 for key in ("apply_tasks", "noop_tasks", "plan_tasks"))
