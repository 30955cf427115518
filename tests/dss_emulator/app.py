"""The Flask application of one emulated DSS node (the web layer over node.py's state).

Each request, and each thread that pushes an app context (scenario runs), works on the app's node: it is activated
(node.activated) for the life of the app context, so models reach it without Flask.

A small WSGI middleware maps both API prefixes (`/dip/publicapi`, what dataikuapi sends, and the documented
`/public/api`) to one set of routes, folds `//` and trailing slashes, and counts requests and bytes for
`GET /__emulator__/stats` (bytes received; response body bytes sent, per request and per route).

Emulator-only control endpoints (outside the API prefix, no API key): `GET /__emulator__/stats`,
`POST /__emulator__/reset` (back to a fresh node), `POST /__emulator__/snapshot {"dir"}` (save the node's whole
state into a directory) and `POST /__emulator__/restore {"dir", "replace"}` (load it back, into this node or another
one of its type, with the URLs and keys of other nodes rewritten by `replace`); docs/emulator.md describes them.
"""

import base64
import os
import re
import threading

from flask import Flask, appcontext_popped, appcontext_pushed, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from . import node as nodes
from . import project_git
from .errors import ILLEGAL_ARGUMENT, UNAUTHORIZED, DSSError

DSS_VERSION = "15.2.0"
API_PREFIX = "/dip/publicapi"
_PREFIXES = ("/dip/publicapi", "/public/api")


class Stats:
    """In-memory traffic counters (not part of the persistent state, so not in the state digest)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = {}
        self.bytes_received = 0
        self.connections = 0  # TCP connections accepted by the node's server (none in-process)
        # API requests received and not answered yet (those waiting out their latency included); a reset keeps it:
        # those requests still finish.
        self.in_progress = 0
        self.log = []  # (method, path) of DSS API calls, newest last, bounded
        self.responses = []  # {method, path, route, status, bytes} per answered API call, newest last, bounded
        self.routes = {}  # "METHOD route" -> {calls, bytes, max_bytes}: totals over every call, whatever the bound

    def count(self, method, path):
        with self._lock:
            self.requests[method] = self.requests.get(method, 0) + 1
            self.log.append((method, path))
            del self.log[:-2000]

    def count_connection(self):
        with self._lock:
            self.connections += 1

    def begin(self):
        with self._lock:
            self.in_progress += 1

    def end(self):
        with self._lock:
            self.in_progress -= 1

    def add_bytes(self, n):
        with self._lock:
            self.bytes_received += n

    def add_response(self, environ, status, size):
        """One answered call: the response body bytes actually sent, under its path and its route (the Flask rule,
        e.g. /projects/<projectKey>/bundles/imported, so calls on different projects add up)."""
        method, path = environ.get("REQUEST_METHOD", "GET"), environ["dss.path"]
        route = environ.get("dss.route") or path
        with self._lock:
            self.responses.append({"method": method, "path": path, "route": route, "status": status, "bytes": size})
            del self.responses[:-2000]
            totals = self.routes.setdefault("%s %s" % (method, route), {"calls": 0, "bytes": 0, "max_bytes": 0})
            totals["calls"] += 1
            totals["bytes"] += size
            totals["max_bytes"] = max(totals["max_bytes"], size)

    def clear(self):
        with self._lock:
            self.requests.clear()
            self.bytes_received = 0
            self.connections = 0
            del self.log[:], self.responses[:]
            self.routes.clear()

    def traffic(self):
        """(last 200 responses, route totals), copied under the lock (calls may be answered meanwhile)."""
        with self._lock:
            return list(self.responses[-200:]), {name: dict(totals) for name, totals in self.routes.items()}


class _CountingInput:
    """Wraps wsgi.input to count the request body bytes actually read (works for chunked uploads too)."""

    def __init__(self, raw, stats):
        self._raw = raw
        self._stats = stats

    def read(self, *args):
        data = self._raw.read(*args)
        self._stats.add_bytes(len(data))
        return data

    def readline(self, *args):
        data = self._raw.readline(*args)
        self._stats.add_bytes(len(data))
        return data

    def __iter__(self):
        return iter(self.readline, b"")


class _CountingBody:
    """Wraps a WSGI response iterable to count the body bytes sent; reports them when the server closes it."""

    def __init__(self, body, report, done):
        self._body = body
        self._report = report
        self._done = done
        self._size = 0

    def __iter__(self):
        for chunk in self._body:
            self._size += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._report(self._size)
            self._done()


class _PrefixMiddleware:
    def __init__(self, wsgi_app, stats):
        self.wsgi_app = wsgi_app
        self.stats = stats

    def __call__(self, environ, start_response):
        path = re.sub(r"/{2,}", "/", environ.get("PATH_INFO", "") or "/")
        for prefix in _PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                rest = path[len(prefix):].rstrip("/")
                path = API_PREFIX + rest
                environ["dss.api"] = True
                self.stats.count(environ.get("REQUEST_METHOD", "GET"), rest or "/")
                environ["wsgi.input"] = _CountingInput(environ["wsgi.input"], self.stats)
                environ["dss.path"] = rest or "/"
                break
        environ["PATH_INFO"] = path
        if "dss.path" not in environ:
            return self.wsgi_app(environ, start_response)
        answer = {"status": 0, "reported": False}

        def report(size):
            if not answer["reported"]:
                answer["reported"] = True
                self.stats.add_response(environ, answer["status"], size)

        def counting_start_response(status_line, headers, *exc_info):
            answer["status"] = int(status_line.split(" ", 1)[0])
            length = [value for name, value in headers if name.lower() == "content-length"]
            if length and environ.get("REQUEST_METHOD") != "HEAD":
                # Known size: counted before the body goes out, so a client that reads the stats right after the
                # answer sees it. Streamed bodies (no Content-Length) are counted when the server closes them.
                report(int(length[0]))
            return start_response(status_line, headers, *exc_info)

        self.stats.begin()
        try:
            body = self.wsgi_app(environ, counting_start_response)
        except BaseException:
            self.stats.end()
            raise
        return _CountingBody(body, report, self.stats.end)


def _presented_key():
    """The API key as DSS accepts it: Basic key:, Basic :key, or Bearer key."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    if header.startswith("Basic "):
        try:
            user, _sep, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user or password
    return None


