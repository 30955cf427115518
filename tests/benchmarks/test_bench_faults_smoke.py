"""Runs the fault benchmark once per mode with faults so the script cannot rot (no rate or timing assertions)."""

import json
import os
import subprocess
import sys

from tests.benchmarks.served import SWITCH

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tests", "benchmarks", "bench_faults.py")


def test_bench_faults_runs_and_reports(tmp_path):
    results = tmp_path / "faults.json"
    proc = subprocess.run([sys.executable, BENCH, "--runs", "1", "--rate", "0.05", "--no-check",
                           "--json", str(results)], capture_output=True, text=True, timeout=900, check=False,
                          env=dict(os.environ, **{SWITCH: "1"}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| mode | runs | succeeded | success rate | inconsistent states |" in proc.stdout
    data = json.loads(results.read_text())
    assert [s["mode"] for s in data["summaries"]] == ["retries", "baseline"]
    # dev (the design node) is contacted first in every run; staging and prod only when the run gets that far
    assert all(s["runs"] == 1 and s["proxies"]["dev"]["requests"] > 0 for s in data["summaries"])
    assert len(data["rows"]) == 2 and data["leaked_keys"] == 0
