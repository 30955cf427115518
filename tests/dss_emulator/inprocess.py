"""The emulator without a process: a node's Flask app answers `requests` calls made in this process.

    node = InProcessNode("design")           # real state in a temp dir, same routes as the server
    client = node.client()                   # a dataikuapi.DSSClient whose session goes to the node's app
    client.create_project("P", "P", "admin")
    node.calls(), node.stats()["state_digest"], node.reset()

`InProcessAdapter` is a requests transport adapter: it turns each prepared request into a WSGI call of the app
(werkzeug's test environ), so the request goes through the same middleware, authentication, routes and error
answers as over HTTP. `routed(nodes)` goes one step further for code that builds its own client (the modules'
DssModule.make_client, with its own adapter, timeout and status reporting): while active, any requests session of
this process reaching a node's URL is answered in-process, like moto answers boto's calls. `FaultPlan` wraps a
node's adapter to lose an answer, refuse a connection or answer 503 on chosen calls.

Not emulated in-process: code that must call the node back over the network, i.e. Python recipes and scenario
steps (run as subprocesses) and a deployer updating an automation node; use a node process for those
(tests/support/emulator.py).
"""

import io
import itertools
import json
import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .app import create_app
from .node import Node

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
_numbers = itertools.count(1)


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    if hasattr(body, "read"):
        return body.read()
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)  # chunked


class Received:
    """One request as the client sent it: method, API path, query params, headers, the body and how it was framed
    (a sized body has a Content-Length; a generator body goes chunked)."""

    def __init__(self, request, body):
        self.method = request.method
        self.path = api_path(request.url)
        self.params = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
        self.headers = dict(request.headers)
        self.body = body
        self.chunked = "Content-Length" not in request.headers and bool(body)

    def json(self):
        return json.loads(self.body) if self.body else None


class InProcessAdapter(BaseAdapter):
    """A requests adapter that hands each request to a WSGI app in this process."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        # pylint: disable=too-many-arguments,too-many-positional-arguments,unused-argument
        url = urlsplit(request.url)
        body = _body_bytes(request.body)
        # The body is whole bytes by now: werkzeug frames it itself (no chunked decoding, its own length).
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("content-length", "host", "transfer-encoding")}
        environ = EnvironBuilder(path=url.path or "/", query_string=url.query, method=request.method,
                                 base_url="%s://%s" % (url.scheme, url.netloc), headers=headers,
                                 data=body).get_environ()
        app_iter, status, answer_headers = run_wsgi_app(self.app, environ)
        try:
            data = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()  # the emulator counts the bytes sent when the body is closed
        response = requests.Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.split(" ", 1)[1] if " " in status else ""
        response.headers = CaseInsensitiveDict(answer_headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(data)
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self):
        pass


def _response(request, status, data, content_type):
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": content_type, "Content-Length": str(len(data))})
    response.raw, response.url, response.request = io.BytesIO(data), request.url, request
    return response


def api_path(url):
    """The path of a call as the node's stats name it: /projects/P/variables for .../dip/publicapi/projects/P/variables/."""
    path = re.sub(r"/{2,}", "/", urlsplit(url).path)
    for prefix in ("/dip/publicapi", "/public/api"):
        if path.startswith(prefix + "/") or path == prefix:
            path = path[len(prefix):]
            break
    return path.rstrip("/") or "/"


class FaultPlan(BaseAdapter):
    """Wraps an adapter and injects faults on matching calls, in order: `plan.add("PUT", r"/variables$", "lost")`
    (patterns search the API path as calls() shows it, e.g. /projects/P/variables).

    Kinds: "lost" (the node applies the call, the answer never arrives: ConnectionError), "refused" (the call never
    reaches the node: ConnectionError), "503" (the node is not reached; a gateway answers 503). `answer` replaces
    the node's answer (e.g. a DSS error the emulator has no state for); `rewrite` changes the request on its way
    (e.g. a DSS that ignores a field)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self._faults = []  # [method, compiled path regex, kind, remaining]
        self.received = []  # Received of each request sent through the plan, oldest first (faulted ones too)

    def add(self, method, path_pattern, kind, times=1):
        if kind not in ("lost", "refused", "503") and not callable(kind):
            raise ValueError("unknown fault kind %r: use lost, refused or 503" % kind)
        self._faults.append([method.upper(), re.compile(path_pattern), kind, times])
        return self

    def answer(self, method, path_pattern, status, body, times=1):
        """Answer `status` with the JSON `body` instead of the node (which is not reached)."""
        def canned(request):
            return _response(request, status, json.dumps(body).encode("utf-8"), "application/json")
        return self.add(method, path_pattern, canned, times)

    def rewrite_answer(self, method, path_pattern, change, times=1):
        """Let `change(json_answer)` alter the node's JSON answer (e.g. a DSS version that omits a field)."""
        def rewritten(request):
            answer = self.inner.send(request)
            data = json.dumps(change(answer.json())).encode("utf-8")
            return _response(request, answer.status_code, data, "application/json")
        return self.add(method, path_pattern, rewritten, times)

    def rewrite(self, method, path_pattern, change, times=1):
        """Let `change(json_body)` alter a JSON request body before the node reads it."""
        def rewritten(request):
            request.prepare_body(data=json.dumps(change(json.loads(_body_bytes(request.body)))), files=None)
        return self.add(method, path_pattern, rewritten, times)

    def _fault_for(self, request):
        path = api_path(request.url)
        for fault in self._faults:
            if fault[3] > 0 and fault[0] == request.method and fault[1].search(path):
                fault[3] -= 1
                return fault[2]
        return None

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        body = _body_bytes(request.body)  # read once (a generator body can only be read once)
        self.received.append(Received(request, body))
        request.body = body
        kind = self._fault_for(request)
        if kind == "refused":
            raise requests.exceptions.ConnectionError("injected fault: connection refused", request=request)
        if kind == "503":
            return _response(request, 503, b"<html>503 Service Unavailable</html>", "text/html")
        if callable(kind):
            answer = kind(request)
            if answer is not None:
                return answer
        response = self.inner.send(request, **kwargs)
        if kind == "lost":
            raise requests.exceptions.ConnectionError("injected fault: answer lost", request=request)
        return response

    def close(self):
        self.inner.close()


