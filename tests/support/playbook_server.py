"""A playbook fork server for the tests: ansible-playbook runs without paying Python's imports each time.

Starting ansible-playbook costs about 0.75 CPU seconds, more than half of it importing ansible, jinja2 and yaml. Each
pytest process (each xdist worker) starts one server the first time it runs ansible-playbook: a single-threaded
process that has imported every module ansible-playbook needs *except those that read the configuration*
(``ansible.constants``, ``ansible.config.manager``, ``ansible.utils.display`` and whatever imports them: they read
``ANSIBLE_*`` variables, ``ansible.cfg`` in the working directory and ``~/.ansible.cfg`` when imported, and every run
has its own). Per run it forks a child that becomes a fresh ``ansible-playbook``: the request's argv, environment
(os.environ replaced), working directory and umask, stdin /dev/null, stdout and stderr the caller's own file descriptors
(passed over a Unix socket), default signal dispositions (those the client ignores ignored), no other file descriptor, a
session of its own, sys.path as the console script has it, then the console script itself (``runpy``) and Python's own
exit sequence (threads joined, atexit handlers, flushed stdio). The modules of a served run start from the module server
beside it (tests/support/module_server.py; ``DSS_TEST_MODULE_SERVER=0``: the real interpreter). The imports that read
the configuration are shared too, between the runs of one configuration: the server forks a *bound server* per
configuration, which has imported them with that configuration, and its runs are forked from it
(tests/support/configuration_bound.py says when two runs have one configuration, and what a run redoes).

``tests/support/processes.py`` routes ``popen``/``run`` of ``ANSIBLE_PLAYBOOK`` here once ``enable()`` was called
(tests/conftest.py does, unless ``DSS_TEST_PLAYBOOK_SERVER=0``); the handle it returns acts like subprocess.Popen
(pid, poll, wait, communicate, send_signal, terminate, kill), a signal going to the child's process group.

What the server parses and compiles once for all its runs (two files of ansible-core, the collection's controller
plugins, the sources AnsiballZ builds parse; the same values as a run's own): tests/support/computed_once.py. Not
shared with a fresh process: Python's hash seed (one per server) and whatever the pre-imported modules computed at
import from the environment of the server (none of ansible's configuration: ``serve`` refuses to start if
``ansible.constants`` got imported). A server serves the requests whose Python-level environment (PYTHON*, LANG,
LC_*) is its own; a request with another one gets a server of its own.

Run as a script, this file is the server (``serve``); imported, it is the client.
"""

import array
import atexit
import builtins
import errno
import gc
import importlib.machinery
import io
import json
import locale
import marshal
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SWITCH = "DSS_TEST_PLAYBOOK_SERVER"  # "0": every run starts the real ansible-playbook binary
BOUND_SWITCH = "DSS_TEST_BOUND_SERVERS"  # "0": the server imports the configuration in each run (no bound servers)
# A directory: each server writes there at its end how many runs it served and their CPU (CONTRIBUTING.md).
STATS = "DSS_TEST_SERVER_STATS"
# What ansible-playbook imports; those of their modules that import without the configuration are pre-imported.
ROOTS = ("ansible.cli.playbook", "ansible.executor.playbook_executor", "ansible.plugins.strategy.linear",
         "ansible.executor.task_executor")
CONFIGURATION = ("ansible.constants", "ansible.config.manager", "ansible.utils.display")
COLLECTIONS = "DSS_PLAYBOOK_SERVER_COLLECTIONS"  # the tests' collections path, for computed_once.compile_for_runs
SHARED = "DSS_TEST_SHARED_CACHE"  # a directory for computed_once.compile_templates and share_module_builds
MAX_REQUEST = 1 << 20
STDIO_KWARGS = {"stdin", "stdout", "stderr"}
SUPPORTED_KWARGS = STDIO_KWARGS | {"cwd", "env", "text", "universal_newlines", "encoding", "errors",
                                   "start_new_session"}

# -- client --------------------------------------------------------------------------------------------------------


