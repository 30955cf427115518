"""Runs the bundle import benchmark with a small archive so the script cannot rot, on this process's pooled emulator
nodes (always emulators: the benchmark creates and imports a project of its own); the two importers still run as
subprocesses of their own, whose peak RSS is measured."""

import json

from tests.benchmarks import bench_bundle_import
from tests.benchmarks.smoke import run_benchmark


def test_bench_bundle_import_small(tmp_path, node_pool, capsys):
    results = tmp_path / "bench.json"
    nodes = node_pool.checkout("design"), node_pool.checkout("automation")
    usage, code, out = run_benchmark(bench_bundle_import, ["--size-mib", "16", "--json", str(results)], capsys,
                                     nodes=nodes)
    assert usage.returncode == 0 and "--size-mib" in usage.stdout, usage.stdout + usage.stderr
    assert code == 0, out.out + out.err
    assert "peak RSS ratio client/module" in out.out
    data = json.loads(results.read_text())
    assert data["size_bytes"] >= 15 * 1024 * 1024
    module, client = data["rows"]
    assert module["ok"] and client["ok"]
    assert 0 < module["peak_rss_mib"] <= 100
    # The plain client holds the whole archive in memory at least once; the module never does.
    assert client["peak_rss_mib"] - module["peak_rss_mib"] >= 12, data
