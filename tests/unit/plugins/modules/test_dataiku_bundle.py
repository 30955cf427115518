"""Unit tests of dataiku_bundle against an in-memory fake of the dataikuapi client (no HTTP)."""

import json
import os

import pytest

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.dss_bundle_fakes import (
    FakeNode, bundle_zip, install)

DESIGN_URL = "https://design.example.com"
AUTO_URL = "https://auto.example.com"
KEY = "unit-test-api-key-7f3c9b2e1d"
SOURCE_KEY = "unit-source-api-key-0a8d6e4f"


@pytest.fixture
def design(monkeypatch):
    node = FakeNode("DESIGN", DESIGN_URL)
    node.add_project("CHURN")
    install(monkeypatch, node)
    return node


@pytest.fixture
def nodes(monkeypatch):
    design_node = FakeNode("DESIGN", DESIGN_URL)
    design_node.add_project("CHURN")
    auto = FakeNode("AUTOMATION", AUTO_URL)
    install(monkeypatch, design_node, auto)
    return design_node, auto


def run(capsys, url, check=False, diff=True, **params):
    args = dict(url=url, api_key=KEY, project_key="CHURN")
    args.update(params)
    result = execute(dataiku_bundle.main, capsys, args, check, diff, secrets=(KEY, SOURCE_KEY))[1]
    assert "Traceback" not in json.dumps(result)
    return result


def check_then_run(capsys, node, url, **params):
    """Run in check mode (asserting no write), then for real; return both results."""
    writes = len(node.writes())
    predicted = run(capsys, url, check=True, **params)
    assert len(node.writes()) == writes, "check mode wrote: %s" % node.writes()[writes:]
    real = run(capsys, url, **params)
    assert predicted.get("failed") == real.get("failed")
    assert predicted["changed"] == real["changed"]
    assert predicted.get("diff") == real.get("diff")
    return predicted, real


def archive(tmp_path, bundle_id, key="CHURN", **kwargs):
    path = tmp_path / ("%s.zip" % bundle_id)
    path.write_bytes(bundle_zip(bundle_id, key, **kwargs))
    return str(path)


# -- input validation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["v1#x", "v1/x", "v1?x", "v 1", ""])
def test_bad_bundle_id_fails_before_any_request(capsys, design, bad):
    result = run(capsys, DESIGN_URL, bundle_id=bad, state="exported")
    assert result["failed"] and "not a valid bundle id" in result["msg"]
    assert design.calls == []


def test_option_not_for_state_fails_before_any_request(capsys, nodes):
    design_node, auto = nodes
    result = run(capsys, AUTO_URL, bundle_id="v1", state="active", dest="/tmp/x.zip")
    assert result["failed"] and "dest is only used with state=exported" in result["msg"]
    assert auto.calls == [] and design_node.calls == []


def test_source_bundle_id_must_match(capsys, nodes):
    result = run(capsys, AUTO_URL, bundle_id="v1", state="active",
                 source=dict(url=DESIGN_URL, api_key=SOURCE_KEY, bundle_id="v2"))
    assert result["failed"] and "differs from bundle_id" in result["msg"]
    assert nodes[1].calls == []


def test_export_on_automation_node_names_both_types(capsys, nodes):
    result = run(capsys, AUTO_URL, bundle_id="v1", state="exported")
    assert result["failed"]
    assert "DESIGN" in result["msg"] and "AUTOMATION" in result["msg"]
    assert nodes[1].writes() == []


def test_import_on_design_node_fails(capsys, design, tmp_path):
    result = run(capsys, DESIGN_URL, bundle_id="v1", state="imported", src=archive(tmp_path, "v1"))
    assert result["failed"] and "AUTOMATION" in result["msg"] and "DESIGN" in result["msg"]
    assert design.writes() == []


# -- design side ---------------------------------------------------------------------------------------------------

