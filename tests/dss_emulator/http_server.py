"""The HTTP server of a node process: werkzeug's threaded server, with the HTTP/1.1 keep-alive DSS has.

werkzeug's request handler answers every request with `Connection: close`: it cannot tell where a request body the
app did not read ends, so the next request line could be taken from it. A client then opens one TCP connection (and
the server one thread) per request, where DSS (Jetty behind nginx) keeps the connection and the client's requests
session reuses it. `KeepAliveHandler` keeps a connection open after an answer only when that is safe:

- the request is HTTP/1.1 and did not ask for `Connection: close`;
- its body is framed by Content-Length (or there is none): the app reads at most that many bytes, and what it left
  unread is read and dropped before the next request line (a chunked upload closes the connection instead);
- the answer is framed by Content-Length or has no body (a streamed answer of unknown length closes it);
- nothing failed: an app that raised, a client gone away or a server shutting down closes it.

Otherwise the answer says `Connection: close` and the server closes the connection after it, as before.

A connection with no request for `idle_timeout` seconds is closed, so that threads of idle clients do not pile
up. Closing is safe for the clients: before reusing a pooled connection, urllib3 checks that the server has not
closed it and opens a new one if it has. What is left is the race every HTTP/1.1 server has, a request sent at the
instant the server closes; the collection's transport retries reads on a connection error, and a write is re-read
before it is resent (DssModule.write_once). The timeout (30 s, Jetty's default idle timeout) is far longer than the
gaps between a module's requests, so the race needs a client that pauses for exactly that long.

`server_close()` (after `shutdown()`, and when a node process stops on SIGTERM) closes the idle connections at once:
a stopped node answers nothing more, and nothing waits for an idle client.
"""

import socket
import ssl
import threading

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may wait for its next request
FAILED = "emulator.answer_failed"  # environ key: the app raised while answering (the answer may be cut short)
BODILESS_STATUSES = (204, 304)


class _RequestBody:
    """The socket's input as the app sees it during one request: at most ``length`` bytes (the Content-Length), so
    neither the app nor werkzeug's drain after the answer can read into the next request; ``length`` None (a
    chunked body) passes everything through (the connection is then closed after the answer)."""

    def __init__(self, raw, length):
        self._raw = raw
        self.remaining = length

    def _take(self, reader, size):
        """``reader(n)`` of the raw input, with n capped at what is left of the body."""
        if self.remaining is None:
            return reader(size)
        allowed = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = reader(allowed) if allowed else b""
        self.remaining -= len(data)
        return data

    def read(self, size=-1):
        return self._take(self._raw.read, size)

    def readline(self, size=-1):
        return self._take(self._raw.readline, size)

    def skip_rest(self):
        """Read and drop what the app left of the body; False if the client did not send it all."""
        try:
            while self.remaining:
                if not self.read(64 * 1024):
                    return False
        except OSError:  # timed out or reset
            return False
        return self.remaining == 0


class _FailureMarked:
    """The app's answer body, marking the request FAILED if producing it raises."""

    def __init__(self, body, environ):
        self._body = body
        self._environ = environ

    def __iter__(self):
        try:
            yield from self._body
        except BaseException:
            self._environ[FAILED] = True
            raise

    def close(self):
        if hasattr(self._body, "close"):
            self._body.close()


