"""The client side of runtime/zygote.py: one preloaded helper process per node that forks the scripts needing
pandas, so DSS's recipe template does not pay the pandas import (about half a second of CPU) on every run.

Started the first time such a script runs; restarted if it dies; stopped with the node (python_process.kill_all).
A forked run behaves as a spawned one (python_process.Spawned): same runner, environment, directory and output.
The zygote itself is a fresh interpreter running runtime/zygote.py (``spawn``); the tests' node server replaces
``spawn`` in its nodes with one that forks it from a process that imported pandas once for all of them
(tests/support/node_server.py).
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import threading

_zygote = None
_lock = threading.Lock()


def spawn(zygote_script, env):
    """A zygote process: a Popen-like handle with text ``stdin`` and ``stdout`` pipes, ``kill`` and ``wait``."""
    return subprocess.Popen([sys.executable, zygote_script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)


class Forked:
    """One script forked by the zygote: kill(), finish(timeout) -> output bytes, returncode."""

    def __init__(self, output_path):
        self.output_path = output_path
        self.pid = None
        self.returncode = None
        self.started = threading.Event()
        self.done = threading.Event()

    def kill(self):
        if self.pid and not self.done.is_set():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def finish(self, timeout=None):
        if not self.done.wait(timeout):
            raise subprocess.TimeoutExpired("zygote child %s" % self.pid, timeout)
        try:
            with open(self.output_path, "rb") as fp:
                return fp.read()
        except FileNotFoundError:
            return b""


class Zygote:
    def __init__(self, zygote_script, env):
        self.proc = spawn(zygote_script, env)
        self.runs = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.dead = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            message = json.loads(line)
            with self.lock:
                run = self.runs.get(message["id"])
                if run is not None and "exit" in message:
                    del self.runs[message["id"]]
            if run is None:
                continue
            if "pid" in message:
                run.pid = message["pid"]
                run.started.set()
            else:
                run.returncode = message["exit"]
                run.done.set()
        with self.lock:  # the zygote is gone: its runs end as killed
            self.dead = True
            runs, self.runs = list(self.runs.values()), {}
        for run in runs:
            run.returncode = -signal.SIGKILL
            run.started.set()
            run.done.set()

    def start(self, script, result, output, cwd, env):
        run = Forked(output)
        with self.lock:
            if self.dead:
                return None
            run_id = next(self.ids)
            self.runs[run_id] = run
        try:
            # One writer at a time (request lines never interleave); not under self.lock, which the reader needs.
            with self.write_lock:
                self.proc.stdin.write(json.dumps({"id": run_id, "script": script, "result": result,
                                                  "output": output, "cwd": cwd, "env": env}) + "\n")
                self.proc.stdin.flush()
        except OSError:
            with self.lock:
                self.runs.pop(run_id, None)
            return None
        run.started.wait()
        return run

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)  # reaped: no zombie, and its CPU time is counted to the node


def start(zygote_script, zygote_env, script, result, output, cwd, env):
    """Fork `script` from the node's zygote (started if needed); None when no zygote can run it."""
    global _zygote  # pylint: disable=global-statement
    for _attempt in range(2):
        with _lock:
            if _zygote is None or _zygote.dead:
                try:
                    _zygote = Zygote(zygote_script, zygote_env)
                except OSError:
                    return None
            zygote = _zygote
        run = zygote.start(script, result, output, cwd, env)
        if run is not None:
            return run
    return None


def stop():
    with _lock:
        if _zygote is not None:
            _zygote.stop()