def test_export_check_mode_then_real_then_idempotent(capsys, design):
    predicted, real = check_then_run(capsys, design, DESIGN_URL, bundle_id="v1", state="exported", release_notes="first")
    assert real["changed"] and real["exported"] and real["bundle_ids"] == ["v1"]
    assert real["diff"] == {
        "before": {"bundle_ids": [], "changes": {"commit": None}},
        "after": {"bundle_ids": ["v1"], "changes": {
            "commit": "0123456789ab", "commits": ["0123456 first (alice, 1970-01-01)"],
            "note": "No earlier bundle to compare with: the commits are the history up to 0123456789ab."}}}
    assert predicted["bundle_ids"] == ["v1"]
    assert design.bundles["CHURN"][0]["exportManifest"]["exportUserInfo"]["releaseNotes"] == "first"
    writes = len(design.writes())
    again = run(capsys, DESIGN_URL, bundle_id="v1", state="exported", release_notes="other")
    assert not again["changed"] and not again["exported"]
    assert len(design.writes()) == writes


def test_export_unknown_project_fails(capsys, design):
    result = run(capsys, DESIGN_URL, bundle_id="v1", state="exported", project_key="NOPE")
    assert result["failed"] and "NOPE does not exist" in result["msg"]


def test_dest_download_sha_and_no_second_download(capsys, design, tmp_path):
    dest = str(tmp_path / "b.zip")
    predicted, real = check_then_run(capsys, design, DESIGN_URL, bundle_id="v1", state="exported", dest=dest)
    assert predicted["downloaded"] and "sha256" not in predicted
    content = design.archives[("CHURN", "v1")]
    import hashlib  # pylint: disable=import-outside-toplevel
    assert real["downloaded"] and real["sha256"] == hashlib.sha256(content).hexdigest()
    with open(dest, "rb") as fh:
        assert fh.read() == content
    downloads = [c for c in design.calls if c[1].endswith("/archive")]
    predicted, again = check_then_run(capsys, design, DESIGN_URL, bundle_id="v1", state="exported", dest=dest)
    assert not again["changed"] and not again["downloaded"] and again["sha256"] == real["sha256"]
    assert predicted["sha256"] == real["sha256"]
    assert [c for c in design.calls if c[1].endswith("/archive")] == downloads


def test_dest_with_other_export_of_same_id_is_downloaded_again(capsys, design, tmp_path):
    design.add_exported("CHURN", "v1")
    dest = tmp_path / "b.zip"
    dest.write_bytes(bundle_zip("v1", "CHURN", exported_on="1999-01-01T00:00:00.000+0000"))
    result = run(capsys, DESIGN_URL, bundle_id="v1", state="exported", dest=str(dest))
    assert result["changed"] and result["downloaded"] and not result["exported"]
    assert dest.read_bytes() == design.archives[("CHURN", "v1")]


def test_dest_not_a_zip_is_replaced_and_directory_dest(capsys, design, tmp_path):
    design.add_exported("CHURN", "v1")
    (tmp_path / "CHURN-v1.zip").write_bytes(b"not a zip")
    result = run(capsys, DESIGN_URL, bundle_id="v1", state="exported", dest=str(tmp_path))
    assert result["changed"] and result["dest"] == str(tmp_path / "CHURN-v1.zip")
    assert result["diff"]["before"]["dest_bundle_id"] is None and result["diff"]["after"]["dest_bundle_id"] == "v1"


def test_design_absent_and_keep_last(capsys, design):
    for bundle_id in ("v1", "v2", "v3", "v4"):
        design.add_exported("CHURN", bundle_id)
    predicted, real = check_then_run(capsys, design, DESIGN_URL, bundle_id="v5", state="exported", keep_last=2)
    assert real["deleted_bundle_ids"] == ["v1", "v2", "v3"] and design.ids("CHURN") == ["v4", "v5"]
    assert predicted["bundle_ids"] == real["bundle_ids"] == ["v4", "v5"]
    predicted, real = check_then_run(capsys, design, DESIGN_URL, bundle_id="v4", state="absent")
    assert real["changed"] and design.ids("CHURN") == ["v5"]
    predicted, real = check_then_run(capsys, design, DESIGN_URL, bundle_id="v4", state="absent")
    assert not real["changed"]


# -- automation side -----------------------------------------------------------------------------------------------

