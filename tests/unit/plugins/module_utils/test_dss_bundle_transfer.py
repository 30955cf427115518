"""Unit tests of the streamed bundle transfer helpers, including real HTTP through dataikuapi's own transport."""

import hashlib
import http.server
import io
import json
import os
import threading
import zipfile

import dataikuapi
import pytest
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import transfer


def _zip(tmp_path, members, name="b.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return str(path)


def _manifest(bundle_id="v1", key="P", exported_on="2025-01-01T00:00:00.000+0000"):
    return {"bundleId": bundle_id, "originalProjectKey": key, "exportUserInfo": {"exportedOn": exported_on}}


def _werkzeug_parse(body, content_type):
    """Parse with the parser the emulator (and many servers) use: what a server sees of our body."""
    _mimetype, options = parse_options_header(content_type)
    parser = MultiPartParser()
    _form, files = parser.parse(io.BytesIO(body), options["boundary"].encode(), len(body))
    return files


# -- multipart -------------------------------------------------------------------------------------------------

def test_sized_multipart_body_is_exact_and_parseable():
    payload = os.urandom(3 * 1024 * 1024 + 17)
    chunks = [payload[i:i + transfer.CHUNK_SIZE] for i in range(0, len(payload), transfer.CHUNK_SIZE)]
    multipart = transfer.MultipartBody(iter(chunks), 'b"1.zip', size=len(payload))
    body = multipart.body()
    data = b"".join(body)
    assert len(body) == len(data)
    assert multipart.sent == len(payload)
    files = _werkzeug_parse(data, multipart.content_type)
    assert list(files.keys()) == ["file"]
    assert files["file"].filename == "b_1.zip"
    assert files["file"].read() == payload


def test_unsized_multipart_body_is_a_generator():
    multipart = transfer.MultipartBody(iter([b"abc", b"def"]), "x.zip")
    body = multipart.body()
    assert not hasattr(body, "__len__")
    files = _werkzeug_parse(b"".join(body), multipart.content_type)
    assert files["file"].read() == b"abcdef"


def test_size_mismatch_stops_the_upload():
    multipart = transfer.MultipartBody(iter([b"abc"]), "x.zip", size=10)
    with pytest.raises(transfer.BundleArchiveError, match="3 bytes instead of the 10"):
        b"".join(multipart.body())


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):  # noqa: N802 (http.server API)
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.requests.append((self.path, dict(self.headers), body))
        answer = json.dumps({"projectKey": "P", "bundleId": "v1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def recorder():
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("sized", [True, False])
def test_upload_through_dataikuapi_transport(recorder, sized):
    payload = os.urandom(2 * 1024 * 1024 + 5)
    chunks = (payload[i:i + transfer.CHUNK_SIZE] for i in range(0, len(payload), transfer.CHUNK_SIZE))
    client = dataikuapi.DSSClient(recorder, "transfer-test-key-1234")
    response, sent = transfer.upload_multipart(client, "/projects/P/bundles/imported/actions/importFromStream",
                                               chunks, "v1.zip", len(payload) if sized else None, {"a": "b"})
    assert sent == len(payload) and response.json()["bundleId"] == "v1"
    path, headers, body = _Recorder.requests[0]
    assert path == "/dip/publicapi/projects/P/bundles/imported/actions/importFromStream?a=b"
    assert headers["Authorization"].startswith("Basic ")  # the client's session auth is kept
    if sized:
        assert headers["Content-Length"] == str(len(body)) and "Transfer-Encoding" not in headers
    else:
        assert headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in headers
    assert _werkzeug_parse(body, headers["Content-Type"])["file"].read() == payload


# -- download ------------------------------------------------------------------------------------------------------

class _Response:
    def __init__(self, data, headers):
        self._data = data
        self.headers = headers
        self.closed = False

    def iter_content(self, chunk_size):
        for i in range(0, len(self._data), chunk_size):
            yield self._data[i:i + chunk_size]

    def close(self):
        self.closed = True


def test_response_chunks_and_length():
    response = _Response(b"x" * 10, {"Content-Length": "10"})
    assert b"".join(transfer.response_chunks(response, 3)) == b"x" * 10 and response.closed
    assert transfer.response_length(response) == 10
    assert transfer.response_length(_Response(b"", {})) is None
    assert transfer.response_length(_Response(b"", {"Content-Length": "10", "Content-Encoding": "gzip"})) is None
    assert transfer.response_length(_Response(b"", {"Content-Length": "junk"})) is None


def test_download_to_file_hashes_and_replaces_atomically(tmp_path):
    dest = tmp_path / "out.zip"
    dest.write_bytes(b"old")
    digest, size = transfer.download_to_file(iter([b"new ", b"content"]), str(dest))
    assert dest.read_bytes() == b"new content" and size == 11
    assert digest == hashlib.sha256(b"new content").hexdigest() == transfer.sha256_file(str(dest))
    assert os.listdir(tmp_path) == ["out.zip"]


def test_download_failure_leaves_dest_untouched(tmp_path):
    dest = tmp_path / "out.zip"
    dest.write_bytes(b"old")

    def broken():
        yield b"partial"
        raise OSError("connection reset")

    with pytest.raises(OSError):
        transfer.download_to_file(broken(), str(dest))
    assert dest.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.zip"]


# -- archive inspection -----------------------------------------------------------------------------------------------

def test_read_manifest_ok_and_nested(tmp_path):
    path = _zip(tmp_path, {"export-manifest.json": json.dumps(_manifest()), "project_config/params.json": "{}"})
    assert transfer.manifest_bundle_id(transfer.read_manifest(path)) == "v1"
    nested = _zip(tmp_path, {"bundle/export-manifest.json": json.dumps(_manifest("v2"))}, "n.zip")
    assert transfer.manifest_bundle_id(transfer.read_manifest(nested)) == "v2"


@pytest.mark.parametrize("members, fragment", [
    (None, "does not exist"),
    (b"not a zip at all", "not a valid zip"),
    ({"other.json": "{}"}, "has no export-manifest.json"),
    ({"export-manifest.json": "{oops"}, "not valid JSON"),
    ({"export-manifest.json": "[1, 2]"}, "not a JSON object"),
])
def test_read_manifest_errors(tmp_path, members, fragment):
    path = str(tmp_path / "bad.zip")
    if isinstance(members, bytes):
        (tmp_path / "bad.zip").write_bytes(members)
    elif members is not None:
        path = _zip(tmp_path, members, "bad.zip")
    with pytest.raises(transfer.BundleArchiveError, match=fragment):
        transfer.read_manifest(path)


def test_truncated_zip_is_rejected(tmp_path):
    path = _zip(tmp_path, {"export-manifest.json": json.dumps(_manifest()), "pad": os.urandom(4096)})
    with open(path, "rb") as fh:
        data = fh.read()
    (tmp_path / "b.zip").write_bytes(data[:len(data) // 2])
    with pytest.raises(transfer.BundleArchiveError):
        transfer.read_manifest(path)


def test_manifest_bundle_id_locations():
    assert transfer.manifest_bundle_id({"bundleId": "a"}) == "a"
    assert transfer.manifest_bundle_id({"exportUserInfo": {"bundleId": "b"}}) == "b"
    assert transfer.manifest_bundle_id({"bundle": {"bundleId": "c"}}) == "c"
    assert transfer.manifest_bundle_id({"bundleId": ""}) is None


def test_same_export():
    local = _manifest()
    assert transfer.same_export(local, _manifest(), "v1")
    assert not transfer.same_export(local, _manifest(exported_on="2025-02-02T00:00:00.000+0000"), "v1")
    assert not transfer.same_export(local, _manifest(key="Q"), "v1")
    assert not transfer.same_export(local, _manifest(), "v2")
    assert not transfer.same_export(local, None, "v1")
    server = _manifest()
    del server["bundleId"]  # the server entry may omit it: its list entry names the bundle
    assert transfer.same_export(local, server, "v1")
    no_date = _manifest()
    del no_date["exportUserInfo"]
    assert not transfer.same_export(no_date, no_date, "v1")
