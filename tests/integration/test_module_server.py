"""The module fork server (tests/support/module_server.py): a module run through it is the run the real interpreter
gives (results, failures, exceptions, signals), the collection's code still comes from the AnsiballZ archive, other
uses of the interpreter get the real one, and a killed module process takes the served module with it."""

import os
import shutil
import signal
import subprocess
import time

import psutil
import pytest
import yaml

from tests.support import collection, module_server, playbook_server, processes
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env, run_playbook

pytestmark = pytest.mark.skipif(not module_server.enabled() or os.environ.get(playbook_server.SWITCH) == "0",
                                reason="the module server is switched off")

PROBE = '''#!/usr/bin/python
import os, signal, sys, time, zipimport
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core import ids


def main():
    module = AnsibleModule(argument_spec=dict(case=dict(type="str", required=True), marker=dict(type="str")))
    case = module.params["case"]
    if case == "fail":
        module.fail_json(msg="failed on purpose", detail=[1, 2])
    if case == "raise":
        raise ValueError("raised on purpose")
    if case == "signal":
        os.kill(os.getpid(), signal.SIGKILL)
    if case == "exit":
        print("not JSON")
        sys.exit(3)
    if case == "sleep":
        with open(module.params["marker"], "w") as out:
            out.write(str(os.getpid()))
        time.sleep(600)
    umask = os.umask(0)
    os.umask(umask)
    module.exit_json(
        changed=False, argv0=os.path.basename(sys.argv[0]), name=__name__, cwd=os.getcwd(), umask=umask,
        word=os.environ.get("PROBE_WORD"), stdin=sys.stdin.read(), executable=sys.executable,
        session_leader=os.getsid(0) == os.getpid(), sigint=str(signal.getsignal(signal.SIGINT)),
        sigpipe=str(signal.getsignal(signal.SIGPIPE)), util_from_archive="_payload.zip" in ids.__file__,
        util_code_file=ids.shown.__code__.co_filename == ids.__file__,
        precompiled=zipimport._compile_source.__name__ == "compiled_once" and ids.__spec__.loader.get_source(
            ids.__name__).encode() in getattr(sys.modules.get("computed_once"), "_COMPILED", {}),
        path=[p for p in sys.path if "_payload.zip" not in p], fds=sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        parent=" ".join(open("/proc/%d/cmdline" % os.getppid(), "rb").read().decode().split("\\0")))


if __name__ == "__main__":
    main()
'''
CASES = ("ok", "fail", "raise", "signal", "exit")


def write_library(workdir):
    library = workdir / "library"
    library.mkdir(parents=True, exist_ok=True)
    (library / "server_probe.py").write_text(PROBE)


# How Ansible hands the interpreter a module: the AnsiballZ file as its argument (Ansible's default), or the script
# on its standard input (pipelining, what the tests' runs use: tests/support/playbook.py).
MODES = {"file": False, "stdin": True}


