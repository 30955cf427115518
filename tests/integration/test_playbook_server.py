"""The playbook fork server (tests/support/playbook_server.py) runs ansible-playbook as the real binary does: the same
exit code and output for a passing, a failing and an unparsable playbook; a process state probed from inside the
run (a callback plugin at the playbook's start) equal to the real binary's, the configuration read afresh from
each run's environment (ANSIBLE_* and TZ) and working directory; a run over its timeout killed with its process
group; a run killed with SIGKILL taking its workers along; no server and no run left when the pytest process is
killed; and no configuration ever imported by the server. These tests use the server whatever
DSS_TEST_PLAYBOOK_SERVER says."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.support import module_server, playbook_server, processes
from tests.support.collection import ensure_collection_link
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCAL = ["-i", "localhost,", "-c", "local"]

PROBE = '''
import atexit, hashlib, json, logging, multiprocessing.process, os, signal, sys, threading, time
from ansible import constants as C
from ansible.plugins.callback import CallbackBase


def _fd(fd):
    try:
        target = os.readlink("/proc/self/fd/%s" % fd)
    except OSError:
        return None
    if target.endswith(" (deleted)"):
        return "a deleted file"
    return target.split(":")[0] if target.startswith(("pipe:", "socket:", "anon_inode:")) else target


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()


def _handler(value):
    return getattr(value, "__qualname__", None) or str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "probe"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        with open("/proc/self/status", encoding="ascii") as fh:
            umask = [line.split()[1] for line in fh if line.startswith("Umask:")][0]
        loggers = {"": logging.getLogger()} | dict(logging.Logger.manager.loggerDict)
        state = {
            "argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask,
            "path": sys.path, "executable": sys.executable, "prefix": sys.prefix, "flags": list(sys.flags),
            "fds": {fd: _fd(fd) for fd in sorted(os.listdir("/proc/self/fd"), key=int)},
            "signals": {s.name: _handler(signal.getsignal(s)) for s in signal.valid_signals()
                        if isinstance(s, signal.Signals) and s not in (signal.SIGKILL, signal.SIGSTOP)},
            "atexit": atexit._ncallbacks(), "threads": threading.active_count(),
            "logging": {name: [type(h).__name__ for h in getattr(lg, "handlers", [])] for name, lg in loggers.items()},
            "stdio": [[s.encoding, s.errors, s.line_buffering, s.isatty()] for s in (sys.stdin, sys.stdout, sys.stderr)],
            "original_dir": multiprocessing.process.ORIGINAL_DIR, "main": getattr(sys.modules["__main__"], "__file__"),
            "tz": time.tzname, "config_file": C.CONFIG_FILE, "forks": C.DEFAULT_FORKS, "timeout": C.DEFAULT_TIMEOUT,
            # what tests/support/computed_once.py parses once in the server: the same values as a fresh parse
            "base_defs": _digest(C.config._base_defs),
            "builtin_routing": _digest(sys.modules["ansible_collections.ansible.builtin"]._collection_meta),
            "taken": getattr(sys.modules.get("computed_once"), "TAKEN", None),
        }
        import ansible.utils.vars
        process = {"pid": os.getpid(), "ppid": os.getppid(), "local_tmp": C.DEFAULT_LOCAL_TMP,
                   "random_int": ansible.utils.vars.random_int}
        with open(os.environ["PROBE_OUT"], "w", encoding="utf-8") as out:
            json.dump({"state": state, "process": process}, out)

    def v2_playbook_on_stats(self, stats):
        # At the end: the configuration definitions of every plugin the run loaded, read from their documentation
        # (computed_once.share_plugin_docs), with the type and tags (origin, trust) of each value.
        with open(os.environ["PROBE_OUT"], encoding="utf-8") as fh:
            probe = json.load(fh)
        probe["state"]["plugin_defs"] = _digest(_with_tags(C.config._plugins))
        probe["state"]["plugin_types"] = sorted(C.config._plugins)
        with open(os.environ["PROBE_OUT"], "w", encoding="utf-8") as out:
            json.dump(probe, out)


def _with_tags(value):
    from ansible.module_utils._internal._datatag import AnsibleTagHelper
    tags = sorted(repr(tag) for tag in AnsibleTagHelper.tags(value))
    if isinstance(value, dict):
        inner = sorted([_with_tags(k), _with_tags(v)] for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        inner = [_with_tags(v) for v in value]
    else:
        inner = repr(value)
    return [type(value).__name__, tags, inner]
'''

PASSING = """\
- name: Passing
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A module in its own process
      ansible.builtin.command: echo from a module
      changed_when: false
    - name: Say
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.env', 'PROBE_WORD') }}"
"""
FAILING = """\
- name: Failing
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Fail
      ansible.builtin.fail:
        msg: failed on purpose