class ServerSwitch:
    """One kind of fork server in this process (this file's playbook servers, node_server.py's): on unless its
    ``variable`` is "0" (``enable``), off while paused (the packaging tier: tests/conftest.py), and its servers, one
    per Python-level environment, started at their first use and stopped by ``shutdown``."""

    def __init__(self, variable, make_server):
        self.variable = variable
        self.make_server = make_server
        self.enabled = False
        self.paused = False
        self.servers = {}
        self._lock = threading.Lock()

    def enable(self, serves, launch):
        """Route the commands ``serves`` takes to ``launch`` (tests/support/processes.py), unless switched off."""
        self.enabled = os.environ.get(self.variable, "1") != "0"
        if self.enabled:
            from tests.support import processes  # pylint: disable=import-outside-toplevel
            processes.route(serves, launch)
            atexit.register(self.shutdown)

    def pause(self, paused):
        self.paused = bool(paused)

    def active(self):
        return self.enabled and not self.paused

    def server(self, env):
        """This process's server for the Python-level environment of ``env``, started if there is none (or it
        ended)."""
        key = python_environment(env)
        with self._lock:
            server = self.servers.get(key)
            if server is None or not server.alive():
                server = self.servers[key] = self.make_server(env)
        return server

    def shutdown(self):
        """Stop every server of this kind (their running children with them)."""
        with self._lock:
            servers = list(self.servers.values())
            self.servers.clear()
        for server in servers:
            server.close()


SWITCH_BOARD = ServerSwitch(SWITCH, lambda env: Server(env))  # pylint: disable=unnecessary-lambda


def enable():
    """Route this process's ansible-playbook runs (tests/support/processes.py) through servers, unless switched off."""
    SWITCH_BOARD.enable(serves, popen)


def pause(paused):
    """While paused, every run starts the real binary (the packaging tier: tests/conftest.py)."""
    SWITCH_BOARD.pause(paused)


def serves(cmd, kwargs):
    """Whether a run of ``cmd`` with these subprocess.Popen keyword arguments goes to a server."""
    return (SWITCH_BOARD.active() and isinstance(cmd, (list, tuple)) and bool(cmd) and cmd[0] == ANSIBLE_PLAYBOOK
            and set(kwargs) <= SUPPORTED_KWARGS and kwargs.get("stdin") in (None, subprocess.DEVNULL))


def python_environment(env):
    """The part of the environment that Python reads when it starts (a server's key)."""
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith("PYTHON") or k.startswith("LC_") or k == "LANG"))


def popen(cmd, **kwargs):
    """A ServerChild running ``cmd`` (an ANSIBLE_PLAYBOOK command line) in this process's server for its env, or
    None when the request cannot be served (processes then starts the real binary)."""
    env = kwargs.pop("env", None)
    env = dict(os.environ if env is None else env)
    server = SWITCH_BOARD.server(env)
    try:
        return server.spawn([os.fspath(arg) for arg in cmd], env, **kwargs)
    except OSError as exc:
        if exc.errno == errno.EMSGSIZE:
            return None  # a request larger than a socket message (huge extra vars): the real binary
        raise


def module_python(env=None):
    """The Python that a run started outside the servers (ansible-runner's own ansible-playbook) can give its modules
    (``ANSIBLE_PYTHON_INTERPRETER``): the stand-in of the module server beside this process's server for ``env``,
    or the real interpreter when the servers are off or paused."""
    if not SWITCH_BOARD.active():
        return real_interpreter()
    server = SWITCH_BOARD.server(dict(os.environ if env is None else env))
    return server.modules.python if server.modules is not None else real_interpreter()


def shutdown():
    """Stop every playbook server of this process (their running children with them)."""
    SWITCH_BOARD.shutdown()


def _umask():
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    raise RuntimeError("no Umask in /proc/self/status")


def real_interpreter():
    """The console script's interpreter (its #! line), so that sys.executable and sys.prefix are a real run's; not
    the module server's stand-in (tests whose modules must be the run's own processes set it: test_crash_safety)."""
    with open(ANSIBLE_PLAYBOOK, encoding="utf-8") as fh:
        first = fh.readline()
    return first[2:].strip() if first.startswith("#!") else sys.executable


class Server:
    """One server process; requests go over a SOCK_SEQPACKET socket pair, one message each (its closing end
    doubles as the server's lifeline: when this process ends, however, the server stops its children and ends)."""

    KIND = "playbook server"
    SWITCHED_OFF = "%s=0 runs the real ansible-playbook" % SWITCH

    def __init__(self, env):
        self._send_lock = threading.Lock()
        self.control, self.proc, self.modules = self._start(env)

    def _start(self, env):
        """(our end of the control socket, the server's handle, the module server beside it or None)."""
        from tests.support import collection, module_server  # pylint: disable=import-outside-toplevel
        collections = collection.ensure_collection_link()
        control, proc = launch(os.path.abspath(__file__), env, extra_env={COLLECTIONS: collections})
        modules = module_server.ModuleServer(env, real_interpreter(), collections) if module_server.enabled() else None
        return control, proc, modules

    def alive(self):
        return self.proc.poll() is None

    def spawn(self, cmd, env, cwd=None, stdout=None, stderr=None, text=False, universal_newlines=None,
              encoding=None, errors=None, start_new_session=False, stdin=None):  # pylint: disable=unused-argument
        """Start ``cmd`` in a child of the server (always in a session of its own); a ServerChild."""
        request = {"argv": list(cmd), "env": env, "cwd": os.path.abspath(cwd or os.getcwd()), "umask": _umask(),
                   "ignored": _ignored_signals()}
        if self.modules is not None:
            request.update(env=self.modules.request_env(env), module_python=self.modules.python)
        try:
            return start_child(self._send, request, stdin=stdin, stdout=stdout, stderr=stderr,
                               text=bool(text or universal_newlines or encoding or errors), encoding=encoding,
                               errors=errors)
        except ChildProcessError as exc:
            raise RuntimeError("the %s (exit code %s): %s; its errors are on the standard error of the test that "
                               "started it; %s" % (self.KIND, self.proc.poll(), exc, self.SWITCHED_OFF)) from None

    def _send(self, data, fds):
        with self._send_lock:
            self.control.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _fd_array(fds))])

    def close(self):
        end(self.control, self.proc)
        if self.modules is not None:
            self.modules.close()


