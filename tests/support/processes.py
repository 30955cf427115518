"""No orphans: the processes that tests, benchmarks and the demo start (emulator nodes, fault proxies,
ansible-playbook) end with the process that started them.

Three layers, so that every way of ending the parent is covered:
- at exit (normal end, an exception, SystemExit): ``atexit`` stops every child still registered;
- SIGTERM and SIGHUP (kill, a closed terminal, a CI timeout): turned into SystemExit in the main thread, so ``with``
  blocks and ``finally`` clauses stop their children first; SIGINT already raises KeyboardInterrupt;
- kill -9 of the parent, which runs no Python at all: on Linux each child is started with a parent-death signal
  (SIGTERM), so the kernel stops it. Only for children started from the main thread: the kernel sends that signal
  when the starting *thread* ends, and a worker thread may end long before the process does.
"""

import atexit
import ctypes
import os
import signal
import subprocess
import sys
import threading

_PR_SET_PDEATHSIG = 1
_children = set()
_lock = threading.Lock()
_installed = False
_routes = []  # (serves, launch) of each fork server that tests/conftest.py enabled (playbook_server.py, node_server.py)


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)  # what this interpreter links: find_library would run ldconfig
    except OSError:
        return None


_LIBC = _libc()


def _die_with_parent(parent_pid):
    def preexec():
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl: nobody would send the signal
            os._exit(1)  # pylint: disable=protected-access
    return preexec


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def _install():
    """Once per process, from the main thread: signals become SystemExit, and an exit stops what is left."""
    global _installed  # pylint: disable=global-statement
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _exit_on_signal)
    atexit.register(terminate_all)


def route(serves, launch):
    """Start the commands for which ``serves(cmd, kwargs)`` is true with ``launch(cmd, **kwargs)`` (a Popen-like
    handle, or None: subprocess.Popen after all) instead of subprocess.Popen: a fork server."""
    if (serves, launch) not in _routes:
        _routes.append((serves, launch))


def popen(cmd, **kwargs):
    """subprocess.Popen for a child that must not outlive this process (registered until ``forget``); an
    ansible-playbook command or an emulator node goes to its fork server when it is enabled (the same interface)."""
    _install()
    launch = next((launch for serves, launch in _routes if serves(cmd, kwargs)), None)
    proc = launch(cmd, **kwargs) if launch is not None else None
    if proc is not None:
        with _lock:
            _children.add(proc)
        return proc
    if _LIBC is not None and threading.current_thread() is threading.main_thread() and "preexec_fn" not in kwargs:
        kwargs["preexec_fn"] = _die_with_parent(os.getpid())
    proc = subprocess.Popen(cmd, **kwargs)  # pylint: disable=consider-using-with
    with _lock:
        _children.add(proc)
    return proc


def forget(proc):
    """The caller has stopped (and reaped) ``proc``."""
    with _lock:
        _children.discard(proc)


def stop(proc, timeout=10):
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reaps the child and forgets it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    forget(proc)


def kill_tree(proc, timeout=30):
    """kill -9 of ``proc`` and every process under it (a controller that dies takes its module processes along,
    whatever session they run in); reaps ``proc`` and forgets it."""
    from tests.support.playbook_server import descendants, signal_each  # pylint: disable=import-outside-toplevel
    signal_each(descendants(proc.pid), signal.SIGKILL)
    proc.wait(timeout=timeout)
    forget(proc)


def terminate_all():
    with _lock:
        left = list(_children)
    for proc in left:
        stop(proc, timeout=5)


def run(cmd, timeout=None, **kwargs):
    """subprocess.run(capture_output=True, text=True) with a child that ends with this process; on any exception
    (SystemExit from a signal included) the child is stopped before the exception goes on."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("text", True)
    proc = popen(cmd, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        stop(proc)
        raise
    forget(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
