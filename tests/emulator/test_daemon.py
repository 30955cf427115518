"""`python tests/dss_emulator --daemon` and `stop`: a node started in the background, so that a guide goes on in the
same shell, returns only once it answers, names its log when it cannot start, and stops cleanly."""

import json
import os
import socket
import subprocess
import sys
import urllib.request

from tests.support.emulator import EMULATOR


def emulator(*args, cwd=None):
    return subprocess.run([sys.executable, EMULATOR] + list(args), cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def running(pid):
    """Whether ``pid`` runs (an exited node that its new parent has not reaped yet is a zombie: it does not)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_answers_when_the_command_returns_and_stop_ends_it(tmp_path):
    port, pid_file = free_port(), str(tmp_path / "node.pid")
    started = emulator("--daemon", "--pid-file", pid_file, "--node-type", "automation", "--port", str(port),
                       "--data-dir", str(tmp_path / "data"), "--api-key", "k")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("listening on http://127.0.0.1:%d (pid " % port), started.stdout
    with open(pid_file, encoding="utf-8") as fh:
        pid = int(fh.read())
    request = urllib.request.Request("http://127.0.0.1:%d/public/api/instance-info" % port,
                                     headers={"Authorization": "Bearer k"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # no wait: it answers once --daemon returned
        assert json.load(answer)["nodeType"] == "AUTOMATION"
    again = emulator("--daemon", "--pid-file", pid_file, "--port", "0", "--data-dir", str(tmp_path / "data"),
                     "--api-key", "k")
    assert again.returncode != 0 and "already runs with pid file %s (pid %d)" % (pid_file, pid) in again.stderr

    stopped = emulator("stop", "--pid-file", pid_file)
    assert stopped.returncode == 0 and stopped.stdout.strip() == "dss_emulator: stopped node %d" % pid
    assert not os.path.exists(pid_file) and not running(pid)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # the port is free again
    assert "no node to stop" in emulator("stop", "--pid-file", pid_file).stdout  # stopping twice is harmless


def test_daemon_that_cannot_start_exits_non_zero_and_shows_its_log(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failed = emulator("--daemon", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--api-key", "k")
    log = str(tmp_path / "data" / "emulator.log")
    assert failed.returncode != 0
    assert "the node did not start (exit code 1); its log %s ends with:" % log in failed.stderr, failed.stderr
    assert "Address already in use" in failed.stderr
    assert not os.path.exists(tmp_path / "data" / "emulator.pid")


def test_stop_never_signals_a_process_that_reused_a_stale_pid(tmp_path):
    with subprocess.Popen(["sleep", "60"]) as other:
        try:
            (tmp_path / "node.pid").write_text("%d\n" % other.pid)  # a node gone (kill -9) whose pid came back
            stopped = emulator("stop", "--pid-file", str(tmp_path / "node.pid"))
            assert stopped.returncode == 0 and "had already stopped" in stopped.stdout, stopped.stdout
            assert other.poll() is None and not (tmp_path / "node.pid").exists()
        finally:
            other.kill()
