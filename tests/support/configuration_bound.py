"""Bound servers: the served ansible-playbook runs of one configuration share its imports (playbook_server.py).

A run imports about 95 modules that read its configuration when imported (``ansible.cli.playbook`` and what it
imports: ``ansible.constants``, the ANSIBLE_* variables, ansible.cfg, ~/.ansible.cfg): about 0.15 CPU seconds that the
playbook server cannot spend once for all runs. Most runs of a test session repeat an earlier run's configuration,
though. The first time the server sees a configuration it forks a *bound server*, which imports ``ansible.cli.playbook``
with that run's environment, working directory, kinds of standard streams and ignored signals, recording what the
import read; every run whose inputs give the same reads is then forked from the bound server, its imports done.

What the import read, recorded while it imports, and compared for each later run before it is forwarded:
- the environment variables it looked up (``os.environ`` is instrumented; an import that lists the whole environment
  is not bound);
- the files it opened and the directories it listed (``sys.audit`` events) and the configuration files ansible looks
  for, which must be unchanged (inode, size, modification time; still absent if they were), and ``ansible.cfg`` in the
  working directory, which must still be absent;
- the working directory itself when the configuration could depend on it: ansible.cfg is there, a variable it read
  holds a relative path, or a resolved setting names the directory.

What a real run computes at import from its own process, computed again by each bound run (``renew``; ansible-core
2.19 is the minor audited for this, another one's runs are not bound): ``DEFAULT_LOCAL_TMP`` (``ansible-local-<pid>``,
removed at exit) and ``ansible.utils.vars.random_int`` (the seed of ``get_unique_id``).

Not bound: a run whose standard stream is a terminal, another device than /dev/null or non-blocking (``ansible.cli``
checks them at import, colour and column width follow them); a configuration whose import printed anything, left a
file open, started a thread or a process (other than ldconfig, which ctypes asks for the C library), or registered
another exit handler than its temporary directory's removal. The standard streams the import configured (``Display``
locks and reconfigures ``sys.stdout`` and ``sys.stderr``) are each run's own: its descriptors are put under them.
"""

import array
import atexit
import importlib
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading

try:  # the playbook server runs the files of tests/support as top-level modules; the tests import the package
    import computed_once  # pylint: disable=import-error
except ImportError:
    from tests.support import computed_once

AUDITED = "2.19."  # the ansible-core minor whose import-time state was audited (module docstring)
ENTRY = "ansible.cli.playbook"  # what the ansible-playbook console script imports before main()
MAX_BOUND = 12  # bound servers a server starts (a test session makes 3 to 5 a server); then it runs the rest itself
MAX_REFUSED = 32  # refused configurations a server remembers, the oldest forgotten first
_ALLOWED_PROCESSES = ("ldconfig",)
_PROCESS_EVENTS = ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.system", "os.spawn", "os.fork",
                   "os.forkpty")
_RECORDING = None  # the Recording of the import in progress (the audit hook is process-wide and stays)


class Refused(Exception):
    """This configuration's import cannot be shared; ``reads`` what it read (None: unknown)."""

    def __init__(self, reason, reads=None):
        super().__init__(reason)
        self.reads = reads


# -- the playbook server's side -------------------------------------------------------------------------------------


def stream_kinds(fds):
    """The kinds ("null", "file", "pipe", "socket") of a run's stdin, stdout and stderr, or None when one of them
    rules binding out (a terminal or another device, a non-blocking descriptor)."""
    kinds = []
    devnull = os.stat(os.devnull).st_rdev
    for fd in fds:
        mode = os.fstat(fd)
        if os.isatty(fd) or not os.get_blocking(fd):
            return None
        if stat.S_ISREG(mode.st_mode):
            kinds.append("file")
        elif stat.S_ISFIFO(mode.st_mode):
            kinds.append("pipe")
        elif stat.S_ISSOCK(mode.st_mode):
            kinds.append("socket")
        elif stat.S_ISCHR(mode.st_mode) and mode.st_rdev == devnull:
            kinds.append("null")
        else:
            return None
    return tuple(kinds)