def start_child(send, request, stdin=None, stdout=None, stderr=None, text=False, encoding=None, errors=None):
    """Have a server fork a child for ``request`` (its argv, env, cwd, umask...): ``send(data, fds)`` delivers the
    request with the child's channel and standard streams (None: this process's own, a file, PIPE, DEVNULL; stderr
    STDOUT too); a ServerChild. ChildProcessError: the server answered that it could not."""
    opened, ours = [], {}
    try:
        fds = []
        devnull = os.open(os.devnull, os.O_RDWR)
        opened.append(devnull)
        for name, target in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
            if target == subprocess.PIPE:
                read_end, write_end = os.pipe()
                theirs, ours[name] = (read_end, write_end) if name == "stdin" else (write_end, read_end)
                opened.append(theirs)
                fds.append(theirs)
            elif target == subprocess.STDOUT:
                fds.append(fds[1])
            elif target == subprocess.DEVNULL or (target is None and name == "stdin"):
                fds.append(devnull)  # None for stdin too: a served child never reads this process's input
            elif target is None:
                fds.append(1 if name == "stdout" else 2)
            else:
                fds.append(target if isinstance(target, int) else target.fileno())
        channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        opened.append(theirs.detach())
        send(json.dumps(request).encode(), [opened[-1]] + fds)
    except BaseException:
        for fd in ours.values():
            os.close(fd)
        raise
    finally:
        for fd in opened:
            os.close(fd)
    reply = json.loads(channel.recv(MAX_REQUEST) or b'{"error": "ended"}')
    if "error" in reply:
        channel.close()
        for fd in ours.values():
            os.close(fd)
        raise ChildProcessError(reply["error"])
    return ServerChild(request["argv"], reply["pid"], channel, ours, text, encoding, errors)


def launch(script, env, *args, extra_env=None):
    """Start the server ``script`` (this file, module_server.py or node_server.py) with ``env`` less its ANSIBLE_*
    variables; (our end of its control socket, its handle). The script gets the other end's fd as its first
    argument."""
    from tests.support import processes  # pylint: disable=import-outside-toplevel
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server_env = {k: v for k, v in env.items() if not k.startswith("ANSIBLE_")}
    server_env.update(extra_env or {})
    proc = processes.popen([real_interpreter(), script, str(theirs.fileno())] + list(args), env=server_env, cwd="/",
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))
    theirs.close()
    return ours, proc


def end(control, proc):
    """Close the server's lifeline (it stops its children and ends), then reap it (stopped if it lingers)."""
    from tests.support import processes  # pylint: disable=import-outside-toplevel
    control.close()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    processes.stop(proc)


def _fd_array(fds):
    return array.array("i", fds)


