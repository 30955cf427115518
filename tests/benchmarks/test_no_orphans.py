"""A benchmark killed mid-run leaves no process behind: its emulator nodes, their recipe processes and the
ansible-playbook it runs end with it (tests/support/processes.py), whether it is stopped with SIGTERM, Ctrl-C
(SIGINT) or kill -9; and a pytest run stopped with SIGTERM ends at once with its emulator nodes (children of its node
server, tests/support/node_server.py) and its fork servers."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.benchmarks import bench_noop_scale
from tests.support.promotion import NODE_TYPES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Its first step after the landscape's start is a playbook run (bench_promotion.py runs its seed script first), so the
# kill comes soonest, and its landscape has two nodes (dev, staging) where the others start three; it runs as users
# run it, with the real ansible-playbook.
BENCH = os.path.join(ROOT, "tests", "benchmarks", "bench_noop_scale.py")
NODES = len(bench_noop_scale.ENVS)


def _descendants(proc):
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _mid_run(bench, timeout=240):
    """Wait until the benchmark has its emulator nodes and an ansible-playbook running; return every process it
    started by then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert bench.poll() is None, "the benchmark ended before it was killed: %s" % bench.stdout.read()
        procs = _descendants(psutil.Process(bench.pid))
        lines = []
        for proc in procs:
            try:
                lines.append(" ".join(proc.cmdline()))
            except psutil.Error:
                continue
        if sum("dss_emulator" in line and "--node-type" in line for line in lines) >= NODES and \
                any("ansible-playbook" in line for line in lines):
            return procs
        time.sleep(0.2)
    pytest.fail("the benchmark did not reach a playbook run within %d s" % timeout)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["sigterm", "sigint", "sigkill"])
def test_a_killed_benchmark_leaves_no_process(tmp_path, signum):
    # The nodes' data directories and the benchmark's temporary files in the test's own directory: a benchmark
    # killed with -9 cannot remove them.
    nodes, temporary = tmp_path / "nodes", tmp_path / "tmp"
    nodes.mkdir()
    temporary.mkdir()
    bench = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, BENCH, "--projects", "4", "--small", "2", "--json", str(tmp_path / "bench.json")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(tmp_path),
        env=dict(os.environ, DSS_TEST_NODE_TMP=str(nodes), TMPDIR=str(temporary)))
    try:
        started = _mid_run(bench)
        started += [p for p in _descendants(psutil.Process(bench.pid)) if p not in started]
        bench.send_signal(signum)
        bench.wait(timeout=60)
        _gone, alive = psutil.wait_procs(started, timeout=30)
        left = []
        for proc in alive:
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:  # ended, waiting for a reaper that is not ours
                    continue
                left.append("%d %s" % (proc.pid, " ".join(proc.cmdline())))
            except psutil.Error:
                continue
        assert not left, "left running after %s:\n%s" % (signal.Signals(signum).name, "\n".join(left))
        # Stopped by a signal it can handle, the benchmark also removes its nodes' data and its work directory;
        # killed, it leaves one per node and its work directory.
        leftovers = sorted(path.name.split("-")[1] for path in nodes.iterdir())
        expected = sorted(NODE_TYPES[env] for env in bench_noop_scale.ENVS) if signum == signal.SIGKILL else []
        assert leftovers == expected, leftovers
        work = [path.name for path in temporary.iterdir() if path.name.startswith("bench-noop-scale-")]
        assert len(work) == (1 if signum == signal.SIGKILL else 0), sorted(os.listdir(temporary))
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        bench.stdout.close()


PROBE = os.path.join(ROOT, "tests", "benchmarks", "orphan_probe.py")


def test_a_pytest_run_stopped_with_sigterm_ends_and_leaves_no_node():
    # SIGTERM (a CI timeout) stops the whole run, as Ctrl-C does (tests/conftest.py), instead of failing only the
    # running test; the pooled node ends with it. With pytest-xdist, as make test runs it.
    run = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-n", "1", PROBE],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 240
        started = []
        while not any(_is_node(p) for p in started):
            assert run.poll() is None and time.monotonic() < deadline, "the probe's node did not start"
            time.sleep(0.5)
            started = _descendants(psutil.Process(run.pid))
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=120)[0]
        assert run.returncode != 0 and "KeyboardInterrupt" in output, output[-3000:]
        assert "the run went on after the signal" not in output, output[-3000:]
        _gone, alive = psutil.wait_procs(started, timeout=30)
        assert not [p for p in alive if _cmdline(p)], [_cmdline(p) for p in alive]
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()


def _is_node(proc):
    """An emulator node: ``python tests/dss_emulator ...``, or a child of the tests' node server
    (tests/support/node_server.py), which names it dss_emulator."""
    try:
        return "dss_emulator" in " ".join(_cmdline(proc)) or proc.name() == "dss_emulator"
    except psutil.Error:
        return False


def _cmdline(proc):
    try:
        return [] if proc.status() == psutil.STATUS_ZOMBIE else proc.cmdline()
    except psutil.Error:
        return []
