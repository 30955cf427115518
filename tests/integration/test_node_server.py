"""The emulator nodes' fork server (tests/support/node_server.py): a served node is the node a fresh
``python tests/dss_emulator`` process is (its output, its environment, its answers, its end on SIGTERM and SIGKILL),
named dss_emulator, a child of the server; its pandas zygote comes from the zygote server and runs scripts as a
zygote of the node's own does, and ends with the node; and a pytest process's node server ends with it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import dataikuapi
import psutil
import pytest

from tests.emulator.test_scenario_runs import python_step, scenario_with
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


# A script that works with DataFrames (the word is the emulator's hint): forked from the node's zygote. It reports what a
# script can see of the process that runs it, and the zygote's own command line and parent.
ZYGOTE_PROBE = """import json, os, sys, pandas, psutil
zygote = psutil.Process(os.getppid())
print("PROBE " + json.dumps({
    "dataframe": "pandas" in sys.modules, "argv": sys.argv, "path": sys.path, "executable": sys.executable,
    "cwd": os.path.basename(os.getcwd())[:11], "umask": os.umask(0o22), "stdin": os.path.realpath("/proc/self/fd/0"),
    "flags": repr(sys.flags), "encoding": [sys.stdout.encoding, sys.getfilesystemencoding()],
    "env": sorted(k for k in os.environ if not k.startswith("DKU_EMULATOR_") or k == "DKU_EMULATOR_URL"),
    "project": os.environ["DKU_CURRENT_PROJECT_KEY"], "zygote": zygote.cmdline()[1:],
    "zygote_parent": zygote.parent().cmdline()[1:],
    "zygote_in_node_group": os.getpgid(zygote.pid) == os.getpgid(zygote.parent().pid)}))
"""


def _probe(url, key):
    project = dataikuapi.DSSClient(url, key).create_project("ZYGOTE", "zygote", "admin")
    run = scenario_with(project, "PROBE", python_step(ZYGOTE_PROBE)).run_and_wait()
    assert run.outcome == "SUCCESS", run.get_log()
    return json.loads(next(line for line in run.get_log().splitlines() if " - PROBE {" in line).split(" - PROBE ")[1])


def test_a_served_nodes_zygote_comes_from_the_zygote_server_and_runs_scripts_as_the_nodes_own(tmp_path):
    served, served_url = _start(tmp_path, "served", True)
    fresh, fresh_url = _start(tmp_path, "fresh", False)
    try:
        seen = {"served": _probe(served_url, "key-served"), "fresh": _probe(fresh_url, "key-fresh")}
        # Where the zygote comes from: a fork of the zygote server (its command line stays the server's), in a group
        # of its own; a node's own zygote is the node's child, in the node's group.
        runtime_zygote = os.path.join(node_server.EMULATOR, "runtime", "zygote.py")
        assert seen["fresh"].pop("zygote") == [runtime_zygote] == seen["fresh"]["argv"]
        assert seen["fresh"].pop("zygote_parent")[:3] == [node_server.EMULATOR, "--node-type", "automation"]
        assert seen["fresh"].pop("zygote_in_node_group") is True
        assert seen["served"].pop("zygote")[2] == "zygotes" == seen["served"].pop("zygote_parent")[2]
        assert seen["served"].pop("zygote_in_node_group") is False
        assert seen["fresh"]["dataframe"] is True and seen["fresh"]["cwd"] == "dss-python-"
        assert seen["served"] == seen["fresh"]
    finally:
        for proc in (served, fresh):
            processes.stop(proc)
            proc.stdout.close()


def test_a_served_nodes_zygote_and_the_scripts_it_runs_end_when_the_node_is_killed(tmp_path):
    served, url = _start(tmp_path, "killed", True)
    pids = tmp_path / "pids"
    try:
        project = dataikuapi.DSSClient(url, "key-killed").create_project("ZYGOTE", "zygote", "admin")
        scenario_with(project, "SLOW", python_step(
            "import os, time, pandas\nopen(%r, 'w').write('%%d %%d' %% (os.getpid(), os.getppid()))\n"
            "os.rename(%r, %r)\ntime.sleep(120)\n" % (str(pids) + ".tmp", str(pids) + ".tmp", str(pids)))).run()
        deadline = time.monotonic() + 60
        while not pids.exists():
            assert time.monotonic() < deadline, "the DataFrame script did not start"
            time.sleep(0.1)
        script, zygote = [psutil.Process(int(pid)) for pid in pids.read_text().split()]
        assert "zygotes" in zygote.cmdline()  # served: a child of the zygote server
        served.kill()  # the node's process group, as a test or a crash kills a node
        assert served.wait(timeout=30) == -signal.SIGKILL
        _gone, alive = psutil.wait_procs([script, zygote], timeout=30)
        assert not alive, alive
        # What the killed script leaves stays with the node's data, not in the machine's temporary directory.
        assert [p.name[:11] for p in (tmp_path / "killed" / "tmp").iterdir()] == ["dss-python-"]
    finally:
        processes.stop(served)
        served.stdout.close()


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
