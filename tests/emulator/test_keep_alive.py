"""HTTP/1.1 keep-alive of a node's server (tests/dss_emulator/http_server.py): the official client's session sends
its requests on one connection, as to DSS; a body the app did not read cannot be taken for the next request; the
server closes when the client asks, when a body cannot be bounded and when the node stops, even with idle
connections open."""

import json
import logging
import socket
import threading

import requests

from tests.dss_emulator.http_server import KeepAliveServer
from tests.dss_emulator.inprocess import InProcessNode
from tests.emulator.bundles_helpers import seed_design_project
from tests.support.emulator import EmulatorNode
from tests.support.tls import make_ca_and_server_cert

PROJECTS = "/dip/publicapi/projects/"


def _stats(session, node):
    """The node's stats read through ``session``: on its own pooled connection, not a new one."""
    return session.get(node.url + "/__emulator__/stats", timeout=10).json()


def _request(path, key, method="GET", headers=(), body=b"", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version), "Host: node", "Authorization: Bearer %s" % key]
    lines += ["%s: %s" % header for header in headers]
    if body and not any(name.lower() == "transfer-encoding" for name, _value in headers):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _answer(stream):
    """(status, headers with lower-case names, body) of the next Content-Length answer on a socket's file."""
    status = int(stream.readline().split()[1])
    headers = {}
    for line in iter(stream.readline, b"\r\n"):
        name, _sep, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def _closed_by_peer(sock):
    """Whether the server closed ``sock`` (end of input, or a reset), waiting up to the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _connect(node):
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=60)
    return sock, sock.makefile("rb")


def test_the_official_client_sends_its_requests_on_one_connection(design, automation, tmp_path):
    client = design.client()
    session = client._session  # pylint: disable=protected-access
    before = _stats(session, design)
    project = seed_design_project(client, "KEEP")  # a dozen calls, writes included
    project.export_bundle("v1")
    archive = tmp_path / "v1.zip"
    project.download_exported_bundle_archive_to_file("v1", str(archive))  # a streamed download (send_file)
    assert "KEEP" in client.list_project_keys()
    after = _stats(session, design)
    assert after["connections"] == before["connections"]
    assert sum(after["requests"].values()) - sum(before["requests"].values()) >= 12
    aclient = automation.client()
    asession = aclient._session  # pylint: disable=protected-access
    before = _stats(asession, automation)
    with open(archive, "rb") as upload:  # a multipart upload
        assert aclient.create_project_from_bundle_archive(upload) == {"projectKey": "KEEP", "bundleId": "v1"}
    assert [bundle["bundleId"] for bundle in aclient.get_project("KEEP").list_imported_bundles()["bundles"]] == ["v1"]
    assert _stats(asession, automation)["connections"] == before["connections"]


def test_a_body_the_app_did_not_read_is_not_taken_for_the_next_request(design):
    # A refused POST (wrong key: answered before its body is read), then two requests sent behind it at once.
    refused = _request(PROJECTS, "wrong-key", "POST", body=b'{"projectKey": "NOPE"}' + b" " * 300000)
    listed = _request(PROJECTS, design.api_key)
    sock, stream = _connect(design)
    with sock, stream:
        sock.sendall(refused + listed + listed)
        assert _answer(stream)[0] == 401
        for _listed in range(2):
            status, headers, body = _answer(stream)
            assert (status, headers.get("connection")) == (200, None)
            assert isinstance(json.loads(body), list)
    # The same through a requests session: the refused upload leaves its connection reusable.
    session = requests.Session()
    before = _stats(session, design)
    answer = session.post(design.url + PROJECTS, auth=("wrong-key", ""), data=b"x" * 300000, timeout=10)
    assert answer.status_code == 401
    assert isinstance(session.get(design.url + PROJECTS, auth=(design.api_key, ""), timeout=10).json(), list)
    assert _stats(session, design)["connections"] == before["connections"]
    assert "NOPE" not in design.client().list_project_keys()


def test_the_server_closes_when_the_client_asks_or_a_body_cannot_be_bounded(design):
    created = b'{"projectKey": "CHUNKED", "name": "c", "owner": "admin"}'
    chunked_body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(created), created)
    cases = {
        "Connection: close": _request(PROJECTS, design.api_key, headers=[("Connection", "close")]),
        "HTTP/1.0": _request(PROJECTS, design.api_key, version="HTTP/1.0"),
        "chunked upload": _request(PROJECTS, design.api_key, "POST", headers=[("Transfer-Encoding", "chunked")],
                                   body=chunked_body),
    }
    for case, request in cases.items():
        sock, stream = _connect(design)
        with sock, stream:
            sock.sendall(request)
            status, headers, _body = _answer(stream)
            assert (status, headers.get("connection"), stream.read()) == (200, "close", b""), case
    assert "CHUNKED" in design.client().list_project_keys()


def test_a_node_with_idle_connections_stops_at_once_on_sigterm(tmp_path):
    ca, cert, key = make_ca_and_server_cert(str(tmp_path))
    with EmulatorNode("design", tls=(cert, key)) as node:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would take precedence over session.verify
        session.verify = ca
        before = _stats(session, node)
        for _request in range(3):
            assert session.get(node.url + PROJECTS, auth=(node.api_key, ""), timeout=10).json() == []
        assert _stats(session, node)["connections"] == before["connections"]  # kept alive over TLS too
        idle = socket.create_connection(("127.0.0.1", node.port), timeout=60)  # connected, never sends
        process = node.proc
        node.stop()  # SIGTERM, SIGKILL after 10 s: far less than the idle timeout
        assert process.returncode == 0
        with idle:
            assert _closed_by_peer(idle)


def _served(node):
    """A KeepAliveServer for an in-process node's app, serving in a thread."""
    server = KeepAliveServer("127.0.0.1", 0, node.app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return server, thread


def test_idle_connections_are_closed_after_the_timeout_and_at_shutdown(caplog):
    caplog.set_level(logging.INFO, "werkzeug")
    with InProcessNode("design") as node:
        server, thread = _served(node)
        server.idle_timeout = 0.2
        listed = _request(PROJECTS, node.api_key)
        sock = socket.create_connection(("127.0.0.1", server.server_port), timeout=60)
        with sock, sock.makefile("rb") as stream:
            sock.sendall(listed)
            assert _answer(stream)[0] == 200
            assert stream.read() == b""  # closed after 0.2 s without a request
        server.idle_timeout = 600
        sock = socket.create_connection(("127.0.0.1", server.server_port), timeout=60)
        with sock, sock.makefile("rb") as stream:
            sock.sendall(listed)
            assert _answer(stream)[0] == 200
            server.shutdown()  # serve_forever ends with server_close(), which closes the idle connection
            thread.join(60)
            assert not thread.is_alive()
            assert stream.read() == b""  # long before the 600 s idle timeout (the socket would time out first)
    # Quietly: a node's output goes to a pipe nobody may read once it listens, and an idle timeout is no error.
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
