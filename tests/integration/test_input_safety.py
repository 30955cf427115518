"""Bad input refused before any write, and TLS warnings, through real ansible-playbook against emulator processes.

Each refusal is checked on the node afterwards: no write request received, state digest unchanged.
"""

# pylint: disable=redefined-outer-name
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.emulator import EmulatorNode
from tests.support.real_node import require_emulator
from tests.support.tls import make_ca_and_server_cert

KEY = "CHURN"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
PROJECT = "dataiku_gitops.dss.dataiku_project"
PROJECT_INFO = "dataiku_gitops.dss.dataiku_project_info"
SCENARIO_RUN = "dataiku_gitops.dss.dataiku_scenario_run"


def _conn(node):
    return {"url": node.url, "api_key": node.api_key}


def _failed_before_any_write(result, node, task="t"):
    record = result.task(task)
    assert record["status"] in ("failed", "ignored"), result
    msg = record["result"]["msg"]
    assert "Traceback" not in msg and "\n" not in msg and node.api_key not in result.output
    return msg


@pytest.fixture
def exported(design_node, tmp_path):
    """A real bundle archive of CHURN exported on the design node."""
    require_emulator(design_node)
    project = design_node.client().create_project(KEY, "Churn", "admin")
    project.create_dataset("customers", "Filesystem", params={"connection": "filesystem_managed", "path": "c"})
    project.export_bundle("v1")
    path = tmp_path / "v1.zip"
    project.download_exported_bundle_archive_to_file("v1", str(path))
    return path


def _with_member(src, dest, name, chunks):
    with zipfile.ZipFile(src) as original, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            out.writestr(info, original.read(info))
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
    return str(dest)


UNSAFE_MEMBERS = [
    ("../../etc/cron.d/evil", [b"* * * * * root true"], "has a member with an unsafe name, '../../etc/cron.d/evil'"),
    ("/etc/passwd", [b"x"], "has a member with an unsafe name, '/etc/passwd'"),
    ("padding/zeros.bin", [bytes(1024 * 1024)] * 256, "that looks like a zip bomb"),  # 256 MiB of zeros in 256 KiB
]


def test_unsafe_archives_are_refused_before_upload(exported, automation_node, playbook, tmp_path):
    # one ansible-playbook run, a task per archive (ignore_errors: each one is tried)
    require_emulator(automation_node)
    sources = [_with_member(exported, tmp_path / ("bad%d.zip" % i), member, chunks)
               for i, (member, chunks, _expected) in enumerate(UNSAFE_MEMBERS)]
    digest = automation_node.digest()
    result = playbook(tasks=[{"name": "t%d" % i, "ignore_errors": True, BUNDLE: dict(
        _conn(automation_node), project_key=KEY, bundle_id="v1", state="active", src=src)}
        for i, src in enumerate(sources)])
    for i, (src, (_member, _chunks, expected)) in enumerate(zip(sources, UNSAFE_MEMBERS)):
        msg = _failed_before_any_write(result, automation_node, "t%d" % i)
        assert msg.startswith("src: %s " % src) and expected in msg, msg
    assert automation_node.writes() == 0 and automation_node.digest() == digest


class _EmptyJson(BaseHTTPRequestHandler):
    """Answers ``{}`` to everything, like a misconfigured gateway; counts the requests by method."""
    counts = {}

    def _answer(self):
        _EmptyJson.counts[self.command] = _EmptyJson.counts.get(self.command, 0) + 1
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def empty_json_server():
    _EmptyJson.counts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyJson)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


EMPTY_JSON_CASES = [(PROJECT, {"project_key": KEY, "description": "d"}), (PROJECT_INFO, {}),
                    (SCENARIO_RUN, {"project_key": KEY}),
                    (BUNDLE, {"project_key": KEY, "bundle_id": "v1", "state": "active"})]


def test_a_server_answering_empty_json_is_not_taken_for_dss(empty_json_server, playbook):
    # one ansible-playbook run, a task per module (ignore_errors: each one is tried)
    result = playbook(tasks=[{"name": "t%d" % i, "ignore_errors": True, module: dict(
        url=empty_json_server, api_key="not-a-dss-key-123456", **args)} for i, (module, args) in enumerate(EMPTY_JSON_CASES)])
    for i, (module, _args) in enumerate(EMPTY_JSON_CASES):
        msg = result.task("t%d" % i)["result"]["msg"]
        assert msg.startswith("%s does not look like a DSS node: GET /instance-info answered without a nodeType "
                              "(got [])" % empty_json_server), (module, msg)
    # one read per module (each message above needed one), nothing written
    assert _EmptyJson.counts == {"GET": len(EMPTY_JSON_CASES)}