def _marking_failures(app):
    def wsgi_app(environ, start_response):
        try:
            return _FailureMarked(app(environ, start_response), environ)
        except BaseException:
            environ[FAILED] = True
            raise
    return wsgi_app


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's handler, keeping the connection open between requests when it is safe (see the module)."""

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: werkzeug sends an answer's headers and body in separate writes; on a connection that stays open
    # Nagle's algorithm would hold the body back until the client acknowledges the headers, which a client delays
    # by up to 40 ms (a closed connection flushed it). Jetty sets it too.
    disable_nagle_algorithm = True
    _body = None  # the _RequestBody of the request being answered
    _framed = False  # the answer being sent has a Content-Length, or no body at all
    _refused = False  # the TLS handshake failed: nothing to answer

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):  # the handshake the accept loop left to this thread
            self.connection.settimeout(self.server.idle_timeout)
            try:
                self.connection.do_handshake()
            except (OSError, ValueError):  # not TLS, a certificate the client refused, a client gone
                self._refused = True

    def handle(self):
        if not self._refused:
            super().handle()

    def handle_one_request(self):
        self.server.set_idle(self.connection, True)
        self.connection.settimeout(self.server.idle_timeout)  # waiting for a request line: the idle timeout
        try:
            waiting = self.rfile.peek(1)  # the next request's first byte, or the end of input
        except (OSError, ValueError):  # idle too long (quietly: the base class would log each timeout)
            waiting = b""
        if not waiting:  # closed by the client, timed out, or woken by server_close
            self.close_connection = True
            return
        super().handle_one_request()

    def run_wsgi(self):
        self.server.set_idle(self.connection, False)
        self.connection.settimeout(None)  # a request takes the time it takes, as without keep-alive
        raw = self.rfile
        body = self._body = _RequestBody(raw, self._body_length())
        self.rfile = body  # what make_environ gives the app, and what werkzeug drains after the answer
        try:
            super().run_wsgi()
        finally:
            self.rfile = raw
            self._body = None
        if self.close_connection:
            return
        if self.environ.get(FAILED) or self.server.closing:
            self.close_connection = True
            return
        self.connection.settimeout(self.server.idle_timeout)
        if not body.skip_rest():
            self.close_connection = True

    def _body_length(self):
        """The request body's Content-Length (0 without one), None when it cannot be bounded (chunked, invalid)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return length if length >= 0 else None

    def send_response(self, code, message=None):
        self._framed = code < 200 or code in BODILESS_STATUSES or self.command == "HEAD"
        super().send_response(code, message)

    def send_header(self, keyword, value):
        name = keyword.lower()
        if name == "content-length":
            self._framed = True
        if name == "connection" and value.lower() == "close" and self._keeps_alive():
            return  # HTTP/1.1 without a Connection header: the connection stays open
        super().send_header(keyword, value)

    def _keeps_alive(self):
        """Whether the answer whose headers are going out may leave the connection open (werkzeug's run_wsgi sends
        `Connection: close` on every answer; the base class's answers to malformed requests, sent before any
        run_wsgi, keep theirs)."""
        return (self._body is not None and not self.close_connection and self.request_version == "HTTP/1.1"
                and self._body.remaining is not None and self._framed and not self.environ.get(FAILED)
                and not self.server.closing)

    def connection_dropped(self, error, environ=None):
        self.close_connection = True
        super().connection_dropped(error, environ)


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded WSGI server with KeepAliveHandler; ``on_connection()`` is called for each connection
    accepted (the node's stats count them)."""

    idle_timeout = IDLE_TIMEOUT

    def __init__(self, host, port, app, ssl_context=None, on_connection=None):
        self.closing = False
        self._on_connection = on_connection
        self._open = {}  # connection socket -> True while it waits for a request (idle)
        self._open_lock = threading.Lock()
        super().__init__(host, port, _marking_failures(app), handler=KeepAliveHandler, ssl_context=ssl_context)
        if self.ssl_context is not None:
            # werkzeug's TLS socket does the handshake of each new connection in the accept loop: a client that
            # connects and sends nothing (an idle pre-connect, a port probe) would hold up every other client and
            # the node's stop. KeepAliveHandler.setup does it in the connection's thread, within the idle timeout.
            self.socket.do_handshake_on_connect = False

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open[request] = True
        if self._on_connection:
            self._on_connection()
        super().process_request(request, client_address)

    def set_idle(self, connection, idle):
        with self._open_lock:
            if connection in self._open:
                self._open[connection] = idle
        if idle and self.closing:
            self._wake(connection)

    def shutdown_request(self, request):
        with self._open_lock:  # under the lock: server_close never shuts a socket closed (and its fd reused) here
            self._open.pop(request, None)
            super().shutdown_request(request)

    def server_close(self):
        """Stop listening and close the idle connections (their threads see the end of input and finish); a
        connection busy with a request is closed after its answer."""
        self.closing = True
        super().server_close()
        with self._open_lock:
            idle = [connection for connection, waiting in self._open.items() if waiting]
            for connection in idle:
                self._wake(connection)

    @staticmethod
    def _wake(connection):
        try:  # the plain socket's shutdown: on a TLS socket it does not touch the TLS state another thread reads
            socket.socket.shutdown(connection, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by its client
