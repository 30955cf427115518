"""Run one emulated DSS node:

    python tests/dss_emulator --node-type design|automation|deployer --port PORT --data-dir DIR --api-key KEY

(or python -m tests.dss_emulator ... from the collection root; python -m dss_emulator ... with tests/ on the path)

(from an installed collection: python -B <collection path>/tests/dss_emulator ..., -B so that no bytecode is
written into the collection, after pip install -r <collection path>/tests/dss_emulator/requirements.txt;
see docs/emulator.md)

Prints `listening on http://127.0.0.1:PORT` once it accepts connections; stops cleanly on SIGTERM/SIGINT.
"""

import argparse
import logging
import os
import signal
import sys
import threading

if not __package__:  # run as `python tests/dss_emulator`: import this folder as the package dss_emulator (PEP 366)
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    __package__ = "dss_emulator"  # pylint: disable=redefined-builtin

from werkzeug.serving import make_server  # noqa: E402

from . import python_process  # noqa: E402
from .app import create_app  # noqa: E402


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
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    keys = args.api_keys or [k for k in [os.environ.get("DSS_EMULATOR_API_KEY")] if k]
    if not keys:
        sys.exit("dss_emulator: give at least one --api-key (or set DSS_EMULATOR_API_KEY)")
    os.makedirs(args.data_dir, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(args.data_dir, node_type=args.node_type, api_keys=keys, node_id=args.node_id)
    app.config["LATENCY_SCALE"] = max(0.0, args.latency_scale)
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=tls)

    def _stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("listening on %s://%s:%d" % ("https" if tls else "http", args.host, server.server_port), flush=True)
    try:
        server.serve_forever(poll_interval=0.1)  # quick SIGTERM exits keep test suites fast
    finally:
        server.server_close()
        python_process.kill_all()  # no scenario or recipe code outlives the node
        app.config["STORE"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