def test_a_long_id_is_echoed_cut(automation_node, playbook):
    require_emulator(automation_node)
    result = playbook(tasks=[{"name": "t", "ignore_errors": True, BUNDLE: dict(
        _conn(automation_node), project_key=KEY, bundle_id="v" * 100000 + "#", state="active")}])
    msg = _failed_before_any_write(result, automation_node)
    assert "(100001 characters)" in msg and len(msg) < 500, msg
    assert automation_node.stats()["requests"] == {}


def test_unwritable_output_paths_are_refused_before_any_request(design_node, automation_node, playbook, tmp_path):
    require_emulator(automation_node)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = playbook(tasks=[
        {"name": "t", "ignore_errors": True, SCENARIO_RUN: dict(_conn(automation_node), project_key=KEY,
                                                                junit_xml=str(blocker / "reports" / "smoke.xml"))},
        {"name": "export", "ignore_errors": True, BUNDLE: dict(_conn(design_node), project_key=KEY, bundle_id="v1",
                                                               state="exported", dest=str(tmp_path / "no" / "v1.zip"))},
    ])
    msg = _failed_before_any_write(result, automation_node)
    assert msg == "junit_xml %s: %s is not a directory." % (blocker / "reports" / "smoke.xml", blocker)
    export = result.task("export")["result"]["msg"]
    assert export == "dest %s: directory %s does not exist." % (tmp_path / "no" / "v1.zip", tmp_path / "no")
    assert automation_node.stats()["requests"] == {} and design_node.stats()["requests"] == {}


@pytest.fixture
def tls_pair(tmp_path):
    """A design and an automation node serving HTTPS with certificates of one private CA."""
    ca, cert, key = make_ca_and_server_cert(str(tmp_path))
    nodes = [EmulatorNode(kind, tls=(cert, key)) for kind in ("design", "automation")]
    for node in nodes:
        node.start()
        node.ca = ca
    yield nodes
    for node in nodes:
        node.close()


def _by_var(node, var):
    """Connection options with the key as a variable: ansible-core shows task source lines next to warnings."""
    return {"url": node.url, "api_key": "{{ %s }}" % var}


def test_tls_warnings_missing_ca_path_and_source_verified_with_its_own_settings(tls_pair, playbook, tmp_path):
    design, automation = tls_pair
    keys = {"design_key": design.api_key, "automation_key": automation.api_key}
    result = playbook(extra_vars=keys, tasks=[
        {"name": "unverified", PROJECT_INFO: dict(_by_var(automation, "automation_key"), validate_certs=False)},
        {"name": "plain http far away", "ignore_errors": True, PROJECT_INFO: dict(
            url="http://dss.example.invalid:11200", api_key="{{ automation_key }}", retries=0)},
        {"name": "missing ca", "ignore_errors": True, PROJECT_INFO: dict(_by_var(automation, "automation_key"),
                                                                         ca_path=str(tmp_path / "nope.pem"))},
        {"name": "missing source ca", "ignore_errors": True, BUNDLE: dict(
            _by_var(automation, "automation_key"), ca_path=automation.ca, project_key=KEY, bundle_id="v1", state="imported",
            source=dict(_by_var(design, "design_key"), ca_path=str(tmp_path / "nope.pem")))},
        {"name": "source without its own ca", "ignore_errors": True, BUNDLE: dict(
            _by_var(automation, "automation_key"), ca_path=automation.ca, project_key=KEY, bundle_id="v1", state="imported",
            source=_by_var(design, "design_key"))},
    ])
    assert result.task("unverified")["status"] == "ok"
    output = " ".join(result.output.split())  # warnings are wrapped to the terminal width
    assert "url %s: TLS certificates are not verified (validate_certs=false)" % automation.url in output
    assert "url http://dss.example.invalid:11200: plain http:// to a host that is not this machine" in output
    assert result.task("missing ca")["result"]["msg"] == ("ca_path %s does not exist or is not a readable file."
                                                          % (tmp_path / "nope.pem"))
    assert result.task("missing source ca")["result"]["msg"] == ("source.ca_path %s does not exist or is not a "
                                                                 "readable file." % (tmp_path / "nope.pem"))
    # The task's ca_path trusts the automation node only: the design node is verified with source's own settings.
    own = result.task("source without its own ca")["result"]["msg"]
    assert own.startswith("TLS verification failed for %s while trying to read the instance info" % design.url), own
    assert automation.writes() == 0 and design.writes() == 0
    assert automation.api_key not in result.output and design.api_key not in result.output