class InProcessNode:
    """One emulated node in this process, with its state in `data_dir` (a temp dir by default)."""

    def __init__(self, node_type="design", data_dir=None, api_key=None, url=None, node_id=None, durable=False):
        """``durable``: fsync every write as a node process does (off by default: a test's temp state need not
        survive a power cut, and fsync would dominate the time)."""
        self.node_type = node_type
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dss-inprocess-%s-" % node_type)
            data_dir = self._tmp.name
        self.data_dir = data_dir
        self.api_key = api_key or "emu-%s-key-%s" % (node_type, os.urandom(12).hex())
        self.url = (url or "http://%s-%d.dss-emulator.invalid" % (node_type, next(_numbers))).rstrip("/")
        self.node = Node(data_dir, node_type=node_type, api_keys=[self.api_key], node_id=node_id, durable=durable)
        self.app = create_app(node=self.node)
        self.adapter = InProcessAdapter(self.app)
        self.faults = FaultPlan(self.adapter)

    def mount(self, session, faults=True):
        """Send this session's requests for the node's URL to the node (through the fault plan unless not
        `faults`)."""
        session.mount(self.url + "/", self.faults if faults else self.adapter)
        return session

    def client(self, faults=True):
        """A dataikuapi DSSClient for this node (the official client, unchanged; only its transport differs)."""
        import dataikuapi  # pylint: disable=import-outside-toplevel
        client = dataikuapi.DSSClient(self.url, self.api_key)
        session = client._session  # pylint: disable=protected-access
        session.trust_env = False  # no proxy or netrc lookup per request: nothing leaves the process
        self.mount(session, faults)
        return client

    def _control(self, method, path):
        session = requests.Session()
        session.trust_env = False
        answer = self.mount(session).request(method, self.url + path)
        answer.raise_for_status()
        return answer.json()

    def stats(self):
        """GET /__emulator__/stats: request counts, the state digest, the last API calls ("METHOD /path")."""
        return self._control("GET", "/__emulator__/stats")

    def calls(self):
        """Every API call the node answered since it was made (or reset, or forget_calls()): "METHOD /path"."""
        return ["%s %s" % call for call in self.app.config["STATS"].log]

    def writes(self):
        return [call for call in self.calls() if call.split(" ", 1)[0] in WRITE_METHODS]

    def received(self):
        """What clients sent (Received), including calls a fault kept from the node."""
        return list(self.faults.received)

    def forget_calls(self):
        self.app.config["STATS"].clear()
        del self.faults.received[:]

    @staticmethod
    def settle(timeout):
        """Wait up to `timeout` seconds for the scenario runs executing in this process to end (their threads)."""
        deadline = time.monotonic() + timeout
        for thread in threading.enumerate():
            if thread.name.startswith("scenario-run-"):
                thread.join(max(0.0, deadline - time.monotonic()))

    def digest(self):
        return self.node.store.digest()

    def reset(self):
        """A fresh node again (state and counters), without building a new app."""
        self._control("POST", "/__emulator__/reset")

    def close(self):
        self.node.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Router:
    """The nodes `routed` answers for, by URL origin; nodes can be added while it is active."""

    def __init__(self, nodes=()):
        self.by_origin = {}
        for node in nodes:
            self.add(node)

    def add(self, node):
        parts = urlsplit(node.url)
        self.by_origin[(parts.scheme, parts.netloc)] = node
        return node


@contextmanager
def routed(*nodes):
    """While active, every requests session of this process (whatever adapter it mounted, e.g. the modules' own)
    reaches these nodes in-process by their URL; other URLs go out as usual. Yields the Router (router.add(node))."""
    router = Router(nodes)
    by_origin = router.by_origin
    original = HTTPAdapter.send

    def send(adapter, request, *args, **kwargs):
        parts = urlsplit(request.url)
        node = by_origin.get((parts.scheme, parts.netloc))
        if node is None:
            return original(adapter, request, *args, **kwargs)
        return node.faults.send(request, **kwargs)

    HTTPAdapter.send = send
    try:
        yield router
    finally:
        HTTPAdapter.send = original
