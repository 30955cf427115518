"""Runs the bundle import benchmark with a small archive so the script cannot rot: as a process of its own, since the
peak RSS it measures starts from the size of the process that forks the importers (bench_bundle_import.measure)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tests", "benchmarks", "bench_bundle_import.py")


def test_bench_bundle_import_small(tmp_path):
    results = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, BENCH, "--size-mib", "16", "--json", str(results)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "peak RSS ratio client/module" in proc.stdout
    data = json.loads(results.read_text())
    assert data["size_bytes"] >= 15 * 1024 * 1024
    module, client = data["rows"]
    assert module["ok"] and client["ok"]
    assert 0 < module["peak_rss_mib"] <= 100
    # The plain client holds the whole archive in memory at least once; the module never does.
    assert client["peak_rss_mib"] - module["peak_rss_mib"] >= 12, data


def test_bench_filter_lookup_counts_every_filter_in_one_file(tmp_path):
    results = tmp_path / "lookup.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "benchmarks", "bench_filter_lookup.py"),
                           "--rounds", "2", "--json", str(results)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(results.read_text())
    assert data["filters"] >= 37 and data["python_files"] == 1, data
    assert data["collection_ms"] > data["builtin_ms"] > 0 and "ms of CPU a lookup" in proc.stdout