class Binding:
    """A bound server as its playbook server knows it (``sock`` None: a refused configuration, remembered so that
    its next runs do not try again)."""

    def __init__(self, shape, record, pid=None, sock=None):
        self.shape = shape
        self.reads = record.get("reads")  # name -> value (None: unset); None: the whole environment
        self.env = record.get("env")
        self.cwd = record.get("cwd")  # None: the import does not depend on the working directory
        self.files = record.get("files", [])
        self.pid, self.sock = pid, sock

    def matches(self, shape, request):
        if shape != self.shape:
            return False
        env = request["env"]
        if self.reads is None:
            return env == self.env and request["cwd"] == self.cwd
        if any(env.get(name) != value for name, value in self.reads.items()):
            return False
        if self.cwd is not None:
            return request["cwd"] == self.cwd
        return not os.path.exists(os.path.join(request["cwd"], "ansible.cfg"))

    def current(self):
        # as lists on both sides: the record came back through JSON
        return all(list(computed_once.file_identity_of(path) or ()) == list(known or ()) for path, known in self.files)


class Binder:
    """Which bound server a request goes to; ``start(request, stream kinds)`` forks one: (its pid, our end of its
    socket, its first word: {"ready": record} or {"refused": reason, "reads": ...})."""

    def __init__(self, start):
        import ansible.release  # pylint: disable=import-outside-toplevel
        self.start = start
        self.audited = ansible.release.__version__.startswith(AUDITED)
        self.bindings = []
        self.stale = []  # bound servers no longer matched (a file they read changed): left to end with the server

    def shape(self, request, fds):
        """What must be equal for two requests to share a bound server before any reads are compared."""
        argv = request.get("argv") or [""]
        if not self.audited or os.path.basename(argv[0]) != "ansible-playbook" or len(fds) != 4:
            return None
        kinds = stream_kinds(fds[1:4])
        if kinds is None:
            return None
        return [argv[0], request.get("umask"), request.get("module_python"), list(kinds),
                sorted(request.get("ignored", ()))]

    def forward(self, request, data, fds):
        """Send the request (``data`` and ``fds``) to the bound server of its configuration, started if there is none;
        False when it is not for one (the server runs it itself)."""
        shape = self.shape(request, fds)
        if shape is None:
            return False
        binding = next((b for b in self.bindings if b.matches(shape, request)), None)
        if binding is not None and binding.sock is not None and not binding.current():
            self.bindings.remove(binding)
            self.stale.append(binding)
            binding = None
        if binding is None:
            if sum(b.sock is not None for b in self.bindings) >= MAX_BOUND:
                return False
            binding = self.bind(shape, request)
        if binding.sock is None:
            return False
        try:
            binding.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        except OSError:
            self.ended(binding.pid)
            return False
        return True

    def bind(self, shape, request):
        pid, sock, reply = self.start(request, shape[3])
        if "ready" in reply:
            binding = Binding(shape, reply["ready"], pid, sock)
        else:
            sock.close()
            record = {"reads": reply.get("reads"), "cwd": request["cwd"]}
            if record["reads"] is None:
                record["env"] = request["env"]
            binding = Binding(shape, record)
            refused = [b for b in self.bindings if b.sock is None]
            if len(refused) >= MAX_REFUSED:
                self.bindings.remove(refused[0])
        self.bindings.append(binding)
        return binding

    def ended(self, pid):
        """The bound server ``pid`` ended (or is unreachable): forget it."""
        for binding in self.bindings + self.stale:
            if binding.pid == pid and binding.sock is not None:
                binding.sock.close()
                binding.sock = None
        self.stale = [b for b in self.stale if b.sock is not None]
        self.bindings = [b for b in self.bindings if b.sock is not None or b.pid is None]


# -- the bound server's side ----------------------------------------------------------------------------------------