class ServerChild:
    """subprocess.Popen's interface for a run in a server's child; signals go to the child's process group."""

    def __init__(self, args, pid, channel, pipes, text, encoding, errors):
        self.args = args
        self.pid = pid
        self.returncode = None
        self._channel = channel
        self._text = text
        self._encoding = encoding or locale.getpreferredencoding(False)
        self._errors = errors or "strict"
        self._wait_lock = threading.Lock()
        self._chunks = None
        self.stdin = self._wrap(pipes.get("stdin"), "wb")
        self.stdout = self._wrap(pipes.get("stdout"), "rb")
        self.stderr = self._wrap(pipes.get("stderr"), "rb")

    def _wrap(self, fd, mode):
        """What subprocess.Popen makes of its end of a pipe (text: unbuffered writes, as Popen's stdin)."""
        if fd is None:
            return None
        raw = io.open(fd, mode)  # pylint: disable=consider-using-with
        if not self._text:
            return raw
        return io.TextIOWrapper(raw, encoding=self._encoding, errors=self._errors, write_through=mode == "wb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream:
                stream.close()
        self.wait()

    def __repr__(self):
        return "<ServerChild pid=%s returncode=%s args=%r>" % (self.pid, self.returncode, self.args)

    def _status(self, timeout):
        """Wait up to ``timeout`` seconds (None: forever) for the server's word that the child ended."""
        if not self._wait_lock.acquire(timeout=-1 if timeout is None else timeout):  # pylint: disable=R1732
            return None  # another thread is waiting for it
        try:
            if self.returncode is not None:
                return self.returncode
            self._channel.settimeout(timeout)
            try:
                data = self._channel.recv(MAX_REQUEST)
            except (socket.timeout, BlockingIOError):
                return None
            message = json.loads(data) if data else {"status": None}
            status = message["status"]
            # The server ended first (it stops its children with SIGTERM when it goes).
            self.returncode = -signal.SIGTERM if status is None else os.waitstatus_to_exitcode(status)
            self._channel.close()
            return self.returncode
        finally:
            self._wait_lock.release()

    def poll(self):
        return self._status(0)

    def wait(self, timeout=None):
        if self._status(timeout) is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum):
        if self.returncode is None:
            try:
                self._channel.send(json.dumps({"signal": int(signum)}).encode())
            except OSError:
                pass  # ended meanwhile

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def communicate(self, input=None, timeout=None):  # pylint: disable=redefined-builtin
        """Popen.communicate: the output read to its end, then the exit status (TimeoutExpired keeps the child)."""
        if input:
            raise ValueError("a served run has stdin /dev/null")
        if self._chunks is None:  # a second call after TimeoutExpired goes on where the first stopped
            self._chunks = {stream: [] for stream in (self.stdout, self.stderr) if stream}
        deadline = None if timeout is None else _now() + timeout
        with selectors.DefaultSelector() as sel:
            for stream in self._chunks:
                if not stream.closed:
                    sel.register(stream.fileno(), selectors.EVENT_READ, stream)
            while sel.get_map():
                left = None if deadline is None else deadline - _now()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                for key, _events in sel.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        self._chunks[key.data].append(data)
                    else:
                        sel.unregister(key.fd)
                        key.data.close()
        self.wait(None if deadline is None else max(0, deadline - _now()))
        results = []
        for stream in (self.stdout, self.stderr):
            if stream is None:
                results.append(None)
                continue
            data = b"".join(self._chunks[stream])
            if self._text:
                data = data.decode(self._encoding, self._errors).replace("\r\n", "\n").replace("\r", "\n")
            results.append(data)
        return tuple(results)


def _now():
    return time.monotonic()


# -- server --------------------------------------------------------------------------------------------------------


class _NeedsConfiguration(BaseException):
    """Raised by the import blocker: a BaseException, so that no module's ``except ImportError`` (or Exception)
    silently takes a fallback while it is pre-imported."""


class _ConfigurationBlocker:
    """A meta-path finder that refuses the modules reading ansible's configuration at import."""

    @staticmethod
    def find_spec(name, path=None, target=None):  # pylint: disable=unused-argument
        if name in CONFIGURATION:
            raise _NeedsConfiguration(name)


def modules_to_preload(interpreter=None, code=None):
    """The modules a fresh interpreter loads when it imports ROOTS, or runs ``code`` (in a throw-away process)."""
    code = (code or "import %s\n" % ", ".join(ROOTS)) + "import sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([interpreter or sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd="/", env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}).stdout
    return out.split()


def preload(names):
    """Import each of ``names`` that imports without the configuration; the list of those imported."""
    import importlib  # pylint: disable=import-outside-toplevel
    blocker = _ConfigurationBlocker()
    sys.meta_path.insert(0, blocker)
    try:
        for name in names:
            if name in sys.modules or name.startswith("ansible.cli") or name in ("__main__", "__mp_main__"):
                continue
            try:
                importlib.import_module(name)
            except (_NeedsConfiguration, Exception):  # pylint: disable=broad-except
                continue
    finally:
        sys.meta_path.remove(blocker)
    _refuse_configuration()
    if threading.active_count() != 1:
        raise RuntimeError("the pre-imports started threads: forking would be unsafe")
    return [name for name in names if name in sys.modules]


def _refuse_configuration():
    leaked = [name for name in CONFIGURATION if name in sys.modules]
    if leaked:
        raise RuntimeError("the playbook server imported %s: it would serve every run one configuration" % leaked)


_SERVER_STDIO = []  # the server's own sys.std* objects, kept alive in a child (their GC would close fds 0-2)


