"""The Flask application of one emulated DSS node.

A small WSGI middleware maps both API prefixes (`/dip/publicapi`, what dataikuapi sends, and the documented
`/public/api`) to one set of routes, folds `//` and trailing slashes, and counts requests and bytes for
`GET /__emulator__/stats`.
"""

import base64
import os
import re
import threading

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

import project_git
from errors import UNAUTHORIZED, DSSError
from store import Store

DSS_VERSION = "15.2.0"
API_PREFIX = "/dip/publicapi"
_PREFIXES = ("/dip/publicapi", "/public/api")


class Stats:
    """In-memory traffic counters (not part of the persistent state, so not in the state digest)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = {}
        self.bytes_received = 0
        self.log = []  # (method, path) of DSS API calls, newest last, bounded

    def count(self, method, path):
        with self._lock:
            self.requests[method] = self.requests.get(method, 0) + 1
            self.log.append((method, path))
            del self.log[:-2000]

    def add_bytes(self, n):
        with self._lock:
            self.bytes_received += n


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
                break
        environ["PATH_INFO"] = path
        return self.wsgi_app(environ, start_response)


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


def create_app(data_dir, node_type="DESIGN", api_keys=("secret",), node_id=None):
    app = Flask("dss_emulator")
    app.url_map.strict_slashes = False
    app.config["STORE"] = Store(data_dir)
    project_git.install(app.config["STORE"])
    app.config["NODE_TYPE"] = node_type.upper()
    app.config["NODE_ID"] = node_id or "emulated-%s" % node_type.lower()
    app.config["API_KEYS"] = set(api_keys)
    app.config["DATA_DIR"] = data_dir
    os.makedirs(os.path.join(data_dir, "fs"), exist_ok=True)  # the node's filesystem (bundle_store.node_file)
    app.config["MAX_FORM_MEMORY_SIZE"] = 16 * 1024 * 1024  # file parts are spooled to disk by werkzeug
    stats = Stats()
    app.config["STATS"] = stats
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
        resp.headers["DSS-Version"] = DSS_VERSION
        resp.headers["DSS-API-Version"] = "1"
        return resp

    @app.errorhandler(DSSError)
    def _dss_error(exc):
        return exc.response()

    @app.errorhandler(404)
    def _no_route(_exc):
        return DSSError("No API endpoint for %s %s" % (request.method, request.path),
                        "com.dataiku.dip.server.controllers.NotFoundException", 404).response()

    @app.errorhandler(405)
    def _bad_method(_exc):
        return DSSError("Method %s not supported on %s" % (request.method, request.path),
                        "org.springframework.web.HttpRequestMethodNotSupportedException", 405).response()

    @app.errorhandler(Exception)
    def _unexpected(exc):
        # Any other failure still answers a DSS-shaped JSON error, as dataikuapi and the modules expect.
        if isinstance(exc, HTTPException):
            return DSSError(exc.description or exc.name, "com.dataiku.dip.exceptions.HttpException",
                            exc.code or 500).response()
        current_app.logger.exception("emulator failure")
        return DSSError("%s: %s" % (type(exc).__name__, exc), "java.lang.RuntimeException", 500).response()

    @app.get("/__emulator__/stats")
    def _stats():
        store = current_app.config["STORE"]
        return jsonify({
            "requests": dict(stats.requests),
            "bytes_received": stats.bytes_received,
            "state_digest": store.digest(),
            "node_type": current_app.config["NODE_TYPE"],
            "calls": ["%s %s" % c for c in stats.log[-200:]],
        })

    from routes import register_all  # pylint: disable=import-outside-toplevel
    register_all(app)
    return app