"""
UNPARSABLE = """\
- name: Unparsable
  hosts: localhost
  tasks:
    - name: No such keyword
      no_such_keyword_here: true
"""
PAUSED = """\
- name: Paused
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait
      ansible.builtin.pause:
        seconds: 600
"""


@pytest.fixture
def served(monkeypatch):
    """processes routes ansible-playbook to the server (also with DSS_TEST_PLAYBOOK_SERVER=0)."""
    monkeypatch.setattr(playbook_server.SWITCH_BOARD, "enabled", True)
    monkeypatch.setattr(processes, "_routes", [(playbook_server.serves, playbook_server.popen)])


def real(cmd, cwd, env):
    return subprocess.run(cmd, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300, check=False)


def write(directory, name, text):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return str(directory / name)


def probe_env(tmp_path, out, **extra):
    plugins = write(tmp_path / "probe_plugins", "probe.py", PROBE)
    env = ansible_env({"ANSIBLE_CALLBACK_PLUGINS": os.path.dirname(plugins), "ANSIBLE_CALLBACKS_ENABLED": "probe",
                       "PROBE_OUT": str(out), "PROBE_WORD": "hello from the environment"})
    env.update(extra)
    return env


def read_probe(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def test_a_served_run_is_the_real_binary_run(tmp_path, served):  # pylint: disable=redefined-outer-name,W0613
    work = tmp_path / "configured"
    write(work, "ansible.cfg", "[defaults]\ntimeout = 17\n")
    cmd = [ANSIBLE_PLAYBOOK, write(work, "passing.yml", PASSING)] + LOCAL
    outcomes = {}
    for how, run in (("real", real), ("served", processes.run)):
        env = probe_env(tmp_path, tmp_path / ("%s.json" % how), ANSIBLE_FORKS="3", TZ="XST3XDT")
        proc = run(cmd, cwd=str(work), env=env)
        outcomes[how] = (proc.returncode, proc.stdout, proc.stderr, read_probe(tmp_path / ("%s.json" % how)))
    (real_rc, real_out, real_err, real_probe), (rc, out, err, probe) = outcomes["real"], outcomes["served"]
    assert (rc, out, err) == (real_rc, real_out, real_err) and rc == 0, out + err
    assert "hello from the environment" in out
    assert probe["state"]["env"].pop("PROBE_OUT") != real_probe["state"]["env"].pop("PROBE_OUT")
    # The one difference by design: the module server's stand-in is the run's Python for its modules
    # (tests/support/module_server.py; DSS_TEST_MODULE_SERVER=0 turns it off).
    stand_in = probe["state"].pop("executable")
    assert real_probe["state"].pop("executable") == playbook_server.real_interpreter()
    if module_server.enabled():
        assert os.path.basename(stand_in) == module_server.PYTHON and stand_in != sys.executable
        assert probe["state"]["env"].pop("ANSIBLE_PYTHON_INTERPRETER") == stand_in
        assert real_probe["state"]["env"].pop("ANSIBLE_PYTHON_INTERPRETER") == sys.executable
    else:
        assert stand_in == playbook_server.real_interpreter()
    # The two files of ansible-core every run parses, parsed once by the server (tests/support/computed_once.py).
    assert sorted(probe["state"].pop("taken")) == ["ansible_builtin_runtime.yml", "base.yml"]
    assert real_probe["state"].pop("taken") is None
    assert probe["state"] == real_probe["state"]
    # The configuration of this run: ANSIBLE_FORKS from its environment, ansible.cfg of its working directory.
    assert (probe["state"]["forks"], probe["state"]["timeout"], probe["state"]["tz"]) == (3, 17, ["XST", "XDT"])
    assert probe["state"]["config_file"] == str(work / "ansible.cfg")
    assert probe["process"]["ppid"] != os.getpid()  # the served run is the server's child, not pytest's

    # The next run of the same server, elsewhere and without the variable: the defaults, no ansible.cfg.
    elsewhere = tmp_path / "plain"
    cmd = [ANSIBLE_PLAYBOOK, write(elsewhere, "passing.yml", PASSING)] + LOCAL
    assert processes.run(cmd, cwd=str(elsewhere), env=probe_env(tmp_path, tmp_path / "plain.json")).returncode == 0
    plain = read_probe(tmp_path / "plain.json")
    assert (plain["state"]["forks"], plain["state"]["timeout"], plain["state"]["cwd"]) == (5, 10, str(elsewhere))
    assert plain["state"]["config_file"] is None and "ANSIBLE_FORKS" not in plain["state"]["env"]
    assert plain["state"]["tz"] != ["XST", "XDT"]
    if bound_servers():  # another configuration, another bound server of the same playbook server
        assert plain["process"]["ppid"] != probe["process"]["ppid"]
        assert parent(plain["process"]["ppid"]) == parent(probe["process"]["ppid"]) != os.getpid()
    else:
        assert plain["process"]["ppid"] == probe["process"]["ppid"]  # the same server
    assert sorted(plain["state"]["taken"]) == ["ansible_builtin_runtime.yml", "base.yml"]  # each run takes its own
    # ansible-core's plugin documentation: parsed by the first served run of the test session and kept, then read
    # back by the others (this one at least): the same definitions, types and tags as the real binary's parse.
    assert "connection" in real_probe["state"]["plugin_types"]
    assert plain["state"]["plugin_defs"] == real_probe["state"]["plugin_defs"]
    shared = os.environ.get(playbook_server.SHARED)
    if shared:
        assert any(name.startswith("plugin-doc-") for name in os.listdir(shared))


def bound_servers():
    """Whether the playbook servers fork bound servers (tests/support/configuration_bound.py): unless switched off."""
    return os.environ.get(playbook_server.BOUND_SWITCH, "1") != "0"


def parent(pid):
    with open("/proc/%d/stat" % pid, encoding="utf-8") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def test_runs_of_one_configuration_share_its_imports_and_stay_the_real_binary_run(tmp_path, served):  # noqa pylint: disable=W0613,W0621
    if not bound_servers():
        pytest.skip("%s=0: no bound servers" % playbook_server.BOUND_SWITCH)
    work = tmp_path / "configured"
    config = write(work, "ansible.cfg", "[defaults]\ntimeout = 17\n")
    cmd = [ANSIBLE_PLAYBOOK, write(work, "passing.yml", PASSING)] + LOCAL
    runs = {}
    # SIGQUIT ignored, as a shell started in the background leaves it: each run inherits it ignored.
    previous = signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    try:
        for how, run in (("real", real), ("first", processes.run), ("second", processes.run)):
            proc = run(cmd, cwd=str(work), env=probe_env(tmp_path, tmp_path / ("%s.json" % how), ANSIBLE_FORKS="3"))
            runs[how] = (proc.returncode, proc.stdout, proc.stderr, read_probe(tmp_path / ("%s.json" % how)))
    finally:
        signal.signal(signal.SIGQUIT, previous)
    assert runs["real"][3]["state"]["signals"]["SIGQUIT"] == str(int(signal.SIG_IGN))
    real_rc, real_out, real_err, real_probe = runs["real"]
    for how in ("first", "second"):
        rc, out, err, probe = runs[how]
        assert (rc, out, err) == (real_rc, real_out, real_err) and rc == 0, out + err
        for state in (probe["state"], real_probe["state"]):
            for key in ("executable", "taken"):
                state.pop(key, None)
            for name in ("PROBE_OUT", "ANSIBLE_PYTHON_INTERPRETER"):
                state["env"].pop(name, None)
        assert probe["state"] == real_probe["state"]
        # What a run computes from its own process at import, its own: the local temporary directory, removed when
        # it ended, and the seed of ansible's unique ids.
        assert os.path.basename(probe["process"]["local_tmp"]).startswith("ansible-local-%d" % probe["process"]["pid"])
        assert not os.path.exists(probe["process"]["local_tmp"])
    first, second = runs["first"][3]["process"], runs["second"][3]["process"]
    assert second["ppid"] == first["ppid"] != os.getpid()  # one bound server: the second run's imports were done
    assert parent(first["ppid"]) != os.getpid()
    assert second["random_int"] != first["random_int"] and second["local_tmp"] != first["local_tmp"]

    # ansible.cfg changed (its size kept): the next run reads the new one, from a bound server of its own.
    with open(config, "w", encoding="utf-8") as fh:
        fh.write("[defaults]\ntimeout = 23\n")
    assert processes.run(cmd, cwd=str(work), env=probe_env(tmp_path, tmp_path / "third.json")).returncode == 0
    third = read_probe(tmp_path / "third.json")
    assert third["state"]["timeout"] == 23 and third["process"]["ppid"] != first["ppid"]


def test_a_bound_server_that_died_is_not_used_again(tmp_path, served):  # pylint: disable=W0613,W0621
    if not bound_servers():
        pytest.skip("%s=0: no bound servers" % playbook_server.BOUND_SWITCH)
    cmd = [ANSIBLE_PLAYBOOK, write(tmp_path, "passing.yml", PASSING)] + LOCAL
    env = probe_env(tmp_path, tmp_path / "first.json", ANSIBLE_FORKS="2")
    assert processes.run(cmd, cwd=str(tmp_path), env=env).returncode == 0
    bound = read_probe(tmp_path / "first.json")["process"]["ppid"]
    os.kill(bound, signal.SIGKILL)
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(bound).wait(timeout=30)  # reaped by its playbook server
    env = probe_env(tmp_path, tmp_path / "second.json", ANSIBLE_FORKS="2")
    proc = processes.run(cmd, cwd=str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_probe(tmp_path / "second.json")["process"]["ppid"] != bound


def test_a_configuration_whose_import_prints_is_not_shared(tmp_path, served):  # pylint: disable=W0613,W0621
    # A log path that is a directory: ansible.utils.display warns while it is imported, in every run.
    cmd = [ANSIBLE_PLAYBOOK, write(tmp_path, "play.yml", PASSING)] + LOCAL
    env = ansible_env({"ANSIBLE_LOG_PATH": str(tmp_path), "PROBE_WORD": "hello"})
    real_proc = real(cmd, tmp_path, env)
    assert "DEFAULT_LOG_PATH can not be a directory" in real_proc.stderr
    for attempt in ("first", "second"):
        proc = processes.run(cmd, cwd=str(tmp_path), env=env)
        assert (proc.returncode, proc.stdout, proc.stderr) == (real_proc.returncode, real_proc.stdout,
                                                               real_proc.stderr), attempt


@pytest.mark.parametrize("text, expected_rc", [(FAILING, 2), (UNPARSABLE, 4)], ids=["failing", "unparsable"])
def test_a_failing_run_fails_as_the_real_binary(tmp_path, served, text, expected_rc):  # pylint: disable=W0613,W0621
    cmd = [ANSIBLE_PLAYBOOK, write(tmp_path, "play.yml", text)] + LOCAL
    real_proc = real(cmd, tmp_path, ansible_env())
    proc = processes.run(cmd, cwd=str(tmp_path), env=ansible_env())
    assert (proc.returncode, proc.stdout, proc.stderr) == (real_proc.returncode, real_proc.stdout, real_proc.stderr)
    assert proc.returncode == expected_rc, proc.stdout + proc.stderr


def test_a_run_over_its_timeout_is_killed_with_its_process_group(tmp_path, served, monkeypatch):  # noqa pylint: disable=W0613,W0621
    started = []
    launch = processes.popen

    def recording(cmd, **kwargs):
        started.append(launch(cmd, **kwargs))
        return started[-1]

    monkeypatch.setattr(processes, "popen", recording)
    # A request larger than a socket message is not served (processes starts the real binary).
    assert playbook_server.popen([ANSIBLE_PLAYBOOK, "-e", "x" * 400000], env=ansible_env()) is None
    cmd = [ANSIBLE_PLAYBOOK, write(tmp_path, "paused.yml", PAUSED)] + LOCAL
    with pytest.raises(subprocess.TimeoutExpired):
        processes.run(cmd, cwd=str(tmp_path), env=ansible_env(), timeout=8)
    children = [proc for proc in started if isinstance(proc, playbook_server.ServerChild)]  # not the server's start
    assert len(children) == 1
    child = children[0]
    assert child.returncode is not None and child.returncode < 0  # ended by the signal, reaped
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # nothing left in its process group


def test_a_run_killed_with_sigkill_takes_its_workers_with_it(tmp_path, served):  # pylint: disable=W0613,W0621
    """ansible-playbook's workers have sessions of their own and the run forwards SIGTERM to them: a run killed with
    SIGKILL cannot, and a real run's pause worker would wait for its controller forever. A served run's workers end
    with it."""
    proc = processes.popen([ANSIBLE_PLAYBOOK, write(tmp_path, "paused.yml", PAUSED)] + LOCAL, cwd=str(tmp_path),
                           env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run = psutil.Process(proc.pid)
        deadline = time.monotonic() + 120
        while not run.children() or os.getsid(run.children()[0].pid) != run.children()[0].pid:
            assert proc.poll() is None and time.monotonic() < deadline, "the pause task's worker never started"
            time.sleep(0.05)
        worker = run.children()[0]
        os.kill(proc.pid, signal.SIGKILL)
        worker.wait(timeout=30)  # psutil: raises TimeoutExpired if the worker outlives its run
    finally:
        processes.kill_tree(proc)


def test_a_killed_pytest_leaves_no_server_and_no_run(tmp_path):
    probe = os.path.join(ROOT, "tests", "integration", "playbook_server_probe.py")
    env = dict(os.environ, DSS_TEST_PLAYBOOK_SERVER="1", PROBE_WORKDIR=str(tmp_path))
    run = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist", probe],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
    try:
        for line in run.stdout:
            if line.startswith("RUNNING"):
                break
        else:
            pytest.fail("the probe did not reach its playbook run: %s" % run.communicate()[0])
        started = psutil.Process(run.pid).children(recursive=True)
        served = psutil.Process(int(line.split()[1]))
        assert served.name() == "ansible-playboo" and "playbook_server.py" in " ".join(served.parent().cmdline())
        assert served in started and served.parent() in started
        started += [p for p in served.children(recursive=True) if p not in started]  # the task's worker
        module_servers = [p.cmdline()[-1] for p in started if "module_server.py" in " ".join(p.cmdline())]
        assert len(module_servers) == (1 if module_server.enabled() else 0)
        assert all(os.path.exists(os.path.join(d, module_server.PYTHON)) for d in module_servers)
        run.kill()
        run.wait(timeout=60)
        _gone, alive = psutil.wait_procs(started, timeout=30)
        left = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        assert not left, [p.cmdline() for p in left]
        # The module server removed its directory (the stand-in, the socket) although its client could not.
        assert not any(os.path.exists(d) for d in module_servers), module_servers
    finally:
        if run.poll() is None:
            run.kill()
        run.communicate()


def test_the_server_preloads_without_the_configuration():
    code = ("import json, sys\n"
            "from tests.support import playbook_server as s\n"
            "blocked = s.preload(['ansible.constants'])\n"
            "loaded = s.preload(s.modules_to_preload())\n"
            "print(json.dumps({'blocked': blocked, 'loaded': loaded,"
            " 'configuration': [m for m in s.CONFIGURATION if m in sys.modules]}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=True)
    result = json.loads(proc.stdout)
    assert result["blocked"] == [] and result["configuration"] == []
    assert {"jinja2", "yaml", "ansible.errors", "ansible.module_utils.common.text.converters"} <= set(result["loaded"])
    assert len(result["loaded"]) > 200


def test_the_switch_and_the_packaging_tier_turn_the_server_off(monkeypatch):
    cmd = [ANSIBLE_PLAYBOOK, "play.yml"]
    monkeypatch.setattr(playbook_server.SWITCH_BOARD, "enabled", False)
    monkeypatch.setattr(processes, "_routes", [])
    monkeypatch.setattr(playbook_server.atexit, "register", lambda *_: None)
    monkeypatch.setenv(playbook_server.SWITCH, "0")
    playbook_server.enable()
    assert not playbook_server.serves(cmd, {"cwd": "/"}) and processes._routes == []  # pylint: disable=W0212
    monkeypatch.setenv(playbook_server.SWITCH, "1")
    playbook_server.enable()
    assert playbook_server.serves(cmd, {"cwd": "/"}) and processes._routes == [  # pylint: disable=W0212
        (playbook_server.serves, playbook_server.popen)]
    monkeypatch.setattr(playbook_server.SWITCH_BOARD, "paused", False)
    playbook_server.pause(True)  # the packaging tier (tests/conftest.py)
    assert not playbook_server.serves(cmd, {"cwd": "/"})
    playbook_server.pause(False)
    # Not served: other commands, and launches the server cannot reproduce (stdin, pass_fds ...).
    assert not playbook_server.serves(["ansible-playbook", "play.yml"], {})
    assert not playbook_server.serves(cmd, {"stdin": subprocess.PIPE})
    assert not playbook_server.serves(cmd, {"pass_fds": (5,)})


def test_the_core_files_parsed_once_are_taken_once_and_only_for_the_same_bytes(tmp_path):
    """tests/support/computed_once.py: a run's first parse of the routing's bytes or of base.yml (unchanged) takes the
    server's value, a second parse parses again, other bytes and another file are parsed as ever."""
    code = """
import json, os, shutil, sys
sys.path.insert(0, os.path.join(%(root)r, "tests", "support"))
import computed_once
import ansible
from ansible.module_utils.common import yaml as common_yaml
from ansible.utils.collection_loader import _collection_finder
computed_once.parse_core_files()
config = os.path.join(os.path.dirname(ansible.__file__), "config")
routing = open(os.path.join(config, "ansible_builtin_runtime.yml"), "rb").read()
parse = _collection_finder._meta_yml_to_dict
first, second = parse(routing, None), parse(routing, None)
other = parse(b"plugin_routing: {}\\n", None)
copy = shutil.copy(os.path.join(config, "base.yml"), %(tmp)r)
with open(os.path.join(config, "base.yml"), "rb") as fh:
    base = common_yaml.yaml_load(fh)
with open(copy, "rb") as fh:
    copied = common_yaml.yaml_load(fh)
print(json.dumps({"taken": computed_once.TAKEN, "same": first == second, "fresh": first is not second,
                  "other": other, "base": base == copied and base is not copied}))
""" % {"root": ROOT, "tmp": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=True)
    result = json.loads(proc.stdout)
    assert result["taken"] == ["ansible_builtin_runtime.yml", "base.yml"], result  # once each, not for the copy
    assert result["same"] and result["fresh"] and result["base"]
    assert result["other"] == {"plugin_routing": {}}


