"""Run one emulated DSS node:

    python tests/dss_emulator --node-type design|automation|deployer --port PORT --data-dir DIR --api-key KEY

(or python -m tests.dss_emulator ... from the collection root; python -m dss_emulator ... with tests/ on the path)

(from an installed collection: python -B <collection path>/tests/dss_emulator ..., -B so that no bytecode is
written into the collection, after pip install -r <collection path>/tests/dss_emulator/requirements.txt;
see docs/emulator.md)

Prints `listening on http://127.0.0.1:PORT` once it accepts connections; stops cleanly on SIGTERM/SIGINT.

In the background, for guides and scripts that go on in the same shell:

    python tests/dss_emulator --daemon --pid-file FILE [--log-file LOG] <the options above>
    python tests/dss_emulator stop --pid-file FILE

`--daemon` returns once the node answers on its port (exit 0), or exits non-zero naming the log when the node does
not start; `stop` ends the node of a pid file and waits until it has exited.
"""

import argparse
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

if not __package__:  # run as `python tests/dss_emulator`: import this folder as the package dss_emulator (PEP 366)
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    __package__ = "dss_emulator"  # pylint: disable=redefined-builtin

from . import python_process  # noqa: E402
from .app import create_app  # noqa: E402
from .bundle_store import CONFINE_ENV  # noqa: E402
from .http_server import KeepAliveServer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="dss_emulator", description="Local emulator of the Dataiku DSS public API")
    parser.add_argument("--node-type", choices=["design", "automation", "deployer"], default="design")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", required=True, help="where the node keeps its state (SQLite + files)")
    parser.add_argument("--api-key", action="append", dest="api_keys", default=None,
                        help="accepted API key (repeatable); default: the DSS_EMULATOR_API_KEY env var")
    parser.add_argument("--node-id", default=None)
    parser.add_argument("--tls-cert", default=None, help="serve HTTPS with this PEM certificate (needs --tls-key)")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument("--latency-scale", type=float, default=0.0,
                        help="slow operations take their typical duration times this (docs/emulator.md); 0: none")
    parser.add_argument("--pid-file", default=None,
                        help="write the node's process id here while it serves (default with --daemon: "
                             "DATA_DIR/emulator.pid); `stop --pid-file FILE` ends it")
    parser.add_argument("--daemon", action="store_true",
                        help="serve in the background: return once the port answers (exit 0), or exit non-zero "
                             "naming the log if the node does not start")
    parser.add_argument("--log-file", default=None, help="with --daemon: the node's output (default: DATA_DIR/emulator.log)")
    parser.add_argument("--start-timeout", type=float, default=60.0,
                        help="with --daemon: seconds to wait for the port to answer")
    parser.add_argument("--confine-paths", action="store_true",
                        default=os.environ.get(CONFINE_ENV, "").lower() in ("1", "true", "yes"),
                        help="read and write server-side paths (import_bundle_from_archive...) only under "
                             "DATA_DIR/fs, for shared machines (default: $%s, else any path of this host)" % CONFINE_ENV)
    return parser.parse_args(argv)


def parse_stop_args(argv):
    parser = argparse.ArgumentParser(prog="dss_emulator stop",
                                     description="Stop a node started with --pid-file (or --daemon)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pid-file", help="the --pid-file the node was started with")
    where.add_argument("--data-dir", help="the --data-dir of a node started with --daemon and no --pid-file")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for a clean exit after SIGTERM before SIGKILL")
    return parser.parse_args(argv)


def default_path(args, name):
    return os.path.join(args.data_dir, name)


# ---- --daemon: a detached copy of this command, watched until it listens --------------------------------------------
def without_daemon_options(argv):
    """``argv`` without --daemon, --log-file and --start-timeout (the detached node serves in the foreground)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--daemon":
            continue
        elif arg in ("--log-file", "--start-timeout"):
            skip = True
        elif not arg.startswith(("--log-file=", "--start-timeout=")):
            kept.append(arg)
    return kept


def own_command():
    """This command as a reader types it (-B kept: no bytecode written into an installed collection)."""
    return [sys.executable] + (["-B"] if sys.flags.dont_write_bytecode else []) + [shown_path()]


def shown_path():
    """The emulator's directory, relative to the working directory when it is below it."""
    here = os.path.dirname(os.path.abspath(__file__))
    relative = os.path.relpath(here)
    return here if relative.startswith("..") else relative


def port_answers(url):
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=1):
            return True
    except OSError:
        return False


def log_tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