def test_first_deployment_from_src_creates_project_and_activates(capsys, nodes, tmp_path):
    auto = nodes[1]
    src = archive(tmp_path, "v1")
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="active", src=src)
    assert real["changed"] and real["project_created"] and real["imported"]
    assert real["previous_bundle_id"] is None and real["active_bundle_id"] == "v1"
    assert real["report"]["error"] is False
    assert real["uploaded_bytes"] == os.path.getsize(src)
    assert predicted["active_bundle_id"] == "v1" and predicted["report"] is None
    assert real["diff"]["before"] == {"project_exists": False, "active_bundle_id": None, "bundle_ids": []}
    assert real["diff"]["after"] == {"project_exists": True, "active_bundle_id": "v1", "bundle_ids": ["v1"]}
    upload = auto.uploads[0]
    assert upload["path"] == "/projectsFromBundle/"
    assert upload["params"] == {"permissionsPropagationPolicy": "NONE", "failOnMissingUsersOrGroups": True}
    assert upload["length"] == upload["body_size"]  # sized body: Content-Length, not chunked
    assert upload["parts"][0][0] == "file" and upload["parts"][0][1] == "v1.zip"
    with open(src, "rb") as fh:
        assert upload["parts"][0][2] == fh.read()
    writes = len(auto.writes())
    again = run(capsys, AUTO_URL, bundle_id="v1", state="active", src=src)
    assert not again["changed"] and again["uploaded_bytes"] == 0 and len(auto.writes()) == writes


def test_first_deployment_with_other_key_fails_before_upload(capsys, nodes, tmp_path):
    auto = nodes[1]
    result = run(capsys, AUTO_URL, bundle_id="v1", state="imported", src=archive(tmp_path, "v1", key="OTHER"))
    assert result["failed"] and "OTHER" in result["msg"] and "CHURN" in result["msg"]
    assert auto.writes() == []


@pytest.mark.parametrize("content, fragment", [
    (b"garbage", "not a valid zip"),
    (None, "does not exist"),
])
def test_bad_src_fails_in_check_mode_too(capsys, nodes, tmp_path, content, fragment):
    auto = nodes[1]
    auto.add_imported("CHURN", "v0", active=True)
    src = tmp_path / "v1.zip"
    if content is not None:
        src.write_bytes(content)
    for check in (True, False):
        result = run(capsys, AUTO_URL, check=check, bundle_id="v1", state="active", src=str(src))
        assert result["failed"] and fragment in result["msg"]
    assert auto.writes() == []


def test_src_of_another_bundle_fails(capsys, nodes, tmp_path):
    auto = nodes[1]
    auto.add_imported("CHURN", "v0", active=True)
    result = run(capsys, AUTO_URL, bundle_id="v1", state="active", src=archive(tmp_path, "v2"))
    assert result["failed"] and "is bundle v2" in result["msg"]
    assert auto.writes() == []


def test_import_only_does_not_activate(capsys, nodes, tmp_path):
    auto = nodes[1]
    auto.add_imported("CHURN", "v0", active=True)
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="imported", src=archive(tmp_path, "v1"))
    assert real["changed"] and real["active_bundle_id"] == "v0" and "report" not in real
    assert auto.uploads[0]["path"] == "/projects/CHURN/bundles/imported/actions/importFromStream"
    assert not any("/actions/activate" in c[1] for c in auto.calls)


def test_rollback_and_unknown_bundle_lists_existing(capsys, nodes):
    auto = nodes[1]
    auto.add_imported("CHURN", "v1")
    auto.add_imported("CHURN", "v2", active=True)
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="active")
    assert real["changed"] and real["previous_bundle_id"] == "v2" and real["active_bundle_id"] == "v1"
    assert auto.uploads == []
    result = run(capsys, AUTO_URL, bundle_id="v9", state="active")
    assert result["failed"] and "v1, v2" in result["msg"]


def test_activation_error_fails_with_dss_message(capsys, nodes):
    auto = nodes[1]
    auto.add_imported("CHURN", "v1", active=True)
    auto.add_imported("CHURN", "v2")
    auto.activation_result = {"success": False, "error": True, "fatal": False,
                              "messages": [{"severity": "ERROR", "isFatal": False, "code": "ERR_X",
                                            "title": "Bad", "message": "connection pg missing"}]}
    result = run(capsys, AUTO_URL, bundle_id="v2", state="active")
    assert result["failed"] and "connection pg missing" in result["msg"] and "active bundle is v1" in result["msg"]
    assert result["active_bundle_id"] == "v1" and result["report"]["error"] is True