def test_the_sources_compiled_once_are_what_a_run_compiles():
    """tests/support/computed_once.py, compile_for_runs: an AnsiballZ build gets the server's tree of the same bytes
    (a file's tagged bytes too), from which ansible-core's import finder gets the same required and optional imports
    as from a fresh parse, for every source the server parsed; the collection loader gets the server's code of the
    same path and bytes, equal to a fresh compile; other sources, and a source that does not compile, go through
    ansible-core as before."""
    code = """
import ast, json, os, sys
sys.path.insert(0, os.path.join(%(root)r, "tests", "support"))
import computed_once
import ansible
from ansible._internal._datatag._tags import Origin
from ansible.errors import AnsibleError
computed_once.compile_for_runs(%(collections)r)
from ansible.executor import module_common  # imported by the run, after the server's compile_for_runs
basic = os.path.join(os.path.dirname(ansible.__file__), "module_utils", "basic.py")
source = Origin(path=basic).tag(module_common._slurp(basic))
tree = module_common._compile_module_ast("ansible.module_utils.basic", source)
other = module_common._compile_module_ast("other", b"x = 1\\n")
try:
    module_common._compile_module_ast("broken", b"def (:\\n")
    error = None
except AnsibleError as exc:
    error = str(exc)
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([%(collections)r])
from ansible_collections.dataiku_gitops.dss.plugins.filter import gitops
with open(gitops.__file__, "rb") as fh:
    fresh_code = compile(fh.read(), gitops.__file__, "exec", dont_inherit=True)
loaded = gitops.__spec__.loader.get_code(gitops.__name__)
def found(tree, is_package):
    finder = module_common.ModuleDepFinder("ansible.module_utils.common.text.found", tree, is_package)
    return sorted(finder.submodules), sorted(finder.optional_imports)
differ = [source[:60].decode(errors="replace") for source, kept in computed_once._TREES.items()
          for is_package in (False, True) if found(kept, is_package) != found(ast.parse(source), is_package)]
optional = sum(bool(found(kept, False)[1]) for kept in computed_once._TREES.values())
print(json.dumps({
    "tree": [tree is computed_once._TREES[bytes(source)], found(tree, False) == found(ast.parse(bytes(source)), False)],
    "imports": [len(computed_once._TREES), differ, optional],
    "other": [ast.dump(other) == ast.dump(ast.parse("x = 1")), b"x = 1\\n" in computed_once._TREES],
    "error": error,
    "code": [loaded in computed_once._PLUGIN_CODE.values(), loaded == fresh_code,
             loaded.co_filename == gitops.__file__],
    "filters": sorted(gitops.FilterModule().filters()),
}))
""" % {"root": ROOT, "collections": ensure_collection_link()}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=True)
    result = json.loads(proc.stdout)
    assert result["tree"] == [True, True] and result["other"] == [True, False], result
    count, differ, optional = result["imports"]
    assert count > 150 and not differ and optional > 0, result["imports"]  # optional: some sources import in a try
    assert result["error"] and "Unable to compile 'broken'" in result["error"], result
    assert result["code"] == [True, True, True] and "project_keys" in result["filters"], result