def _ignored_signals():
    """The signals this process ignores, which a program it starts inherits ignored (Popen restores SIGPIPE and
    SIGXFSZ, which Python ignores anyway); a shell started in the background ignores SIGINT and SIGQUIT."""
    return [int(signum) for signum in signal.valid_signals()
            if signum not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGPIPE, signal.SIGXFSZ)
            and signal.getsignal(signum) == signal.SIG_IGN]


def _python_signal_defaults(ignored=()):
    """Signal dispositions as a fresh interpreter has them when it starts with the signals ``ignored`` ignored (it
    keeps them so, SIGINT included)."""
    for signum in range(1, signal.NSIG):
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):
            continue
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for signum in ignored:
        signal.signal(signum, signal.SIG_IGN)


def _stdio(fd, like):
    """A standard stream on ``fd`` as Python's start-up makes it (create_stdio), with the encoding, error handler and
    buffering (PYTHONUNBUFFERED, -u) of the server's own stream ``like``: the same environment made both."""
    unbuffered = sys.__stderr__.write_through
    mode = "r" if fd == 0 else "w"
    buffered = io.open(fd, mode + "b", buffering=0 if unbuffered and mode == "w" else -1,  # noqa pylint: disable=R1732
                       closefd=False)
    stream = io.TextIOWrapper(buffered, encoding=like.encoding, errors=like.errors, newline="\n",
                              line_buffering=not unbuffered and (fd == 2 or os.isatty(fd)), write_through=unbuffered)
    stream.mode = mode
    return stream


def _child(request, fds, server_pid, base_path, libc, bound=None, playbook=False):
    """In the forked child: become ``ansible-playbook argv...`` and exit as its interpreter would (``bound``: a run of
    a bound server, its configuration imported: tests/support/configuration_bound.py; ``playbook``: an
    ansible-playbook run, whose workers end with it). Never returns."""
    status = 1
    try:
        if bound is None:
            _python_signal_defaults(request.get("ignored", ()))
        else:
            bound.restore_signals()
        signal.set_wakeup_fd(-1)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        if libc is not None:
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: the child ends with its server
            if playbook:
                _end_forks_with_run(libc)
        if os.getppid() != server_pid:
            os._exit(1)  # pylint: disable=protected-access
        if request.get("new_session", True):
            os.setsid()
        for target, fd in enumerate(fds[1:4]):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        if bound is None:  # a bound run keeps the streams its import configured, on its descriptors
            _new_stdio()
        _enter(request, base_path, libc)
        if bound is not None:
            bound.renew()
        status = _run_script(request["argv"][0])
    except BaseException:  # pylint: disable=broad-except
        try:
            sys.excepthook(*sys.exc_info())
        except BaseException:  # pylint: disable=broad-except
            pass
    _exit(status)


def _end_forks_with_run(libc):
    """The processes this run forks (ansible-playbook's workers) get SIGTERM when it ends. A worker has a session of
    its own, out of the reach of the signals sent to the run's group: ansible-playbook forwards SIGTERM to its workers,
    but one forked while that signal arrived, or a run killed with SIGKILL, leaves it waiting for its controller
    forever (a pause task's worker waits for the controller's answer). A real run's orphaned worker would wait too: a
    served run's workers end with it, as the tests expect of everything they start. Only the run's own forks: a
    process a worker forks is the worker's business."""
    run = os.getpid()
    forking = []

    def before():
        forking[:] = [os.getpid()]

    def after_in_child():
        if forking == [run]:
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() != run:  # the run ended before prctl: the signal it would have sent
                os.kill(os.getpid(), signal.SIGTERM)

    os.register_at_fork(before=before, after_in_child=after_in_child)