def test_a_served_module_is_the_real_interpreters_run(tmp_path):
    """Each case runs four times in one playbook run: on a host whose Python is the run's own (the stand-in, served)
    and on one whose Python is the real interpreter, each with the module as a file and on standard input."""
    write_library(tmp_path)
    real = playbook_server.real_interpreter()
    hosts = {}
    for mode, pipelining in MODES.items():
        for case in CASES:
            common = {"ansible_connection": "local", "ansible_pipelining": pipelining, "case": case}
            hosts["served-%s-%s" % (mode, case)] = common
            hosts["real-%s-%s" % (mode, case)] = dict(common, ansible_python_interpreter=real)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    # The modules' temporary directory: what a module killed by a signal leaves behind (its AnsiballZ payload)
    # stays in the test's directory, not in /tmp.
    temp = tmp_path / "tmp"
    temp.mkdir()
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "Probe", "server_probe": {"case": "{{ case }}"}, "ignore_errors": True},
        {"name": "Other uses", "ansible.builtin.command": "{{ ansible_playbook_python }} -c 'import sys; print(sys.executable)'",
         "when": "case == 'ok'"},
        {"name": "Other scripts on standard input", "when": "case == 'ok'", "ansible.builtin.shell":
         "echo 'import sys; print(sys.executable, \"ansible\" in sys.modules)' | {{ ansible_playbook_python }}"}]}]
    result = run_playbook(tmp_path, playbook=play, inventory=str(inventory),
                          env={"PROBE_WORD": "hello", "TMPDIR": str(temp)})
    assert result.rc == 0, result.output[-3000:]

    for mode in MODES:
        served = result.task("Probe", "served-%s-ok" % mode)["result"]
        fresh = result.task("Probe", "real-%s-ok" % mode)["result"]
        served_parent, fresh_parent = served.pop("parent"), fresh.pop("parent")
        assert "module_server.py" in served_parent and "module_server.py" not in fresh_parent, mode
        # the real interpreter's parent, the shell, had the AnsiballZ file as argument or on standard input
        assert ("/AnsiballZ_server_probe.py" in fresh_parent) == (mode == "file"), fresh_parent
        assert served.pop("fds") == fresh.pop("fds") == [0, 1, 2, 3]  # fd 3: the listing of /proc/self/fd itself
        assert served["util_from_archive"] and served["word"] == "hello" and served["name"] == "__main__", served
        # The collection's code compiled once by the server (tests/support/computed_once.py), named as zipimport
        # names it.
        assert served.pop("precompiled") and not fresh.pop("precompiled")
        assert served["util_code_file"]
        assert served == fresh, mode
        # Any other use of ansible_playbook_python gets the real interpreter.
        assert result.task("Other uses", "served-%s-ok" % mode)["result"]["stdout"] == real
        # A script on its standard input that is not an AnsiballZ wrapper too, with nothing imported beforehand.
        assert result.task("Other scripts on standard input", "served-%s-ok" % mode)["result"]["stdout"] == (
            real + " False")

        for case in CASES[1:]:
            served = result.task("Probe", "served-%s-%s" % (mode, case))
            fresh = result.task("Probe", "real-%s-%s" % (mode, case))
            assert served["status"] == fresh["status"] == "ignored", (served, fresh)  # failed, ignore_errors
            served, fresh = served["result"], fresh["result"]
            assert (served.get("rc"), served["msg"]) == (fresh.get("rc"), fresh["msg"]), (mode, case, served, fresh)
            assert served.get("module_stdout") == fresh.get("module_stdout"), (mode, case)
            assert served.get("exception", "")[:200] == fresh.get("exception", "")[:200], (mode, case)
        # as /bin/sh reports it
        assert result.task("Probe", "served-%s-signal" % mode)["result"]["rc"] == 128 + signal.SIGKILL
    # Each of the four killed modules left its payload directory where TMPDIR says, and nothing else did.
    assert sorted(p.name.split("_payload_")[0] for p in temp.iterdir()) == ["ansible_server_probe"] * 4


