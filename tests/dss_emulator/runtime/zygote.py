"""Forks the scripts of one emulated node from a process that imported pandas and numpy once.

DSS's recipe template imports pandas, which costs about half a second of CPU per fresh interpreter; a fork of this
process starts with it imported. python_process.py starts one zygote per node the first time a script needs pandas,
then sends it one JSON line per script on stdin: {"id", "script", "result", "output", "cwd", "env"}. It answers
{"id", "pid"} once the child runs, then {"id", "exit"} (exit code, negative: killed by that signal) when it ends.
The child runs run_python.main exactly as `python run_python.py SCRIPT RESULT` would, output to the `output` file.
"""

import io
import json
import os
import sys
import threading

import numpy  # noqa: F401  pylint: disable=unused-import  # preloaded: the point of this process
import pandas  # noqa: F401  pylint: disable=unused-import

import run_python

_reply_lock = threading.Lock()


def _reply(message):
    with _reply_lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _child(request):
    """In the forked child: the run's stdio, directory and environment, then the script."""
    code = 1
    try:
        fd = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        code = run_python.main(request["script"], request["result"])
    except SystemExit as exc:  # a script's sys.exit is handled by run_python; this is the runner's own
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # pylint: disable=broad-exception-caught
        import traceback  # pylint: disable=import-outside-toplevel
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # pylint: disable=protected-access


def _reap(request_id, pid):
    _pid, status = os.waitpid(pid, 0)
    _reply({"id": request_id, "exit": os.waitstatus_to_exitcode(status)})


def main():
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        _reply({"id": request["id"], "pid": pid})
        threading.Thread(target=_reap, args=(request["id"], pid), daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
