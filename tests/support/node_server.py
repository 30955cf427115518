"""A fork server for the tests' emulator nodes: a node starts without paying its imports each time.

Starting a node (``python tests/dss_emulator --node-type ...``) costs about 0.2 CPU seconds, nearly all of it importing
Flask, Werkzeug and the emulator; a suite starts about a hundred. Each pytest process (each xdist worker) starts one
node server the first time it starts a node: a single-threaded process that has imported the emulator
(``dss_emulator.__main__`` and what it imports, and the route modules that a node's ``create_app`` imports; nothing
run). Per node it forks a child that becomes the node as
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

Zygotes: a node forks the scripts that work with DataFrames from its zygote, a process that imported pandas
(the emulator's runtime/zygote.py, about half a CPU second to start; a suite starts about 45). The node server starts
beside it a zygote server that imported what zygote.py imports (``serve_zygotes``), and its nodes ask that server for
their zygote (``python_zygote.spawn``): a child that becomes ``python zygote.py`` as ``_child`` makes a run (the node's
environment, directory and umask, its pipes as standard streams). Unlike a zygote of the node's own, it is not in the
node's process group: when the node ends, however, the zygote server sends SIGTERM to the zygote's group (the zygote
and the scripts it forked), as it does to any child whose client has gone. A node whose Python-level environment is
not the zygote server's, or that cannot reach it, starts its own zygote.
"""

import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
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


# -- zygotes (client side: in a node) ------------------------------------------------------------------------------


def served_zygotes(own_spawn, path, key):
    """python_zygote.spawn for the nodes: the zygote server at ``path`` forks the zygote when the node's Python-level
    environment is ``key``, the server's; else, or when it cannot, ``own_spawn`` starts one."""

    def spawn(zygote_script, env):
        if playbook_server.python_environment(env) == key:
            try:
                return _zygote_from_server(path, zygote_script, env)
            except OSError:  # ChildProcessError included: the server could not fork it
                pass  # the zygote server ended: a zygote of the node's own
        return own_spawn(zygote_script, env)

    return spawn


def _zygote_from_server(path, zygote_script, env):
    def send(data, fds):
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
            connection.connect(path)
            connection.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, playbook_server._fd_array(fds))])  # noqa pylint: disable=protected-access

    request = {"argv": [zygote_script], "env": dict(env), "cwd": os.getcwd(),
               "umask": playbook_server._umask()}  # pylint: disable=protected-access
    return playbook_server.start_child(send, request, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True)


# -- server --------------------------------------------------------------------------------------------------------


def _start_zygote_server(runtime):
    """Start the zygote server of this node server's nodes; (its socket's path, its Python-level environment).

    Its environment is the one python_process.py gives a zygote (the runtime first on PYTHONPATH, unbuffered), so its
    sys.path is a fresh ``python zygote.py``'s after the script's folder. It ends when this server does (its lifeline
    closes) and removes its socket's folder."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([runtime] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
               PYTHONUNBUFFERED="1")
    if sys.dont_write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    directory = tempfile.mkdtemp(prefix="dss-zygotes-")
    path = os.path.join(directory, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)  # bound before the server runs: a node that asks meanwhile waits for it
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fds = (theirs.fileno(), listener.fileno())
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, os.path.abspath(__file__), str(fds[0]), "zygotes", str(fds[1]), directory], env=env, cwd="/",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=fds)
    theirs.close()
    listener.close()
    # Kept for this server's life (its nodes close the lifeline's fd, as every fd they do not use).
    _ZYGOTE_SERVER.extend([server, ours.detach()])
    return path, playbook_server.python_environment(env)


_ZYGOTE_SERVER = []


def serve(control_fd):
    """Import the emulator, start the zygote server, then serve until the client's end of ``control_fd`` closes or
    SIGTERM."""
    control = socket.socket(fileno=control_fd)
    tests = os.path.dirname(EMULATOR)
    sys.path.insert(0, tests)  # as the emulator's __main__ puts it: its package is dss_emulator
    try:
        __import__("dss_emulator.__main__")
        # create_app imports the route modules when a node starts (routes.register_all): import them here too
        __import__("dss_emulator.routes")
        sys.modules["dss_emulator.routes"].modules()
    finally:
        sys.path.remove(tests)
    if threading.active_count() != 1:
        raise RuntimeError("importing the emulator started threads: forking would be unsafe")
    python_zygote = sys.modules["dss_emulator.python_zygote"]
    python_process = sys.modules["dss_emulator.python_process"]
    if os.environ.get(python_process.ZYGOTE_ENV, "1") != "0":  # zygotes switched off: no server to start
        python_zygote.spawn = served_zygotes(python_zygote.spawn, *_start_zygote_server(python_process.RUNTIME))
    gc.collect()
    gc.freeze()
    playbook_server._Serve(control, playbook_server.libc()).run()  # pylint: disable=protected-access


def serve_zygotes(control_fd, listener_fd, directory):
    """The zygote server: import what the emulator's runtime/zygote.py imports, then fork zygotes until the node
    server's end of ``control_fd`` closes or SIGTERM."""
    control = socket.socket(fileno=control_fd)
    listener = socket.socket(fileno=listener_fd)
    try:
        # pylint: disable=import-outside-toplevel,unused-import,import-error
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import run_python  # noqa: F401  (the runtime folder is on PYTHONPATH)
        gc.collect()
        gc.freeze()
        playbook_server._Serve(control, playbook_server.libc(), listener).run()  # pylint: disable=protected-access
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[2:3] == ["zygotes"]:
        serve_zygotes(int(sys.argv[1]), int(sys.argv[3]), sys.argv[4])
    else:
        serve(int(sys.argv[1]))