def _new_stdio():
    """sys.std* on fds 0-2 as a fresh interpreter makes them (the server's own kept alive: their GC would close
    fds 0-2)."""
    _SERVER_STDIO.extend([sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__])
    sys.stdin, sys.stdout, sys.stderr = [_stdio(fd, like) for fd, like in enumerate(_SERVER_STDIO[-3:])]
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _enter(request, base_path, libc, rename=True):
    """The request's working directory, environment, umask, process name (``rename``), argv, sys.executable and
    sys.path."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # what the time module computed from TZ at import
    os.umask(request["umask"])
    script = request["argv"][0]  # "": the script comes on standard input
    if libc is not None and rename and script:  # PR_SET_NAME: ps and psutil name it as the real one (argv stays)
        libc.prctl(15, os.path.basename(script).encode()[:15])
    sys.argv = list(request["argv"])
    if request.get("module_python"):  # ansible_playbook_python: the module server's stand-in interpreter
        sys.executable = request["module_python"]
    sys.path[:] = [os.path.dirname(os.path.realpath(script)) if script else ""] + base_path[1:]
    sys.path_importer_cache.clear()
    if "multiprocessing.process" in sys.modules:  # what it records at import: the start directory, a key
        process = sys.modules["multiprocessing.process"]
        process.ORIGINAL_DIR = os.path.abspath(request["cwd"])
        process.current_process().authkey = os.urandom(32)


def _run_script(script):
    """runpy the console script (``""``: the script on standard input); its exit status as the interpreter computes
    it (an uncaught KeyboardInterrupt: the signal, as Python does)."""
    import runpy  # pylint: disable=import-outside-toplevel
    try:
        if script:
            runpy.run_path(script, run_name="__main__")
        else:
            _run_standard_input()
        return 0
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code & 0xFF
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _shutdown_like_python()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    except BaseException:  # pylint: disable=broad-except
        sys.excepthook(*sys.exc_info())
        return 1


def _run_standard_input():
    """``python`` with no argument and no terminal, as Ansible's pipelining runs a module: the script read whole from
    standard input and run as ``__main__`` from "<stdin>". Only an AnsiballZ wrapper runs here (the module server's
    stand-ins send no other script, but what comes on a pipe is only known once read); anything else is the real
    interpreter, exec'd with what was read as its standard input."""
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    source = b"".join(chunks)
    if b"def _ansiballz_main(" not in source:
        readable = os.memfd_create("stdin")  # close-on-exec; fd 0, its copy, is not
        written = 0
        while written < len(source):
            written += os.write(readable, source[written:])
        os.lseek(readable, 0, os.SEEK_SET)
        os.dup2(readable, 0)
        interpreter = real_interpreter()  # what the stand-in execs for anything it does not send here
        os.execv(interpreter, [interpreter])
    import types  # pylint: disable=import-outside-toplevel
    main = types.ModuleType("__main__")  # what the interpreter's __main__ holds for a script read from stdin
    main.__loader__ = importlib.machinery.BuiltinImporter
    main.__annotations__ = {}
    main.__builtins__ = builtins
    main.__file__, main.__cached__ = "<stdin>", None  # AnsiballZ leaves realpath("<stdin>")'s directory off sys.path
    sys.modules["__main__"] = main
    exec(compile(source, "<stdin>", "exec"), main.__dict__)  # pylint: disable=exec-used


def _shutdown_like_python():
    """Py_FinalizeEx's order: non-daemon threads joined, atexit handlers, stdio flushed; False if a flush failed."""
    threading._shutdown()  # pylint: disable=protected-access
    atexit._run_exitfuncs()  # pylint: disable=protected-access
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # pylint: disable=broad-except
            flushed = False
    return flushed


def _exit(status):
    if not _shutdown_like_python() and status == 0:
        status = 120
    os._exit(status)  # pylint: disable=protected-access


def _parse_request(data):
    """A request's dict: JSON from a client; from the module server's stand-ins (tests/support/module_server.py),
    marshal ("M", the Python one: it imports no json) or NUL-ended fields ("N", the C one: the script, the working
    directory, the umask, then the environment's entries, the first of a name kept as Python keeps it)."""
    if data[:1] == b"M":
        return marshal.loads(data[1:])
    if data[:1] != b"N":
        return json.loads(data)
    fields = [os.fsdecode(field) for field in data[1:].split(b"\0")[:-1]]
    env = {}
    for entry in fields[3:]:
        name, equals, value = entry.partition("=")
        if equals:
            env.setdefault(name, value)
    return {"argv": fields[:1], "cwd": fields[1], "umask": int(fields[2]), "env": env, "new_session": False}