TEMPLATES = r"""
import json, os, sys
root, cache, shared = sys.argv[1], sys.argv[2], sys.argv[3] == "shared"
sys.path.insert(0, os.path.join(root, "tests", "support"))
import jinja2
generated = []
generate = jinja2.Environment._generate
def counted(self, *args, **kwargs):
    generated.append(type(self).__name__)
    return generate(self, *args, **kwargs)
jinja2.Environment._generate = counted
if shared:
    import computed_once
    computed_once.compile_templates(cache)
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([])
from ansible.template import Templar, trust_as_template
templar = Templar(variables={"items": [3, 1, 2], "name": "dss", "path": "C:\\new"})
sources = ["{{ items | sort | list }}", "{{ name | upper }}-{% for i in items %}{{ i }}{% endfor %}", "{{ path }}",
           "{{ lookup('ansible.builtin.env', 'DSS_TEST_NOT_SET') | default('none', true) }}", "{{ 'a\\nb' }}"]
results = [templar.template(trust_as_template(source)) for source in sources]
results.append(templar.template(trust_as_template(sources[-1]), escape_backslashes=False))
results.append(templar.evaluate_conditional(trust_as_template("items | length == 3 and name == 'dss'")))
results.append(templar.evaluate_expression(trust_as_template("items | map('string') | join(',')")))
try:
    templar.template(trust_as_template("{{ name | }}"))
except Exception as exc:
    results.append(type(exc).__name__)
print(json.dumps({"results": results, "generated": generated.count("AnsibleEnvironment"),
                  "cached": sorted(os.listdir(cache))}))
"""


