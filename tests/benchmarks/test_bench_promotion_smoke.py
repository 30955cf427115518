"""Runs the promotion benchmark with one project and one round so the script cannot rot (no timing assertions)."""

import json
import os
import subprocess
import sys

from tests.benchmarks.served import SWITCH

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tests", "benchmarks", "bench_promotion.py")


def test_bench_promotion_runs_and_writes_its_keys(tmp_path):
    results = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, BENCH, "--projects", "1", "--rounds", "1", "--json", str(results)],
                          capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, **{SWITCH: "1"}))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "ratio to the seed script" in proc.stdout
    data = json.loads(results.read_text())
    for key in ("seed_s", "apply_s", "noop_s", "plan_s"):
        assert data[key] > 0
    assert len(data["runs"]) == 1 and data["projects"] == 1
    assert "task results per project" in proc.stdout
    assert all(data["runs"][0][key] > 0 for key in ("apply_tasks", "noop_tasks", "plan_tasks"))