class _Serve:
    """The server's loop: requests on the control socket (or one per connection to ``listener``, a listening Unix
    socket), each child's end reported on its request's channel."""

    def __init__(self, control, libc, listener=None, binder=None, bound=None, stats=None, name=None, playbooks=False):
        self.control = control
        self.libc = libc
        self.playbooks = playbooks  # its runs are ansible-playbook's: their workers end with them (_end_forks_with_run)
        self.binder = binder  # configuration_bound.Binder: the playbook server's runs go to bound servers
        self.bound = bound  # configuration_bound.Bound: this is a bound server
        self.children = {}  # pid -> channel socket (None: a bound server)
        self.served, self.cpu = 0, 0.0  # runs ended, their CPU seconds (DSS_TEST_SERVER_STATS)
        self.stats = os.environ.get(STATS) if stats is None else stats
        self.name = name or os.path.basename(sys.argv[0])  # in its statistics
        self.base_path = list(sys.path)
        self.sel = selectors.DefaultSelector()
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        self.wake_r = wake_r
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to pytest, which stops the runs it wants stopped
        signal.signal(signal.SIGTERM, _raise_exit)
        signal.signal(signal.SIGHUP, _raise_exit)
        self.sel.register(control, selectors.EVENT_READ, "control")
        if listener is not None:
            self.sel.register(listener, selectors.EVENT_READ, "listener")
        self.sel.register(wake_r, selectors.EVENT_READ, "signal")

    def run(self):
        try:
            while True:
                for key, _events in self.sel.select():
                    if key.data == "control":
                        if not self.request(self.control):
                            return
                    elif key.data == "listener":
                        self.accept(key.fileobj)
                    elif key.data == "connection":
                        self.sel.unregister(key.fileobj)
                        self.request(key.fileobj)
                        key.fileobj.close()
                    elif key.data == "signal":
                        while True:
                            try:
                                if not os.read(self.wake_r, 512):
                                    break
                            except BlockingIOError:
                                break
                        self.reap()
                    else:
                        self.message(key.data, key.fileobj)
        finally:
            self.stop_children()
            self.write_stats()

    def write_stats(self):
        """With DSS_TEST_SERVER_STATS=<directory>: <directory>/<pid>.json, what this server's children cost."""
        directory = self.stats
        if directory:
            with open(os.path.join(directory, "%d.json" % os.getpid()), "w", encoding="utf-8") as out:
                json.dump({"server": self.name, "runs": self.served, "cpu_s": round(self.cpu, 3)}, out)

    def accept(self, listener):
        try:
            connection, _address = listener.accept()
        except OSError:
            return
        self.sel.register(connection, selectors.EVENT_READ, "connection")

    def request(self, source):
        """Serve the request waiting on ``source``; False when its sender has gone (the control socket's end)."""
        try:
            data, ancdata, flags, _address = source.recvmsg(MAX_REQUEST, socket.CMSG_SPACE(5 * 4))
        except ConnectionResetError:
            return False
        fds = _fd_array([])
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        fds = list(fds)
        if not data:
            for fd in fds:
                os.close(fd)
            return False  # the client process ended: its lifeline closed
        channel = socket.socket(fileno=fds[0]) if fds else None
        try:
            if len(fds) != 4 or flags & socket.MSG_TRUNC:
                raise ValueError("malformed request")
            request = _parse_request(data)
            if self.binder is not None and self.binder.forward(request, data, fds):
                channel.close()  # the bound server has the request's descriptors and answers on its channel
                return True
            sys.stderr.flush()
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
            pid = os.fork()
            if pid == 0:
                _child(request, fds, os.getppid(), self.base_path, self.libc, self.bound, self.playbooks)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        except Exception as exc:  # pylint: disable=broad-except
            if channel is not None:
                _send(channel, {"error": "%s: %s" % (type(exc).__name__, exc)})
                channel.close()
            return True
        finally:
            for fd in fds[1:]:
                os.close(fd)
        self.children[pid] = channel
        self.sel.register(channel, selectors.EVENT_READ, pid)
        _send(channel, {"pid": pid})
        return True

    def message(self, pid, channel):
        """A signal for the child ``pid`` (not reaped yet, so the pid is still its own), or its client gone."""
        try:
            data = channel.recv(4096)
        except OSError:
            data = b""
        signum = json.loads(data)["signal"] if data else signal.SIGTERM
        _signal_group(pid, signum)
        if not data:  # the client dropped the handle: nobody will wait for the child
            self.sel.unregister(channel)

    def reap(self):
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            channel = self.children.pop(pid, None)
            if self.binder is not None and channel is None:
                self.binder.ended(pid)  # a bound server (its runs are counted in its own statistics)
                continue
            self.served += 1
            self.cpu += usage.ru_utime + usage.ru_stime  # the run with every process it waited for
            if channel is not None:
                try:
                    self.sel.unregister(channel)
                except KeyError:
                    pass  # its client had gone
                _send(channel, {"status": status})
                channel.close()

    def start_bound(self, request, kinds):
        """Fork a bound server for the configuration of ``request`` (configuration_bound.Binder's ``start``)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stderr.flush()
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        pid = os.fork()
        if pid == 0:
            ours.detach()
            _bound_server(theirs, request, kinds, self)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        theirs.close()
        self.children[pid] = None
        ours.settimeout(120)  # its import: a fraction of a second, minutes on a machine under heavy load
        try:
            reply = json.loads(ours.recv(MAX_REQUEST) or b'{"refused": "it ended"}')
        except OSError as exc:
            reply = {"refused": str(exc)}
        ours.settimeout(None)
        return pid, ours, reply

    def stop_children(self):
        """The server goes: its children go first (SIGTERM, then SIGKILL after 5 s)."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # ansible-playbook's workers have sessions of their own: a run killed before it forwards the signal would
        # leave them running, so every process under a child gets it too (those forked after this snapshot end with
        # their run: _end_forks_with_run).
        under = [pid for child in self.children for pid in descendants(child) if pid != child]
        for pid in self.children:
            _signal_group(pid, signal.SIGTERM)
        signal_each(under, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for pid in self.children:
            _signal_group(pid, signal.SIGKILL)
        signal_each(under, signal.SIGKILL)


def _bound_server(sock, request, kinds, server):
    """In the forked child of ``server``: import the configuration of ``request`` with its environment, directory and
    ``kinds`` of standard streams (configuration_bound.py), answer whether it can be shared, then serve the runs forwarded
    to it until the server closes its socket. Never returns."""
    import configuration_bound  # pylint: disable=import-outside-toplevel,import-error
    status = 0
    _SERVER_STDIO.append(server)  # its objects are never used nor collected here: their descriptors close below
    try:
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        if server.libc is not None:
            server.libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: it ends with its server
        _python_signal_defaults(request.get("ignored", ()))
        signal.set_wakeup_fd(-1)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        streams = configuration_bound.Streams(kinds)
        saved = [os.dup(fd) for fd in (0, 1, 2)]
        for target, fd in enumerate(streams.fds):
            os.dup2(fd, target)
        _new_stdio()
        _enter(request, server.base_path, server.libc, rename=False)
        try:
            record, local_tmp_parent = configuration_bound.import_configuration()
            sys.stdout.flush()
            sys.stderr.flush()
            if streams.written():
                raise configuration_bound.Refused("the import printed", record["reads"])
        finally:  # the server's own streams back under them (an error of this process goes to the test's stderr)
            for target, fd in enumerate(saved):
                os.dup2(fd, target)
                os.close(fd)
            streams.close()
        bound = configuration_bound.Bound(local_tmp_parent)
        _send(sock, {"ready": record})
        gc.collect()
        gc.freeze()
        _Serve(sock, server.libc, bound=bound, stats=server.stats, name=server.name + " (bound)", playbooks=True).run()
    except configuration_bound.Refused as exc:
        _send(sock, {"refused": str(exc), "reads": exc.reads})
    except SystemExit as exc:  # SIGTERM (its server stops it), quietly as the server itself ends
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # pylint: disable=broad-except
        status = 1
        try:
            sys.excepthook(*sys.exc_info())
        except BaseException:  # pylint: disable=broad-except
            pass
    os._exit(status)  # pylint: disable=protected-access


def descendants(root):
    """``root`` and every process under it (from /proc's parent links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as fh:
                    children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def signal_each(pids, signum):
    """Send ``signum`` to each of ``pids`` that is still there."""
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:  # not its own group leader yet (it has not reached setsid): the process alone
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _send(channel, message):
    try:
        channel.send(json.dumps(message).encode())
    except OSError:
        pass  # the client went


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def libc():
    """The C library for prctl: the symbols this interpreter already links (``find_library("c")`` would start ldconfig
    in each process that asks, about 270 times a suite)."""
    import ctypes  # pylint: disable=import-outside-toplevel
    return ctypes.CDLL(None, use_errno=True)


def serve(control_fd):
    """The server's main: pre-import, then serve until the client's end of ``control_fd`` closes (the client ended,
    however: kill -9 included) or SIGTERM."""
    control = socket.socket(fileno=control_fd)
    preload(modules_to_preload())
    import computed_once  # pylint: disable=import-outside-toplevel,import-error
    computed_once.parse_core_files()
    computed_once.compile_for_runs(os.environ[COLLECTIONS])
    # The code Jinja generates and what AnsiballZ builds pack, shared by the runs' processes: the test session's
    # directory (tests/conftest.py: every server of the session shares it), else one of this server's own.
    shared = os.environ.get(SHARED) or tempfile.mkdtemp(prefix="dss-shared-")
    computed_once.compile_templates(shared)
    computed_once.share_module_builds(shared)
    computed_once.share_plugin_docs(shared)
    _refuse_configuration()
    # The imported objects out of the collector's reach: its passes would otherwise write to every object's header in
    # each child, copying the whole shared heap (about 0.08 CPU seconds a run).
    import configuration_bound  # pylint: disable=import-outside-toplevel,import-error
    gc.collect()
    gc.freeze()
    try:
        serving = _Serve(control, libc(), playbooks=True)
        if os.environ.get(BOUND_SWITCH, "1") != "0":
            serving.binder = configuration_bound.Binder(serving.start_bound)
        serving.run()
    finally:
        if shared != os.environ.get(SHARED):
            shutil.rmtree(shared, ignore_errors=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