def start_daemon(args, argv):
    """Start the node detached (own session, output to the log file), wait until its port answers."""
    os.makedirs(args.data_dir, exist_ok=True)
    log_file = os.path.abspath(args.log_file or default_path(args, "emulator.log"))
    pid_file = os.path.abspath(args.pid_file or default_path(args, "emulator.pid"))
    running = read_pid(pid_file)
    if running and process_alive(running):
        sys.exit("dss_emulator: a node already runs with pid file %s (pid %d); stop it first: "
                 "python %s stop --pid-file %s" % (pid_file, running, shown_path(), pid_file))
    child_argv = without_daemon_options(argv)
    if args.pid_file is None:
        child_argv += ["--pid-file", pid_file]
    with open(log_file, "wb") as log:
        child = subprocess.Popen(own_command() + child_argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, close_fds=True)
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        code = child.poll()
        if code is not None:
            sys.exit("dss_emulator: the node did not start (exit code %d); its log %s ends with:\n%s"
                     % (code, log_file, log_tail(log_file)))
        listening = re.search(r"^listening on (\S+)$", log_tail(log_file), re.M)
        if listening and read_pid(pid_file) == child.pid and port_answers(listening.group(1)):
            print("listening on %s (pid %d; log: %s; stop: python %s stop --pid-file %s)"
                  % (listening.group(1), child.pid, log_file, shown_path(), pid_file), flush=True)
            return 0
        time.sleep(0.1)
    child.kill()
    child.wait(timeout=10)
    sys.exit("dss_emulator: the node did not answer within %g s (stopped it); its log %s ends with:\n%s"
             % (args.start_timeout, log_file, log_tail(log_file)))


# ---- pid files and `stop` -------------------------------------------------------------------------------------------
def read_pid(pid_file):
    try:
        with open(pid_file, encoding="utf-8") as fh:
            return int(fh.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def write_pid_file(pid_file):
    tmp = "%s.%d.tmp" % (pid_file, os.getpid())
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("%d\n" % os.getpid())
    os.replace(tmp, pid_file)


def remove_own_pid_file(pid_file):
    if pid_file and read_pid(pid_file) == os.getpid():
        os.remove(pid_file)


def process_alive(pid):
    """Whether ``pid`` runs an emulator node. A zombie (exited, not yet reaped by its new parent) does not, nor a
    process that reused the pid of a node gone without removing its pid file (where /proc tells)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            command = fh.read()
    except (OSError, IndexError):
        return True  # no /proc: trust the pid file
    # An exiting process has released its memory, and with it its command line, before it becomes a zombie: an empty
    # one is the node still ending (its port may still be bound), not another process.
    return state not in ("Z", "X") and (b"dss_emulator" in command or command == b"")


def wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop(argv):
    args = parse_stop_args(argv)
    pid_file = args.pid_file or os.path.join(args.data_dir, "emulator.pid")
    pid = read_pid(pid_file)
    if pid is None:
        print("dss_emulator: no node to stop (no pid file %s)" % pid_file)
        return 0
    if not process_alive(pid):
        os.remove(pid_file)
        print("dss_emulator: node %d had already stopped (removed its pid file %s)" % (pid, pid_file))
        return 0
    os.kill(pid, signal.SIGTERM)
    if not wait_gone(pid, args.timeout):
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 10)
        print("dss_emulator: node %d did not stop within %g s of SIGTERM: killed it" % (pid, args.timeout))
    else:
        print("dss_emulator: stopped node %d" % pid)
    if os.path.exists(pid_file) and read_pid(pid_file) == pid:
        os.remove(pid_file)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["stop"]:
        return stop(argv[1:])
    args = parse_args(argv)
    keys = args.api_keys or [k for k in [os.environ.get("DSS_EMULATOR_API_KEY")] if k]
    if not keys:
        sys.exit("dss_emulator: give at least one --api-key (or set DSS_EMULATOR_API_KEY)")
    if args.daemon:
        return start_daemon(args, argv)
    os.makedirs(args.data_dir, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(args.data_dir, node_type=args.node_type, api_keys=keys, node_id=args.node_id)
    app.config["LATENCY_SCALE"] = max(0.0, args.latency_scale)
    app.config["NODE"].confine_paths = args.confine_paths
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    # HTTP/1.1 keep-alive like DSS: a client's requests share one connection (http_server.py says when it closes).
    server = KeepAliveServer(args.host, args.port, app, ssl_context=tls,
                             on_connection=app.config["STATS"].count_connection)

    def _stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.pid_file:
        write_pid_file(args.pid_file)
    print("listening on %s://%s:%d" % ("https" if tls else "http", args.host, server.server_port), flush=True)
    try:
        server.serve_forever(poll_interval=0.1)  # quick SIGTERM exits keep test suites fast
    finally:
        server.server_close()
        python_process.kill_all()  # no scenario or recipe code outlives the node
        app.config["STORE"].close()
        remove_own_pid_file(args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
