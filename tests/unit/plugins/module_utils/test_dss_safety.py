"""Unit tests of the safety helpers: secret masking of raw arguments, transport classification, TLS warnings,
output path checks, archive member checks and echo length."""

import os
import zipfile

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import transfer
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, shown
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.paths import output_path_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.secrets import values_to_mask
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import (
    insecure_transport_warning, is_loopback, is_transient, read_retry, redact_userinfo, userinfo_secrets)

KEY = "k3y-0123456789abcdef"
SPEC = {
    "url": {"type": "str"}, "api_key": {"type": "str", "no_log": True},
    "source": source_argument_spec(),
    "variables": {"type": "dict", "options": {"standard": {"type": "dict"}, "local": {"type": "dict"}}},
    "permissions": {"type": "list", "elements": "dict", "options": {"group": {"type": "str"}}},
    "connections": {"type": "dict"}, "project_key": {"type": "str"},
}


# -- secrets ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"apikey": KEY},
    {"source": {"url": "https://d", "apikey": KEY}},
    {"source": ["https://d", KEY]},
    {"source": "https://d %s" % KEY},
    {"variables": "token=%s" % KEY},
    {"variables": [KEY]},
    {"permissions": [KEY]},
    {"permissions": KEY},
    {"connections": {"x": {"password": KEY}}},
    {"url": "https://%s:@dss:11200" % KEY},
    {"source": {"url": "https://user:%s@dss" % KEY, "api_key": "other-long-key"}},
    {"project_key": "P", "typo_option": {"nested": [KEY]}},
])
def test_key_in_misspelt_mistyped_or_userinfo_places_is_masked(params):
    assert KEY in values_to_mask(params, SPEC)


def test_well_formed_arguments_mask_only_secrets():
    params = {"url": "https://dss:11200", "project_key": "CHURN", "api_key": KEY,
              "source": {"url": "https://d", "api_key": KEY, "project_key": "CHURN"},
              "variables": {"standard": {"threshold": "thirty-days"}}, "permissions": [{"group": "data-team"}],
              "_ansible_check_mode": "anything-long-here"}
    assert values_to_mask(params, SPEC) == {KEY}


def test_short_values_are_not_masked():
    assert values_to_mask({"apikey": "abc"}, SPEC) == set()


# -- transport ----------------------------------------------------------------------------------------------------

def test_read_retry_policy_retries_reads_only():
    retry = read_retry(3)
    assert retry.total == 3 and retry.status_forcelist == (502, 503, 504)
    assert retry.is_retry("GET", 503) and not retry.is_retry("POST", 503) and not retry.is_retry("GET", 500)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_never_retried_by_the_transport_once_sent(method):
    """A write whose connection broke after it was sent (reset, lost answer, read timeout) may have reached DSS:
    urllib3 must raise (write_once decides); a connection that could not be opened never carried it: retried."""
    retry = read_retry(3)
    for error in (ProtocolError("Connection reset by peer"), ReadTimeoutError(None, "/", "read timed out")):
        with pytest.raises(type(error)):
            retry.increment(method=method, url="/", error=error)
    assert retry.increment(method=method, url="/", error=NewConnectionError(None, "refused")).total == 2


def test_reads_are_retried_after_resets_and_timeouts_with_small_backoff():
    retry = read_retry(3)
    waits = []
    for error in (ProtocolError("reset"), ReadTimeoutError(None, "/", "slow"), ProtocolError("reset")):
        retry = retry.increment(method="GET", url="/", error=error)
        waits.append(retry.get_backoff_time())
    assert waits == [0, 0.5, 1.0]  # at most 1.5 s of waiting for one read
    with pytest.raises(MaxRetryError):
        retry.increment(method="GET", url="/", error=ProtocolError("reset"))