def test_templates_compiled_once_give_what_a_fresh_compile_gives(tmp_path):
    """tests/support/computed_once.py, compile_templates: the first process that compiles a template or expression
    writes its code to the shared directory, the next ones take it instead of compiling (one entry per compile
    setting: escape_backslashes on and off), and every one renders what a process without the cache renders; a
    template that does not compile fails as before and is not kept."""
    cache = tmp_path / "templates"
    cache.mkdir()

    def probe(mode):
        proc = subprocess.run([sys.executable, "-c", TEMPLATES, ROOT, str(cache), mode], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=True)
        return json.loads(proc.stdout)

    fresh, first, second = probe("fresh"), probe("shared"), probe("shared")
    assert fresh["results"] == first["results"] == second["results"], (fresh, first, second)
    assert fresh["results"][4] != fresh["results"][5] and fresh["results"][-1] == "AnsibleTemplateSyntaxError", fresh
    assert fresh["cached"] == [] and len(first["cached"]) == 8 and second["cached"] == first["cached"], (first, second)
    # Each of the 8 kept compiles is done once; the broken one in both processes.
    assert first["generated"] == fresh["generated"] and second["generated"] == fresh["generated"] - 8, (fresh, second)


BUILDS = r"""
import datetime, hashlib, io, json, os, sys, zipfile
root, cache, shared, collections = sys.argv[1], sys.argv[2], sys.argv[3] == "shared", sys.argv[4]
sys.path.insert(0, os.path.join(root, "tests", "support"))
if shared:
    import computed_once
    computed_once.share_module_builds(cache)
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([collections])
from ansible._internal._ansiballz import _builder
from ansible._internal._datatag._tags import Origin
from ansible.executor import module_common
parsed = []
compile_module_ast = module_common._compile_module_ast
def counted(name, source):
    parsed.append(name)
    return compile_module_ast(name, source)
module_common._compile_module_ast = counted
path = os.path.join(collections, "ansible_collections", "ns", "col", "plugins", "modules", "m.py")
with open(path, "rb") as fh:
    data = fh.read()
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
    metadata = module_common.recursive_finder("m", "ansible_collections.ns.col.plugins.modules.m",
                                              Origin(path=path).tag(data), zf, datetime.datetime.now(datetime.timezone.utc),
                                              _builder.ExtensionManager.create(task_vars={}))
with zipfile.ZipFile(archive) as zf:
    entries = {name: hashlib.sha256(zf.read(name)).hexdigest() for name in zf.namelist()}
    util = zf.read("ansible_collections/ns/col/plugins/module_utils/u.py").decode()
print(json.dumps({"entries": entries, "util": util, "metadata": repr(metadata), "parsed": len(parsed),
                  "cached": len(os.listdir(cache))}))
"""


