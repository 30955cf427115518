"""A module fork server for the tests: AnsiballZ modules run without paying Python's imports each time.

A collection module task costs about 0.65 CPU seconds, of which about 0.4 is the module process importing
``ansible.module_utils.basic``, requests and dataikuapi. Each playbook server (tests/support/playbook_server.py) has a
module server beside it: a single-threaded process that has imported what this collection's modules import *from
outside the collection* (ansible.module_utils, dataikuapi and their dependencies, the AnsiballZ wrapper's own
modules), listening on a Unix socket, and a stand-in interpreter next to that socket: module_stand_in.c compiled
for it (Ansible starts one for every module: it costs well under a millisecond of CPU), or the Python script
``STAND_IN`` (about 12 ms) where no C compiler builds it.

The runs that the playbook server serves get the stand-in as their Python: as ``ansible_playbook_python`` (what
the tests' inventories use) and as ``ANSIBLE_PYTHON_INTERPRETER`` when the test set it to the real one. Ansible runs
it as it runs any interpreter (``/bin/sh -c '<python> <tmp>/AnsiballZ_<module>.py'``). For an AnsiballZ script the
stand-in passes its argv, environment, working directory, umask and standard streams to the server, which forks a
child that runs the script as ``python <script>`` would (playbook_server's ``_child``: default signals, ``runpy``,
Python's exit sequence); the stand-in relays signals to it and exits with its status (killed
by a signal: the same signal), and a stand-in that dies (kill -9 included) takes the child with it. Anything else
(``{{ ansible_playbook_python }} -c ...``, a server gone) is the real interpreter, exec'd in its place.

What stays as in a fresh process: the AnsiballZ archive is written, put first on sys.path and the module runs from
it, with the collection's own code (module and module_utils) imported from the archive at every run, so a
module_util that AnsiballZ failed to pack still fails. Not shared with a fresh process: the hash seed, and what the
pre-imported modules computed at import (ansible-core's and dataikuapi's do not read the environment then). The
collection's sources are compiled once by the server, and zipimport gets that code for the same bytes
(tests/support/computed_once.py).

``DSS_TEST_MODULE_SERVER=0`` turns it off (modules then start the real interpreter).
Run as a script, this file is the server; imported, it is the client.
"""

import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile

SWITCH = "DSS_TEST_MODULE_SERVER"  # "0": modules start the real interpreter
PYTHON = "python"  # the stand-in's name in the server's directory
SOCKET = "socket"
# What a module process imports besides the collection: the AnsiballZ wrapper's modules and what this collection's
# modules import (computed by importing them all; the collection's own modules are then left out).
PRELOAD_CODE = """
import base64, importlib, os, runpy, shutil, tempfile, zipfile
from ansible.module_utils._internal._ansiballz import _loader
collections = os.environ["DSS_MODULE_SERVER_COLLECTIONS"]
import sys
sys.path.insert(0, collections)
modules = os.path.join(collections, "ansible_collections", "dataiku_gitops", "dss", "plugins", "modules")
for name in sorted(os.listdir(modules)):
    if name.endswith(".py") and not name.startswith("_"):
        importlib.import_module("ansible_collections.dataiku_gitops.dss.plugins.modules." + name[:-3])
for name in [name for name in sys.modules if name.startswith("ansible_collections")]:
    del sys.modules[name]
"""

STAND_IN = '''#!{python} -IS
\"\"\"The tests' stand-in for {python}: an AnsiballZ script runs in the module server ({server}),
anything else in the real interpreter. Python starts it for every module, so it imports only built-in modules and
_socket: with json, os, signal and socket it cost about 29 ms of CPU a start, 12 without.\"\"\"
import _signal, _socket, marshal, posix, sys

REAL, SOCKET = {python!r}, {socket!r}


def real(argv):
    posix.execv(REAL, [REAL] + argv)


def main(argv):
    if not argv and not posix.isatty(0):  # the script on standard input (pipelining): "", as Python names it
        argv = [""]
    elif len(argv) != 1 or not argv[0].rsplit("/", 1)[-1].startswith("AnsiballZ_"):
        real(argv)
    try:
        cwd = posix.getcwd()
        connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        connection.connect(SOCKET)
    except OSError:
        real(argv)
    channel, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    umask = posix.umask(0o22)
    posix.umask(umask)
    encoding = sys.getfilesystemencoding()
    env = {{key.decode(encoding, "surrogateescape"): value.decode(encoding, "surrogateescape")
           for key, value in posix.environ.items()}}  # what os.environ holds
    request = b"M" + marshal.dumps({{"argv": argv, "env": env, "cwd": cwd, "umask": umask, "new_session": False}})
    fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (theirs.fileno(), 0, 1, 2))
    connection.sendmsg([request], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
    theirs.close()
    connection.close()
    reply = channel.recv(1 << 20) or b'{{"error": "the module server ended"}}'  # JSON: {{"pid": N}} or {{"error": "..."}}
    if reply.startswith(b'{{"error": '):
        sys.stderr.write("module server: %s; running the real interpreter\\n" % reply[10:-1].decode(errors="replace"))
        real(argv)

    def relay(signum, _frame):
        try:
            channel.send(b'{{"signal": %d}}' % signum)
        except OSError:
            pass

    for signum in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGQUIT, _signal.SIGUSR1, _signal.SIGUSR2):
        _signal.signal(signum, relay)
    data = channel.recv(1 << 20)  # JSON: {{"status": N}}
    code = -_signal.SIGTERM if not data else posix.waitstatus_to_exitcode(int(data.split(b":")[1].strip(b" }}")))
    if code < 0:  # killed by a signal: the same end for the stand-in (its relay undone first)
        if -code not in (_signal.SIGKILL, _signal.SIGSTOP):
            _signal.signal(-code, _signal.SIG_DFL)
        posix.kill(posix.getpid(), -code)
    posix._exit(code)


main(sys.argv[1:])
'''