def test_activation_api_error_fails_cleanly(capsys, nodes):
    auto = nodes[1]
    auto.add_imported("CHURN", "v1", active=True)
    auto.add_imported("CHURN", "v2")
    auto.activation_error = "com.dataiku.dip.exceptions.CodedException: Cannot activate bundle: connection(s) pg"
    result = run(capsys, AUTO_URL, bundle_id="v2", state="active")
    assert result["failed"] and "Cannot activate bundle" in result["msg"] and result["active_bundle_id"] == "v1"


def test_streamed_from_design_node_with_and_without_length(capsys, nodes):
    design_node, auto = nodes
    design_node.add_exported("CHURN", "v1")
    design_node.add_exported("CHURN", "v2")
    source = dict(url=DESIGN_URL, api_key=SOURCE_KEY)
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="active", source=source)
    assert real["project_created"] and real["active_bundle_id"] == "v1"
    assert auto.uploads[0]["length"] == auto.uploads[0]["body_size"]
    assert auto.uploads[0]["parts"][0][2] == design_node.archives[("CHURN", "v1")]
    design_node.download_headers = {}  # no Content-Length: chunked upload
    real = run(capsys, AUTO_URL, bundle_id="v2", state="active", source=source)
    assert real["changed"] and auto.uploads[1]["body_type"] == "generator" and auto.uploads[1]["length"] is None
    assert auto.uploads[1]["parts"][0][2] == design_node.archives[("CHURN", "v2")]


def test_source_bundle_not_exported_yet_is_predicted_in_check_mode_and_fails_for_real(capsys, nodes):
    """A plan exports the bundle in an earlier task that check mode did not run: predict the import; a real run
    without the export fails and lists the bundles that do exist."""
    design_node, auto = nodes
    design_node.add_exported("CHURN", "v1")
    args = dict(bundle_id="v7", state="active", source=dict(url=DESIGN_URL, api_key=SOURCE_KEY))
    plan = run(capsys, AUTO_URL, check=True, **args)
    assert not plan.get("failed") and plan["changed"] is True, plan
    real = run(capsys, AUTO_URL, **args)
    assert real["failed"] and "v7 is not exported" in real["msg"] and "v1" in real["msg"]
    assert auto.writes() == [] and design_node.writes() == []


def test_absent_on_automation(capsys, nodes):
    auto = nodes[1]
    for bundle_id in ("v1", "v2", "v3"):
        auto.add_imported("CHURN", bundle_id, active=bundle_id == "v2")
    result = run(capsys, AUTO_URL, bundle_id="v2", state="absent")
    assert result["failed"] and "active bundle" in result["msg"] and auto.writes() == []
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="absent")
    assert real["changed"] and auto.ids("CHURN") == ["v2", "v3"]
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v1", state="absent")
    assert not real["changed"]


def test_keep_last_never_deletes_active_or_new(capsys, nodes, tmp_path):
    auto = nodes[1]
    for bundle_id in ("v1", "v2", "v3"):
        auto.add_imported("CHURN", bundle_id, active=bundle_id == "v1")
    predicted, real = check_then_run(capsys, auto, AUTO_URL, bundle_id="v4", state="imported",
                                     src=archive(tmp_path, "v4"), keep_last=2)
    assert real["deleted_bundle_ids"] == ["v2", "v3"] and auto.ids("CHURN") == ["v1", "v4"]
    assert predicted["deleted_bundle_ids"] == ["v2", "v3"]


def test_keep_last_only_absent(capsys, nodes):
    auto = nodes[1]
    for bundle_id in ("v1", "v2", "v3"):
        auto.add_imported("CHURN", bundle_id, active=bundle_id == "v3")
    predicted, real = check_then_run(capsys, auto, AUTO_URL, state="absent", keep_last=1)
    assert real["deleted_bundle_ids"] == ["v1", "v2"] and real["bundle_id"] is None


def test_absent_on_missing_project_is_noop(capsys, nodes):
    result = run(capsys, AUTO_URL, bundle_id="v1", state="absent")
    assert not result["changed"] and nodes[1].writes() == []
