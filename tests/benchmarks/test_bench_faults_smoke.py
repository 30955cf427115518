"""Runs the fault benchmark once per mode with faults so the script cannot rot (no rate or timing assertions)."""

import json

from tests.benchmarks import bench_faults
from tests.benchmarks.smoke import run_benchmark


def test_bench_faults_runs_and_reports(tmp_path, capsys):
    results = tmp_path / "faults.json"
    usage, code, out = run_benchmark(bench_faults, ["--runs", "1", "--rate", "0.05", "--no-check",
                                                    "--json", str(results)], capsys)
    assert usage.returncode == 0 and "--rate" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out + out.err
    assert "| mode | runs | succeeded | success rate | inconsistent states |" in out.out
    data = json.loads(results.read_text())
    assert [s["mode"] for s in data["summaries"]] == ["retries", "baseline"]
    # dev (the design node) is contacted first in every run; staging and prod only when the run gets that far
    assert all(s["runs"] == 1 and s["proxies"]["dev"]["requests"] > 0 for s in data["summaries"])
    assert len(data["rows"]) == 2 and data["leaked_keys"] == 0
