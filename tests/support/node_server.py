"""A fork server for the tests' emulator nodes: a node starts without paying its imports each time.

Starting a node (``python tests/dss_emulator --node-type ...``) costs about 0.2 CPU seconds, nearly all of it importing
Flask, Werkzeug and the emulator; a suite starts about a hundred. Each pytest process (each xdist worker) starts one
node server the first time it starts a node: a single-threaded process that has imported the emulator
(``dss_emulator.__main__`` and what it imports, nothing run). Per node it forks a child that becomes the node as
``python tests/dss_emulator <options>`` would (tests/support/playbook_server.py's ``_child``: the request's argv,
environment, working directory and umask, the caller's standard streams, default signals, a session of its own,
``runpy`` of the emulator's ``__main__.py``, Python's exit sequence). ps and psutil name the child ``dss_emulator``;
its command line stays the server's.

``tests/support/processes.py`` routes ``popen`` of ``[sys.executable, tests/dss_emulator, ...]`` here once
``enable()`` was called (tests/conftest.py does, unless ``DSS_TEST_NODE_SERVER=0``), except ``--daemon`` and
``stop``: the handle acts like subprocess.Popen (pid, poll, wait, send_signal, terminate, kill, stdout), a signal going
to the node's process group (the node and its scenario and recipe processes). The packaging tier starts real processes
(``pause``), as it does for ansible-playbook.

Not shared with a fresh process: the hash seed (one per server) and what the emulator's modules computed at import
(none of them reads the environment then). Run as a script, this file is the server; imported, it is the client.
"""

import gc
import os
import subprocess
import sys
import threading

try:
    from tests.support import playbook_server
except ImportError:  # run as the server script: tests/support is the first entry of sys.path
    import playbook_server  # pylint: disable=import-error

EMULATOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dss_emulator")
SWITCH = "DSS_TEST_NODE_SERVER"  # "0": every node is a process of its own

# -- client --------------------------------------------------------------------------------------------------------

SWITCH_BOARD = playbook_server.ServerSwitch(SWITCH, lambda env: NodeServer(env))  # pylint: disable=unnecessary-lambda


def enable():
    """Route this process's node starts (tests/support/processes.py) through node servers, unless switched off."""
    SWITCH_BOARD.enable(serves, popen)


def pause(paused):
    """While paused, every node is a process of its own (the packaging tier: tests/conftest.py)."""
    SWITCH_BOARD.pause(paused)


def serves(cmd, kwargs):
    """Whether ``cmd`` (with these subprocess.Popen keyword arguments) starts a node in the foreground."""
    return (SWITCH_BOARD.active() and isinstance(cmd, (list, tuple)) and len(cmd) > 2
            and list(cmd[:2]) == [sys.executable, EMULATOR] and "--daemon" not in cmd and cmd[2] != "stop"
            and set(kwargs) <= playbook_server.SUPPORTED_KWARGS and kwargs.get("stdin") in (None, subprocess.DEVNULL))


def popen(cmd, **kwargs):
    """A ServerChild running the node ``cmd`` in this process's node server for its environment."""
    env = kwargs.pop("env", None)
    env = dict(os.environ if env is None else env)
    return SWITCH_BOARD.server(env).spawn([os.fspath(arg) for arg in cmd[1:]], env, **kwargs)


def shutdown():
    """Stop every node server of this process (their nodes with them)."""
    SWITCH_BOARD.shutdown()


class NodeServer(playbook_server.Server):
    """A node server process for ``env`` (its Python-level variables): a playbook_server.Server whose process is this
    file's ``serve``, with no module server beside it."""

    KIND = "node server"
    SWITCHED_OFF = "%s=0 starts each node as a process of its own" % SWITCH

    def _start(self, env):
        return playbook_server.launch(os.path.abspath(__file__), env) + (None,)


# -- server --------------------------------------------------------------------------------------------------------


def serve(control_fd):
    """Import the emulator, then serve until the client's end of ``control_fd`` closes or SIGTERM."""
    import ctypes  # pylint: disable=import-outside-toplevel
    import ctypes.util  # pylint: disable=import-outside-toplevel
    import socket  # pylint: disable=import-outside-toplevel
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    control = socket.socket(fileno=control_fd)
    tests = os.path.dirname(EMULATOR)
    sys.path.insert(0, tests)  # as the emulator's __main__ puts it: its package is dss_emulator
    try:
        __import__("dss_emulator.__main__")
    finally:
        sys.path.remove(tests)
    if threading.active_count() != 1:
        raise RuntimeError("importing the emulator started threads: forking would be unsafe")
    gc.collect()
    gc.freeze()
    playbook_server._Serve(control, libc).run()  # pylint: disable=protected-access


if __name__ == "__main__":
    serve(int(sys.argv[1]))
