"""A fault-injecting HTTP proxy process, to put in front of an emulator node.

    python tests/support/fault_proxy.py --target http://127.0.0.1:PORT [--rate 0.03] [--seed 1] [--nth 1,5]
                                        [--kinds 503,reset,lost]

prints ``listening on http://127.0.0.1:<port>`` and forwards every request to the target, except the faulted ones:

- ``503``: answers 503 Service Unavailable without forwarding (a load balancer with no backend);
- ``reset``: resets the connection (TCP RST) without forwarding: the request never reached DSS;
- ``lost``: forwards the request, then resets the connection instead of answering: DSS did the work but the client
  never hears of it (the case that makes blind write retries dangerous).

Which requests fail is deterministic: request number N (1-based, in arrival order, counting only requests whose
"METHOD PATH" matches ``--match`` when given) is faulted when N is in ``--nth`` or when the seeded random draw for
N is below ``--rate``; the kind is drawn from ``--kinds`` by the same generator. ``/__emulator__/*`` (the test
harness's own inspection) is never faulted nor counted.
``GET /__fault_proxy__/stats`` returns
``{"requests": n, "matched": n, "faults": {kind: n}, "faulted": [[n, method, path, kind]]}``;
``POST /__fault_proxy__/config`` with ``{"rate": .., "nth": [..], "kinds": [..], "match": ..}`` changes the plan while running.

``FaultProxy`` starts and stops the process from Python (``with FaultProxy(node.url, rate=0.03) as proxy``).
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("503", "reset", "lost")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
               "content-length"}
CONTROL = "/__fault_proxy__/"
NEVER_FAULTED = ("/__emulator__/",)


class FaultPlan:
    """Which request numbers fail and how; thread-safe, deterministic for a given seed and arrival order."""

    def __init__(self, rate=0.0, seed=0, nth=(), kinds=KINDS, match=None):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.match = None
        self.configure(rate, nth, kinds, match)
        self.requests = 0
        self.matched = 0
        self.faults = {kind: 0 for kind in KINDS}
        self.faulted = []

    def configure(self, rate=None, nth=None, kinds=None, match=None):
        if rate is not None:
            self.rate = float(rate)
        if nth is not None:
            self.nth = set(int(n) for n in nth)
        if kinds is not None:
            unknown = set(kinds) - set(KINDS)
            if unknown or not kinds:
                raise ValueError("fault kinds must be among %s, got %s" % (", ".join(KINDS), kinds))
            self.kinds = list(kinds)
        if match is not None:
            self.match = re.compile(match) if match else None

    def next(self, method, path):
        """The fault kind for this request, or None."""
        with self.lock:
            self.requests += 1
            if self.match and not self.match.search("%s %s" % (method, path)):
                return None
            self.matched += 1
            number = self.matched
            draw, pick = self.rng.random(), self.rng.randrange(len(self.kinds))
            if number not in self.nth and draw >= self.rate:
                return None
            kind = self.kinds[pick]
            self.faults[kind] += 1
            self.faulted.append([number, method, path, kind])
            return kind

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "matched": self.matched, "faults": dict(self.faults), "faulted": list(self.faulted)}


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-proxy"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self):
        """Close the client connection with a TCP RST (SO_LINGER 0), as a crashed peer or middlebox would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # the socket is only closed (and the RST sent) once its file objects are
        self.connection.close()

    def _forward(self, body):
        target = self.server.target
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS | {"host"}}
            headers["Host"] = target.netloc
            if body is not None:
                headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            return response.status, data, [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_HEADERS]
        finally:
            upstream.close()

    def _control(self, body):
        plan = self.server.plan
        if self.command == "POST" and self.path == CONTROL + "config":
            try:
                plan.configure(**json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return self._reply(400, json.dumps({"error": str(exc)}).encode())
        return self._reply(200, json.dumps(plan.stats()).encode(), [("Content-Type", "application/json")])

    def _handle(self):
        body = self._body()
        if self.path.startswith(CONTROL):
            return self._control(body)
        kind = None if self.path.startswith(NEVER_FAULTED) else self.server.plan.next(self.command, self.path)
        if kind == "503":
            return self._reply(503, b"<html><body>503 Service Unavailable (injected)</body></html>",
                               [("Content-Type", "text/html")])
        if kind == "reset":
            return self._reset()
        try:
            status, data, headers = self._forward(body)
        except OSError as exc:
            return self._reply(502, ("bad gateway: %s" % exc).encode(), [("Content-Type", "text/plain")])
        if kind == "lost":
            return self._reset()
        return self._reply(status, data, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset on purpose


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, target, plan):
        super().__init__(address, ProxyHandler)
        self.target = urlsplit(target)
        self.plan = plan

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):  # resets and clients gone away are expected
            super().handle_error(request, client_address)


class FaultProxy:
    """The proxy as a child process: ``FaultProxy(target_url, rate=.., seed=.., nth=.., kinds=..).start()``."""

    def __init__(self, target, rate=0.0, seed=0, nth=(), kinds=KINDS, match=None):
        self.target = target
        self.args = ["--rate", str(rate), "--seed", str(seed), "--kinds", ",".join(kinds)]
        if match:
            self.args += ["--match", match]
        if nth:
            self.args += ["--nth", ",".join(str(n) for n in nth)]
        self.proc = None
        self.url = None

    def start(self, timeout=20):
        cmd = [sys.executable, os.path.abspath(__file__), "--target", self.target] + self.args
        # This file is also run as a script (the proxy itself), where the tests package is not importable.
        from tests.support import processes  # pylint: disable=import-outside-toplevel
        self.proc = processes.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("fault proxy did not start: %s" % line)

    def stop(self):
        if self.proc:
            from tests.support import processes  # pylint: disable=import-outside-toplevel
            processes.stop(self.proc)
            self.proc.stdout.close()
            self.proc = None

    def _call(self, path, data=None):
        request = urllib.request.Request(self.url + CONTROL + path, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stats(self):
        return self._call("stats")

    def configure(self, **plan):
        """Change the plan of the running proxy (``rate``, ``nth``, ``kinds``); returns the stats."""
        return self._call("config", json.dumps(plan).encode())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--target", required=True, help="base URL of the node behind the proxy (http://host:port)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0, help="probability that a request is faulted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nth", default="", help="comma-separated request numbers (1-based) that are faulted")
    parser.add_argument("--match", default=None,
                        help="regular expression on 'METHOD PATH': only matching requests are counted and faulted")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated fault kinds among %s" % ", ".join(KINDS))
    args = parser.parse_args(argv)
    plan = FaultPlan(args.rate, args.seed, [n for n in args.nth.split(",") if n], args.kinds.split(","), args.match)
    server = ProxyServer(("127.0.0.1", args.port), args.target, plan)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