def test_a_killed_module_process_takes_the_served_module_with_it(tmp_path):
    """kill -9 of ansible-playbook and every process under it (test_crash_safety's kill): the served module, a child
    of the module server, ends too."""
    write_library(tmp_path)
    marker = tmp_path / "module.pid"
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"server_probe": {"case": "sleep", "marker": str(marker)}}]}]
    (tmp_path / "sleep.yml").write_text(yaml.safe_dump(play))
    env = ansible_env({"TMPDIR": str(tmp_path)})  # the killed module's payload directory stays in the test's
    proc = processes.popen([ANSIBLE_PLAYBOOK, str(tmp_path / "sleep.yml"), "-i", "localhost,", "-c", "local"],
                           cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists() or not marker.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, "the module never started"
        time.sleep(0.1)
    module = psutil.Process(int(marker.read_text()))
    assert module.pid not in playbook_server.descendants(proc.pid)  # it runs in the server, not under the run
    processes.kill_tree(proc)
    module.wait(timeout=30)  # psutil: raises TimeoutExpired if it outlives its stand-in
    assert not module.is_running()


SCRIPT = '''import os, signal, sys
print(sys.argv[0], os.getcwd(), os.environ.get("PROBE_WORD"), oct(os.umask(0)), sys.stdin.read())
print(open("/proc/%d/cmdline" % os.getppid(), "rb").read().replace(b"\\0", b" ").decode(), file=sys.stderr)
if os.environ.get("PROBE_SIGNAL"):
    os.kill(os.getpid(), getattr(signal, os.environ["PROBE_SIGNAL"]))
sys.exit(7)
'''

# A script on standard input (Ansible's pipelining); the function's name marks an AnsiballZ wrapper.
STDIN_SCRIPT = '''import os, sys
import __main__


def _ansiballz_main():
    print(sys.argv, repr(sys.path[0]), os.getcwd(), os.environ.get("PROBE_WORD"), oct(os.umask(0)), __name__,
          sorted(vars(__main__)), __main__.__file__, __main__.__cached__, __main__.__spec__, __main__.__loader__,
          repr(sys.stdin.read()))
    print("ansible imported:", "ansible" in sys.modules, file=sys.stderr)
    sys.exit(5)


_ansiballz_main()
'''


@pytest.mark.parametrize("compiler", ["cc", "no-such-compiler"])
def test_either_stand_in_runs_an_ansiballz_script_in_the_server_and_anything_else_in_the_real_interpreter(
        tmp_path, monkeypatch, compiler):
    """The stand-in compiled from module_stand_in.c and the Python one (no C compiler): an AnsiballZ script runs in
    the module server with the caller's argv, working directory, environment, umask, standard streams and exit
    status (killed by a signal: the same signal); other command lines, and any run before the server listens, are
    the real interpreter's."""
    monkeypatch.setenv("CC", compiler)
    real = playbook_server.real_interpreter()
    server = module_server.ModuleServer(dict(os.environ), real, collection.ensure_collection_link())
    try:
        with open(server.python, "rb") as fh:
            compiled = fh.read(4) == b"\x7fELF"
        assert compiled == (compiler == "cc" and shutil.which("cc") is not None)
        script = tmp_path / "AnsiballZ_probe.py"
        script.write_text(SCRIPT)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(server.directory, module_server.SOCKET)):
            assert time.monotonic() < deadline, "the module server never listened"
            time.sleep(0.05)

        def run(python, *args, **env):
            return subprocess.run(["sh", "-c", 'umask 027; exec "$@"', "sh", python, str(script), *args],
                                  input="from stdin", capture_output=True, text=True, cwd=str(tmp_path),
                                  env=dict(os.environ, PROBE_WORD="hello", **env), check=False)

        served, fresh = run(server.python), run(real)
        assert (served.returncode, served.stdout) == (fresh.returncode, fresh.stdout) == (
            7, "%s %s hello 0o27 from stdin\n" % (script, tmp_path))
        assert "support/module_server.py" in served.stderr and "support/module_server.py" not in fresh.stderr
        killed = run(server.python, PROBE_SIGNAL="SIGTERM")
        assert killed.returncode == -signal.SIGTERM and "support/module_server.py" in killed.stderr
        # A second argument: not a module run, the real interpreter.
        assert "support/module_server.py" not in run(server.python, "extra").stderr
        other = subprocess.run([server.python, "-c", "import sys; print(sys.executable)"], capture_output=True,
                               text=True, check=True)
        assert other.stdout.strip() == real

        def run_stdin(python, source):
            return subprocess.run(["sh", "-c", 'umask 027; exec "$@"', "sh", python], input=source,
                                  capture_output=True, text=True, cwd=str(tmp_path),
                                  env=dict(os.environ, PROBE_WORD="hello"), check=False)

        # No argument, the script on standard input: an AnsiballZ wrapper runs in the server as Python runs it.
        served, fresh = run_stdin(server.python, STDIN_SCRIPT), run_stdin(real, STDIN_SCRIPT)
        assert (served.returncode, served.stdout) == (fresh.returncode, fresh.stdout), (served, fresh)
        assert fresh.returncode == 5 and fresh.stdout.startswith("[''] '' %s hello 0o27 __main__" % tmp_path)
        assert (served.stderr, fresh.stderr) == ("ansible imported: True\n", "ansible imported: False\n")
        # Any other script on standard input: the real interpreter (exec'd by the server's child), given what was read.
        other = run_stdin(server.python, STDIN_SCRIPT.replace("_ansiballz_main", "main"))
        assert (other.returncode, other.stdout) == (5, fresh.stdout.replace("_ansiballz_main", "main"))
        assert other.stderr == fresh.stderr
    finally:
        server.close()