class Recording:
    """What the import reads: environment variables (os.environ instrumented), files and directories (audit
    events), processes started."""

    def __init__(self):
        self.names, self.paths, self.processes = set(), set(), []
        self.listed_environment = False
        self._saved = None

    def __enter__(self):
        global _RECORDING  # pylint: disable=global-statement
        environ = os._Environ  # pylint: disable=protected-access
        self._saved = (environ.__getitem__, environ.__iter__)
        getitem, iterate = self._saved
        names = self.names

        def recorded_getitem(mapping, key):
            names.add(os.fsdecode(key))
            return getitem(mapping, key)

        def recorded_iter(mapping):
            self.listed_environment = True
            return iterate(mapping)

        environ.__getitem__, environ.__iter__ = recorded_getitem, recorded_iter
        if not getattr(sys, "_dss_bound_audit", False):
            sys.addaudithook(_audit)
            sys._dss_bound_audit = True  # pylint: disable=protected-access
        _RECORDING = self
        return self

    def __exit__(self, *exc):
        global _RECORDING  # pylint: disable=global-statement
        _RECORDING = None
        os._Environ.__getitem__, os._Environ.__iter__ = self._saved  # pylint: disable=protected-access

    def seen(self, event, args):
        if event == "open":
            path = args[0]
            if isinstance(path, (str, bytes)):
                path = os.fsdecode(path)
                if not path.endswith((".py", ".pyc")):  # imported code: the installed packages', never edited
                    self.paths.add(os.path.abspath(path))
        elif event in ("os.listdir", "os.scandir"):
            path = args[0]
            if not isinstance(path, int):
                self.paths.add(os.path.abspath(os.fsdecode(path if path is not None else ".")))
        elif event in _PROCESS_EVENTS:
            self.processes.append(os.fsdecode(args[0]) if isinstance(args[0], (str, bytes)) else repr(args[0]))


def _audit(event, args):
    recording = _RECORDING
    if recording is not None:
        recording.seen(event, args)


def import_configuration():
    """Import ENTRY as a fresh run would (the caller set its environment, directory and streams); the record a
    Binding is made of, and the directory each run's DEFAULT_LOCAL_TMP goes in. Refused: not to be shared."""
    fds_before = set(os.listdir("/proc/self/fd"))
    exits_before = atexit._ncallbacks()  # pylint: disable=protected-access
    # Exit handlers are held back, not registered then unregistered: atexit counts an unregistered one still.
    held = []
    register = atexit.register
    atexit.register = lambda func, *args, **kwargs: held.append(func) or func
    try:
        with Recording() as recording:
            importlib.import_module(ENTRY)
    finally:
        atexit.register = register
    if recording.listed_environment:
        raise Refused("the import listed the whole environment")
    reads = {name: os.environ.get(name) for name in sorted(recording.names)}
    started = [p for p in recording.processes if os.path.basename(p) not in _ALLOWED_PROCESSES]
    if started:
        raise Refused("the import started %s" % started, reads)
    if threading.active_count() != 1:
        raise Refused("the import started a thread", reads)
    if set(os.listdir("/proc/self/fd")) - fds_before:
        raise Refused("the import left a file open (a log file?)", reads)
    constants = sys.modules["ansible.constants"]
    from ansible.config.manager import cleanup_tmp_file  # pylint: disable=import-outside-toplevel,import-error
    if held != [cleanup_tmp_file] or atexit._ncallbacks() != exits_before:  # pylint: disable=protected-access
        raise Refused("the import registered other exit handlers than its temporary directory's removal", reads)
    local_tmp = constants.DEFAULT_LOCAL_TMP
    shutil.rmtree(local_tmp, ignore_errors=True)  # the bound server's own: each run makes its own (Bound.renew)
    cwd = os.getcwd()
    paths = recording.paths | set(_config_candidates())
    record = {"reads": reads, "cwd": cwd if _depends_on_directory(reads, constants, cwd) else None,
              "files": [[path, computed_once.file_identity_of(path)] for path in sorted(paths)]}
    return record, os.path.dirname(local_tmp)


def _config_candidates():
    """The configuration files ansible looks for besides ./ansible.cfg (checked apart), which an import only stats
    when they are absent: one created later must retire the binding."""
    candidates = [os.path.expanduser("~/.ansible.cfg"), "/etc/ansible/ansible.cfg"]
    named = os.environ.get("ANSIBLE_CONFIG")
    if named:
        named = os.path.abspath(os.path.expanduser(named))
        candidates += [named, os.path.join(named, "ansible.cfg")]
    return candidates