class _LazyBuildRule(Rule):
    """A URL rule that compiles its URL builder on first use: werkzeug compiles two builders per rule (Python
    source through compile()) when the app is made, most of the start time of a node, and the emulator builds
    no URL."""

    def _compile_builder(self, append_unknown=True):
        compiled = []

        def build(rule, *args, **kwargs):
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)
        return build


def dss_error_response(exc):
    resp = jsonify(exc.body())
    resp.status_code = exc.status
    return resp


def _activate_node_per_app_context(app, node):
    """Activate `node` while an app context of `app` is pushed (requests, and threads such as scenario runs)."""
    tokens = threading.local()

    def pushed(_sender, **_kwargs):
        if not hasattr(tokens, "stack"):
            tokens.stack = []
        tokens.stack.append(nodes.enter(node))

    def popped(_sender, **_kwargs):
        nodes.leave(tokens.stack.pop())

    appcontext_pushed.connect(pushed, app, weak=False)
    appcontext_popped.connect(popped, app, weak=False)


def create_app(data_dir=None, node_type="DESIGN", api_keys=("secret",), node_id=None, node=None):
    """The WSGI app of a node: give a data dir (and the node's settings), or a node.Node built already."""
    node = node or nodes.Node(data_dir, node_type=node_type, api_keys=api_keys, node_id=node_id)
    app = Flask("dss_emulator")
    app.url_rule_class = _LazyBuildRule
    app.url_map.strict_slashes = False
    project_git.install(node.store)
    _activate_node_per_app_context(app, node)
    app.config["NODE"] = node
    # Read by route modules (marshalling only); the node is the source of truth.
    app.config["STORE"] = node.store
    app.config["NODE_TYPE"] = node.node_type
    app.config["NODE_ID"] = node.node_id
    app.config["API_KEYS"] = node.api_keys
    app.config["DATA_DIR"] = node.data_dir
    app.config["MAX_FORM_MEMORY_SIZE"] = 16 * 1024 * 1024  # file parts are spooled to disk by werkzeug
    stats = Stats()
    app.config["STATS"] = stats
    node.on_reset.append(stats.clear)
    app.wsgi_app = _PrefixMiddleware(app.wsgi_app, stats)

    @app.before_request
    def _authenticate():
        if not request.environ.get("dss.api"):
            return None
        key = _presented_key()
        if key not in current_app.config["API_KEYS"]:
            raise DSSError("Authentication failed: API key not found or invalid", UNAUTHORIZED, 401)
        g.api_key = key
        return None

    @app.after_request
    def _dss_headers(resp):
        if request.environ.get("dss.api") and request.url_rule is not None:
            request.environ["dss.route"] = request.url_rule.rule[len(API_PREFIX):] or "/"
        resp.headers["DSS-Version"] = DSS_VERSION
        resp.headers["DSS-API-Version"] = "1"
        return resp

    @app.errorhandler(DSSError)
    def _dss_error(exc):
        return dss_error_response(exc)

    @app.errorhandler(404)
    def _no_route(_exc):
        return dss_error_response(DSSError("No API endpoint for %s %s" % (request.method, request.path),
                                           "com.dataiku.dip.server.controllers.NotFoundException", 404))

    @app.errorhandler(405)
    def _bad_method(_exc):
        return dss_error_response(DSSError("Method %s not supported on %s" % (request.method, request.path),
                                           "org.springframework.web.HttpRequestMethodNotSupportedException", 405))

    @app.errorhandler(Exception)
    def _unexpected(exc):
        # Any other failure still answers a DSS-shaped JSON error, as dataikuapi and the modules expect.
        if isinstance(exc, HTTPException):
            return dss_error_response(DSSError(exc.description or exc.name,
                                               "com.dataiku.dip.exceptions.HttpException", exc.code or 500))
        current_app.logger.exception("emulator failure")
        return dss_error_response(DSSError("%s: %s" % (type(exc).__name__, exc), "java.lang.RuntimeException", 500))

    @app.get("/__emulator__/stats")
    def _stats():
        store = current_app.config["STORE"]
        responses, routes = stats.traffic()
        return jsonify({
            "requests": dict(stats.requests),
            "bytes_received": stats.bytes_received,
            "connections": stats.connections,
            "in_progress": stats.in_progress,
            "state_digest": store.digest(),
            "node_type": current_app.config["NODE_TYPE"],
            "calls": ["%s %s" % c for c in stats.log[-200:]],
            "responses": responses,
            "routes": routes,
        })

    @app.post("/__emulator__/reset")
    def _reset():
        """Back to a fresh node (node.Node.reset), for tests that reuse one node between cases."""
        node.reset()
        return jsonify({"reset": True, "state_digest": node.store.digest()})

    @app.post("/__emulator__/snapshot")
    def _snapshot():
        """Save the node's whole state into a directory (node.Node.snapshot), for tests that restore it later."""
        manifest = node.snapshot(_snapshot_dir())
        return jsonify({"snapshot": manifest, "state_digest": manifest["state_digest"]})

    @app.post("/__emulator__/restore")
    def _restore():
        """Back to the state of a snapshot (node.Node.restore), with {"replace": {old: new}} applied to it."""
        body = request.get_json(force=True, silent=True) or {}
        return jsonify({"restored": True, "state_digest": node.restore(_snapshot_dir(), body.get("replace"))})

    def _snapshot_dir():
        if node.confine_paths:
            raise nodes.SnapshotError("snapshot and restore are off on a node started with --confine-paths: they "
                                      "read and write any directory of this host")
        folder = (request.get_json(force=True, silent=True) or {}).get("dir")
        if not isinstance(folder, str) or not os.path.isabs(folder):
            raise nodes.SnapshotError("give {\"dir\": \"/absolute/path\"}, the directory of the snapshot")
        return folder

    @app.errorhandler(nodes.SnapshotError)
    def _snapshot_refused(exc):
        return dss_error_response(DSSError(str(exc), ILLEGAL_ARGUMENT, 400))

    from .routes import register_all  # pylint: disable=import-outside-toplevel
    register_all(app)
    return app