def test_module_builds_shared_between_runs_pack_what_a_fresh_build_packs(tmp_path):
    """tests/support/computed_once.py, share_module_builds: the first build of a module keeps what it packed, a
    later one (another process) packs the same files with the same contents without finding them again, and a
    packed file that changed is found and packed anew."""
    cache = tmp_path / "shared"
    cache.mkdir()
    collection = tmp_path / "collections" / "ansible_collections" / "ns" / "col" / "plugins"
    (collection / "modules").mkdir(parents=True)
    (collection / "module_utils").mkdir()
    (collection / "modules" / "m.py").write_text(
        "from ansible.module_utils.basic import AnsibleModule\n"
        "from ansible_collections.ns.col.plugins.module_utils.u import VALUE\n")
    util = collection / "module_utils" / "u.py"
    util.write_text("VALUE = 1\n")

    def probe(mode):
        proc = subprocess.run([sys.executable, "-c", BUILDS, ROOT, str(cache), mode, str(tmp_path / "collections")],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
        return json.loads(proc.stdout)

    fresh, first, second = probe("fresh"), probe("shared"), probe("shared")
    assert fresh["entries"] == first["entries"] == second["entries"] and len(fresh["entries"]) > 20, second
    assert fresh["metadata"] == first["metadata"] == second["metadata"]
    assert first["parsed"] == fresh["parsed"] > 0 and second["parsed"] == 0, (fresh, first, second)
    assert first["cached"] == second["cached"] == 1 and second["util"] == "VALUE = 1\n"
    util.write_text("VALUE = 22\n")  # another size: a changed file whatever the clock's resolution
    changed = probe("shared")
    assert changed["util"] == "VALUE = 22\n" and changed["parsed"] == fresh["parsed"], changed
    assert changed["entries"] != fresh["entries"] and probe("fresh")["entries"] == changed["entries"]


def test_the_servers_count_their_runs_and_their_cpu(tmp_path, served):  # pylint: disable=redefined-outer-name,W0613
    """DSS_TEST_SERVER_STATS=<directory>: at its end each server writes how many runs it served and their CPU."""
    stats = tmp_path / "stats"
    stats.mkdir()
    # A Python-level variable of its own: a server of its own, stopped below without stopping the others.
    env = ansible_env({playbook_server.STATS: str(stats), "PYTHONSTATSPROBE": "1"})
    cmd = [ANSIBLE_PLAYBOOK, write(tmp_path / "play", "passing.yml", PASSING)] + LOCAL
    assert processes.run(cmd, cwd=str(tmp_path), env=env).returncode == 0
    server = playbook_server.SWITCH_BOARD.servers.pop(playbook_server.python_environment(env))
    server.close()
    written = {}
    for path in stats.iterdir():
        record = json.loads(path.read_text())
        written[record["server"]] = record
    # The run went to the bound server of its configuration (tests/support/configuration_bound.py), a server too,
    # unless they are switched off.
    ran = "playbook_server.py"
    if bound_servers():
        assert written[ran]["runs"] == 0, written
        ran = "playbook_server.py (bound)"
    assert written[ran]["runs"] == 1 and written[ran]["cpu_s"] > 0, written
    if module_server.enabled():  # the command task is an AnsiballZ module
        assert written["module_server.py"]["runs"] == 1 and written["module_server.py"]["cpu_s"] > 0, written