def _depends_on_directory(reads, constants, cwd):
    """Whether the configuration could depend on the working directory: ansible.cfg there, a relative path in a
    variable it read (one without a slash resolves to a path in the directory, found below), or a setting naming
    the directory."""
    if os.path.exists(os.path.join(cwd, "ansible.cfg")):
        return True
    for value in reads.values():
        if value and any(piece[:1] not in ("/", "~") and "/" in piece for piece in re.split("[:,]", value)):
            return True
    prefix = cwd.rstrip("/") + "/"

    def names_directory(value):
        if isinstance(value, str):
            return value == cwd or value.startswith(prefix)
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(names_directory(item) for item in value)
        return False

    return any(names_directory(value) for name, value in vars(constants).items()
               if name.isupper() and name != "DEFAULT_LOCAL_TMP")


class Streams:
    """Descriptors of the kinds a run's stdin, stdout and stderr have, for the import (``written``: whether it wrote
    to any of them)."""

    def __init__(self, kinds):
        self.fds, self._checks, self._opened = [], [], []
        for kind in kinds:
            if kind == "null":
                fd = self._open(os.open(os.devnull, os.O_RDWR))
            elif kind == "file":
                fd, path = tempfile.mkstemp(prefix="dss-bound-")
                os.unlink(path)
                self._open(fd)
                self._checks.append(lambda fd=fd: os.fstat(fd).st_size > 0)
            elif kind == "pipe":
                read_end, fd = os.pipe()
                self._open(read_end)
                self._open(fd)
                os.set_blocking(read_end, False)
                self._checks.append(lambda fd=read_end: _has_data(fd))
            else:
                ours, theirs = socket.socketpair()
                read_end = self._open(ours.detach())
                fd = self._open(theirs.detach())
                os.set_blocking(read_end, False)
                self._checks.append(lambda fd=read_end: _has_data(fd))
            self.fds.append(fd)

    def _open(self, fd):
        self._opened.append(fd)
        return fd

    def written(self):
        return any(check() for check in self._checks)

    def close(self):
        for fd in self._opened:
            os.close(fd)


def _has_data(fd):
    try:
        return bool(os.read(fd, 1))
    except BlockingIOError:
        return False


class Bound:
    """What each run of a bound server takes from it: the signal dispositions after the import (a fresh run's at
    that point), the directory of its DEFAULT_LOCAL_TMP."""

    def __init__(self, local_tmp_parent):
        self.local_tmp_parent = local_tmp_parent
        self.signals = {}
        for signum in signal.valid_signals():
            if signum not in (signal.SIGKILL, signal.SIGSTOP):
                handler = signal.getsignal(signum)
                if handler is not None:
                    self.signals[signum] = handler

    def restore_signals(self):
        for signum, handler in self.signals.items():
            try:
                signal.signal(signum, handler)
            except (OSError, ValueError):
                continue

    def renew(self):
        """What the import computed from its own process, computed again in this run's (ansible-core 2.19's code)."""
        constants = sys.modules["ansible.constants"]
        from ansible.config.manager import cleanup_tmp_file  # pylint: disable=import-outside-toplevel,import-error
        from ansible.utils.path import makedirs_safe  # pylint: disable=import-outside-toplevel,import-error
        ansible_vars = sys.modules["ansible.utils.vars"]
        if not os.path.exists(self.local_tmp_parent):
            makedirs_safe(self.local_tmp_parent, 0o700)
        local_tmp = tempfile.mkdtemp(prefix="ansible-local-%s" % os.getpid(), dir=self.local_tmp_parent)
        atexit.register(cleanup_tmp_file, local_tmp, warn=True)
        constants.DEFAULT_LOCAL_TMP = local_tmp
        ansible_vars.random_int = ("%08x" % secrets.randbelow(ansible_vars._MAXSIZE))[:8]  # noqa pylint: disable=W0212
