"""Runs the fault benchmark once per mode with faults so the script cannot rot (no rate or timing assertions), on a
copy of the session's seeded landscape (what the script would start: CHURN on dev, the connections, one commit).

Seed 38 draws, at 5% of faults: for the baseline, a fault on the first request to dev (the bulk read's first call),
so that the run without retries stops there instead of promoting until a later fault; for the retries mode, faults
on requests 8 (dev) and 5 (staging), so that it meets faults too."""

import json

from tests.benchmarks import bench_faults
from tests.benchmarks.smoke import run_benchmark
from tests.support import landscape


def test_bench_faults_runs_and_reports(tmp_path, tmp_path_factory, capsys):
    results = tmp_path / "faults.json"
    land = landscape.restored(landscape.SEEDED, tmp_path / "land", tmp_path_factory)
    usage, code, out = run_benchmark(bench_faults, ["--runs", "1", "--rate", "0.05", "--seed", "38", "--no-check",
                                                    "--json", str(results)], capsys, landscape=land)
    assert usage.returncode == 0 and "--rate" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out + out.err
    assert "| mode | runs | succeeded | success rate | inconsistent states |" in out.out
    data = json.loads(results.read_text())
    assert [s["mode"] for s in data["summaries"]] == ["retries", "baseline"]
    # dev (the design node) is contacted first in every run; staging and prod only when the run gets that far
    assert all(s["runs"] == 1 and s["proxies"]["dev"]["requests"] > 0 for s in data["summaries"])
    assert len(data["rows"]) == 2 and data["leaked_keys"] == 0
    # DATAIKU_RETRIES=0 reaches the modules: the baseline's first fault, a read, fails its run.
    baseline = data["rows"][1]
    assert baseline["mode"] == "baseline" and baseline["rc"] != 0 and baseline["failures"], baseline