def test_transient_failures():
    assert is_transient(requests.exceptions.ConnectionError("reset"), None)
    assert is_transient(requests.exceptions.ReadTimeout("slow"), None)
    assert not is_transient(requests.exceptions.SSLError("bad cert"), None)
    assert is_transient(RuntimeError("Unknown error: 503"), 503)  # a DataikuException after a 503 answer
    assert not is_transient(RuntimeError("Unknown error: bad request"), 400)


@pytest.mark.parametrize("host, loopback", [("localhost", True), ("127.0.0.1", True), ("127.8.0.1", True),
                                            ("[::1]", True), ("dss.example.com", False), ("10.0.0.5", False),
                                            ("", False)])
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_insecure_transport_warnings():
    assert "not verified" in insecure_transport_warning("https://dss:11200", False)
    assert insecure_transport_warning("https://dss:11200", True) is None
    assert "unencrypted" in insecure_transport_warning("http://dss.example.com:11200", True, "source.url")
    assert insecure_transport_warning("http://127.0.0.1:11200", True) is None
    assert KEY not in insecure_transport_warning("http://%s:@dss:1" % KEY, True)


def test_userinfo():
    url = "https://%s:pw-secret@dss:11200/x" % KEY
    assert userinfo_secrets(url) == [KEY, "pw-secret"]
    assert redact_userinfo(url) == "https://********@dss:11200/x"
    assert redact_userinfo("https://dss:11200") == "https://dss:11200"


# -- echo, paths, archives ------------------------------------------------------------------------------------------

def test_long_ids_are_cut_in_messages():
    long_id = "a" * 100000
    assert len(shown(long_id)) < 130 and "(100000 characters)" in shown(long_id)
    assert shown("v1") == "'v1'"
    assert len(bundle_id_error(long_id + "#")) < 400


def test_output_paths(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert output_path_error(str(tmp_path / "r.xml"), "junit_xml") is None
    assert output_path_error(str(tmp_path / "new" / "r.xml"), "junit_xml", create_dirs=True) is None
    assert "does not exist" in output_path_error(str(tmp_path / "new" / "r.xml"), "dest")
    assert "is not a directory" in output_path_error(str(blocker / "sub" / "r.xml"), "junit_xml", create_dirs=True)
    assert "is a directory" in output_path_error(str(tmp_path), "junit_xml")
    assert output_path_error(str(tmp_path), "dest", allow_dir=True) is None
    assert output_path_error(None, "dest") is None


@pytest.mark.parametrize("name, unsafe", [("../x", True), ("a/../../x", True), ("/etc/passwd", True),
                                          ("C:evil", True), ("\\\\server\\x", True), ("a\\..\\x", True),
                                          ("project/params.json", False), ("..a/b", False), ("a..b", False)])
def test_unsafe_member_names(name, unsafe):
    assert transfer.unsafe_member_name(name) is unsafe


def _bundle(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export-manifest.json", '{"originalProjectKey": "P"}')
        for name, data in members:
            archive.writestr(name, data)
    return str(path)


def test_archive_with_traversal_member_is_refused(tmp_path):
    path = _bundle(tmp_path / "b.zip", [("../../etc/cron.d/x", b"* * * * * root true")])
    with pytest.raises(transfer.BundleArchiveError, match=r"unsafe name, '../../etc/cron.d/x'"):
        transfer.read_manifest(path)


def test_zip_bomb_member_is_refused_from_the_central_directory(tmp_path):
    path = tmp_path / "bomb.zip"
    _bundle(path, [])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as out:
            out.writelines([bytes(1024 * 1024)] * 64)
    assert os.path.getsize(path) < 1024 * 1024
    with pytest.raises(transfer.BundleArchiveError, match="inflates from .* to 67108864 bytes"):
        transfer.read_manifest(str(path))


def test_compressible_but_plausible_archive_is_accepted(tmp_path):
    path = _bundle(tmp_path / "ok.zip", [("data.csv", b"id,value\n" + b"1,abc\n" * 200000)])
    assert transfer.read_manifest(path) == {"originalProjectKey": "P"}
