"""The emulator nodes' fork server (tests/support/node_server.py): a served node is the node a fresh
``python tests/dss_emulator`` process is (its output, its environment, its answers, its end on SIGTERM and SIGKILL),
named dss_emulator, a child of the server; and a pytest process's node server ends with it."""

import json
import os
import signal
import subprocess
import sys
import urllib.request

import psutil
import pytest

from tests.support import node_server, playbook_server, processes

pytestmark = pytest.mark.skipif(os.environ.get(node_server.SWITCH) == "0", reason="the node server is switched off")


def _start(tmp_path, name, served):
    data = tmp_path / name
    data.mkdir()
    cmd = [sys.executable, node_server.EMULATOR, "--node-type", "automation", "--port", "0", "--data-dir", str(data)]
    env = dict(os.environ, DSS_EMULATOR_API_KEY="key-%s" % name)  # no --api-key: the node reads its environment
    kwargs = dict(stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=str(tmp_path))
    assert node_server.serves(cmd, kwargs)  # processes.popen would serve it: the fresh one bypasses it
    proc = processes.popen(cmd, **kwargs) if served else subprocess.Popen(cmd, **kwargs)  # noqa pylint: disable=R1732
    first = proc.stdout.readline()
    assert first.startswith("listening on http://127.0.0.1:"), first
    return proc, first.split("listening on ", 1)[1].strip()


def _projects(url, key):
    request = urllib.request.Request(url + "/public/api/projects/", headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def test_a_served_node_is_a_fresh_nodes_run_named_dss_emulator(tmp_path):
    served, served_url = _start(tmp_path, "served", True)
    fresh, fresh_url = _start(tmp_path, "fresh", False)
    try:
        assert _projects(served_url, "key-served") == _projects(fresh_url, "key-fresh") == (200, [])
        node = psutil.Process(served.pid)
        assert node.name() == "dss_emulator" and "node_server.py" in " ".join(node.parent().cmdline())
        assert node.cwd() == psutil.Process(fresh.pid).cwd() == str(tmp_path)
        assert node.pid not in [child.pid for child in psutil.Process().children(recursive=False)]
        for proc in (served, fresh):
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        assert served.stdout.read() == fresh.stdout.read()
    finally:
        for proc in (served, fresh):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        processes.forget(served)


def test_a_served_node_killed_with_sigkill_ends_with_that_signal_and_frees_its_port(tmp_path):
    served, url = _start(tmp_path, "killed", True)
    port = int(url.rsplit(":", 1)[1])
    served.kill()
    assert served.wait(timeout=30) == -signal.SIGKILL
    served.stdout.close()
    processes.forget(served)
    again = processes.popen([sys.executable, node_server.EMULATOR, "--node-type", "automation", "--port", str(port),
                             "--data-dir", str(tmp_path / "killed"), "--api-key", "k"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert again.stdout.readline().strip() == "listening on http://127.0.0.1:%d" % port
    finally:
        processes.stop(again)
        again.stdout.close()


def test_the_switch_the_packaging_tier_and_other_commands_start_real_processes(monkeypatch):
    cmd = [sys.executable, node_server.EMULATOR, "--node-type", "design", "--data-dir", "/tmp/x"]
    monkeypatch.setattr(node_server.SWITCH_BOARD, "enabled", False)
    monkeypatch.setattr(processes, "_routes", [])
    monkeypatch.setattr(playbook_server.atexit, "register", lambda *_: None)
    monkeypatch.setenv(node_server.SWITCH, "0")
    node_server.enable()
    assert not node_server.serves(cmd, {}) and processes._routes == []  # pylint: disable=protected-access
    monkeypatch.setenv(node_server.SWITCH, "1")
    node_server.enable()
    assert node_server.serves(cmd, {}) and processes._routes == [  # pylint: disable=protected-access
        (node_server.serves, node_server.popen)]
    monkeypatch.setattr(node_server.SWITCH_BOARD, "paused", False)
    node_server.pause(True)  # the packaging tier (tests/conftest.py)
    assert not node_server.serves(cmd, {})
    node_server.pause(False)
    # Not served: the daemon and its stop (a process of its own that outlives the command), other interpreters,
    # and launches the server cannot reproduce.
    assert not node_server.serves(cmd + ["--daemon"], {})
    assert not node_server.serves([sys.executable, node_server.EMULATOR, "stop", "--pid-file", "p"], {})
    assert not node_server.serves(["python3"] + cmd[1:], {})
    assert not node_server.serves(cmd, {"pass_fds": (5,)})
    assert not node_server.serves(cmd, {"stdin": subprocess.PIPE})