# -- client --------------------------------------------------------------------------------------------------------


def _c_string(text):
    return '"%s"' % "".join("\\%03o" % byte for byte in os.fsencode(text))


def _compile_stand_in(path, interpreter, socket_path):
    """The C stand-in (module_stand_in.c) at ``path``; False without a C compiler that builds it."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return False
    source = path + ".c"
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "module_stand_in.c"), encoding="utf-8") as fh:
        code = fh.read()
    with open(source, "w", encoding="utf-8") as fh:
        defines = (_c_string(interpreter), _c_string(socket_path))
        fh.write("#define REAL_PYTHON %s\n#define SERVER_SOCKET %s\n" % defines + code)
    built = subprocess.run([compiler, "-O1", "-o", path, source], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False).returncode == 0
    os.unlink(source)
    return built


def enabled():
    return os.environ.get(SWITCH, "1") != "0"


class ModuleServer:
    """One module server process beside a playbook server; ``python`` is its stand-in interpreter. The server stops
    (its running modules with it) when this process closes its end of the control socket, or ends."""

    def __init__(self, env, interpreter, collections):
        from tests.support import playbook_server  # pylint: disable=import-outside-toplevel
        self._servers = playbook_server
        self.directory = tempfile.mkdtemp(prefix="dss-module-server-")
        self.python = os.path.join(self.directory, PYTHON)
        self.real_python = interpreter
        # The stand-in exists before any run can use it; until the server listens, it runs the real interpreter.
        if not _compile_stand_in(self.python, interpreter, os.path.join(self.directory, SOCKET)):
            with open(self.python, "w", encoding="utf-8") as fh:
                fh.write(STAND_IN.format(python=interpreter, socket=os.path.join(self.directory, SOCKET),
                                         server=os.path.abspath(__file__)))
            os.chmod(self.python, 0o755)
        self.control, self.proc = playbook_server.launch(os.path.abspath(__file__), env, self.directory,
                                                         extra_env={"DSS_MODULE_SERVER_COLLECTIONS": collections})

    def alive(self):
        return self.proc.poll() is None

    def request_env(self, env):
        """``env`` for a run whose modules use the stand-in where it asked for the real interpreter."""
        if env.get("ANSIBLE_PYTHON_INTERPRETER") in (self.real_python, sys.executable):
            env = dict(env, ANSIBLE_PYTHON_INTERPRETER=self.python)
        return env

    def close(self):
        self._servers.end(self.control, self.proc)
        shutil.rmtree(self.directory, ignore_errors=True)


# -- server --------------------------------------------------------------------------------------------------------


def _archive_first(run_module):
    """AnsiballZ's ``_loader.run_module`` with the archive first in the pre-imported packages' ``__path__``: in a
    fresh process ``ansible`` itself comes from the archive, so whatever the run imports that is not pre-imported
    (``ansible.legacy.<module>`` for a playbook's library/, a module_util) must come from there too."""

    def run(*, modlib_path, **kwargs):
        for name in ("ansible", "ansible.module_utils", "ansible.modules"):
            package = sys.modules.get(name)
            if package is not None:
                package.__path__.insert(0, os.path.join(modlib_path, *name.split(".")))
        return run_module(modlib_path=modlib_path, **kwargs)

    return run


def serve(control_fd, directory):
    """Listen, pre-import (connections wait meanwhile), then serve until the client's end of ``control_fd`` closes
    or SIGTERM."""
    import playbook_server  # pylint: disable=import-outside-toplevel,import-error
    control = socket.socket(fileno=control_fd)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    path = os.path.join(directory, SOCKET)
    listener.bind(path)
    listener.listen(64)
    playbook_server.preload(playbook_server.modules_to_preload(code=PRELOAD_CODE))
    from ansible.module_utils._internal._ansiballz import _loader  # pylint: disable=import-outside-toplevel
    _loader.run_module = _archive_first(_loader.run_module)
    import computed_once  # pylint: disable=import-outside-toplevel,import-error
    computed_once.compile_collection(os.environ["DSS_MODULE_SERVER_COLLECTIONS"])
    gc.collect()
    gc.freeze()
    try:
        playbook_server._Serve(control, playbook_server.libc(), listener).run()  # pylint: disable=protected-access
    finally:
        shutil.rmtree(directory, ignore_errors=True)  # also when the client was killed and could not


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
