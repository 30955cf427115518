"""Unit tests of dataiku_bundle against emulated design and automation nodes in-process: archives made by a real
export, uploads read as the node received them, faults injected in transit."""

# pylint: disable=redefined-outer-name,unused-import
import hashlib
import json
import os
import re

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    archive_of, deploy, design_project, emulated, export, run_module)

DESIGN_URL = "https://design.example.com"
AUTO_URL = "https://auto.example.com"
BUILDER_URL = "https://builder.example.com"  # another design node: where src archives come from


@pytest.fixture
def design(emulated):
    node = emulated("design", DESIGN_URL)
    design_project(node, "CHURN")
    node.forget_calls()
    return node


@pytest.fixture
def auto(emulated):
    return emulated("automation", AUTO_URL)


@pytest.fixture
def builder(emulated):
    return emulated("design", BUILDER_URL)


@pytest.fixture
def nodes(design, auto):
    return design, auto


def run(capsys, node, check=False, diff=True, secrets=(), **params):
    params.setdefault("project_key", "CHURN")
    result = run_module(dataiku_bundle.main, capsys, node, check_mode=check, diff=diff, secrets=secrets, **params)[1]
    assert "Traceback" not in json.dumps(result)
    return result


def check_then_run(capsys, node, **params):
    """Run in check mode (asserting no write), then for real; return both results."""
    node.forget_calls()
    digest = node.digest()
    predicted = run(capsys, node, check=True, **params)
    assert node.writes() == [] and node.digest() == digest, "check mode wrote: %s" % node.writes()
    real = run(capsys, node, **params)
    assert predicted.get("failed") == real.get("failed")
    assert predicted["changed"] == real["changed"]
    assert predicted.get("diff") == real.get("diff")
    return predicted, real


def archive(tmp_path, builder, bundle_id, key="CHURN"):
    """A bundle archive file exported by the builder node."""
    path = tmp_path / ("%s.zip" % bundle_id)
    path.write_bytes(export(builder, bundle_id, key))
    return str(path)


def bundle_ids(node, key="CHURN"):
    project = node.client(faults=False).get_project(key)
    listed = project.list_exported_bundles() if node.node_type == "design" else project.list_imported_bundles()
    return [b["bundleId"] for b in listed["bundles"]]


def active(node, key="CHURN"):
    summary = node.client(faults=False).get_project(key).get_summary()
    return (summary.get("activeBundleState") or {}).get("bundleId")


def uploads(node):
    return [r for r in node.received() if r.method == "POST" and "rom" in r.path]  # fromBundle, importFromStream


def parts(upload):
    """(field name, filename, content) of each part of a multipart upload, parsed strictly."""
    delimiter = b"--" + upload.headers["Content-Type"].split("boundary=", 1)[1].encode()
    body = upload.body
    assert body.startswith(delimiter + b"\r\n") and body.endswith(b"\r\n" + delimiter + b"--\r\n")
    found = []
    for part in body[len(delimiter) + 2:-(len(delimiter) + 6)].split(b"\r\n" + delimiter + b"\r\n"):
        head, content = part.split(b"\r\n\r\n", 1)
        disposition = head.decode("utf-8")
        filename = re.search(r'filename="([^"]*)"', disposition)
        found.append((re.search(r'name="([^"]*)"', disposition).group(1), filename and filename.group(1), content))
    return found


# -- input validation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["v1#x", "v1/x", "v1?x", "v 1", ""])
def test_bad_bundle_id_fails_before_any_request(capsys, design, bad):
    result = run(capsys, design, bundle_id=bad, state="exported")
    assert result["failed"] and "not a valid bundle id" in result["msg"]
    assert design.calls() == []


def test_option_not_for_state_fails_before_any_request(capsys, nodes):
    design_node, auto = nodes
    result = run(capsys, auto, bundle_id="v1", state="active", dest="/tmp/x.zip")
    assert result["failed"] and "dest is only used with state=exported" in result["msg"]
    assert auto.calls() == [] and design_node.calls() == []


def test_source_bundle_id_must_match(capsys, nodes):
    design_node, auto = nodes
    result = run(capsys, auto, bundle_id="v1", state="active", secrets=(design_node.api_key,),
                 source=dict(url=DESIGN_URL, api_key=design_node.api_key, bundle_id="v2"))
    assert result["failed"] and "differs from bundle_id" in result["msg"]
    assert auto.calls() == [] and design_node.calls() == []


def test_export_on_automation_node_names_both_types(capsys, nodes):
    auto = nodes[1]
    result = run(capsys, auto, bundle_id="v1", state="exported")
    assert result["failed"]
    assert "DESIGN" in result["msg"] and "AUTOMATION" in result["msg"]
    assert auto.writes() == []


def test_import_on_design_node_fails(capsys, design, builder, tmp_path):
    result = run(capsys, design, bundle_id="v1", state="imported", src=archive(tmp_path, builder, "v1"))
    assert result["failed"] and "AUTOMATION" in result["msg"] and "DESIGN" in result["msg"]
    assert design.writes() == []


# -- design side ---------------------------------------------------------------------------------------------------

def test_export_check_mode_then_real_then_idempotent(capsys, design):
    head = design.client().get_project("CHURN").get_project_git().log(count=1)["entries"][0]
    predicted, real = check_then_run(capsys, design, bundle_id="v1", state="exported", release_notes="first")
    assert real["changed"] and real["exported"] and real["bundle_ids"] == ["v1"]
    commit = real["diff"]["after"]["changes"]["commit"]
    assert commit == head["commit"][:12]
    assert real["diff"] == {
        "before": {"bundle_ids": [], "changes": {"commit": None}},
        "after": {"bundle_ids": ["v1"], "changes": {
            "commit": commit, "commits": real["diff"]["after"]["changes"]["commits"],
            "note": "No earlier bundle to compare with: the commits are the history up to %s." % commit}}}
    assert real["diff"]["after"]["changes"]["commits"][0].startswith("%s %s (" % (head["commit"][:7],
                                                                                  head["message"].splitlines()[0]))
    assert predicted["bundle_ids"] == ["v1"]
    exported = design.client().get_project("CHURN").list_exported_bundles()["bundles"]
    assert exported[0]["exportManifest"]["exportUserInfo"]["releaseNotes"] == "first"
    design.forget_calls()
    again = run(capsys, design, bundle_id="v1", state="exported", release_notes="other")
    assert not again["changed"] and not again["exported"]
    assert design.writes() == []


def test_export_unknown_project_fails(capsys, design):
    result = run(capsys, design, bundle_id="v1", state="exported", project_key="NOPE")
    assert result["failed"] and "NOPE does not exist" in result["msg"]


def test_dest_download_sha_and_no_second_download(capsys, design, tmp_path):
    dest = str(tmp_path / "b.zip")
    predicted, real = check_then_run(capsys, design, bundle_id="v1", state="exported", dest=dest)
    assert predicted["downloaded"] and "sha256" not in predicted
    content = archive_of(design, "v1")
    assert real["downloaded"] and real["sha256"] == hashlib.sha256(content).hexdigest()
    with open(dest, "rb") as fh:
        assert fh.read() == content
    design.forget_calls()
    predicted, again = check_then_run(capsys, design, bundle_id="v1", state="exported", dest=dest)
    assert not again["changed"] and not again["downloaded"] and again["sha256"] == real["sha256"]
    assert predicted["sha256"] == real["sha256"]
    assert [c for c in design.calls() if c.endswith("/archive")] == []


def test_dest_with_other_export_of_same_id_is_downloaded_again(capsys, design, tmp_path):
    older = export(design, "v1")  # an earlier export of the same id, since deleted and exported again
    design.client().get_project("CHURN").delete_exported_bundle("v1")
    export(design, "v1")
    dest = tmp_path / "b.zip"
    dest.write_bytes(older)
    result = run(capsys, design, bundle_id="v1", state="exported", dest=str(dest))
    assert result["changed"] and result["downloaded"] and not result["exported"]
    assert dest.read_bytes() == archive_of(design, "v1") != older


def test_dest_not_a_zip_is_replaced_and_directory_dest(capsys, design, tmp_path):
    export(design, "v1")
    (tmp_path / "CHURN-v1.zip").write_bytes(b"not a zip")
    result = run(capsys, design, bundle_id="v1", state="exported", dest=str(tmp_path))
    assert result["changed"] and result["dest"] == str(tmp_path / "CHURN-v1.zip")
    assert result["diff"]["before"]["dest_bundle_id"] is None and result["diff"]["after"]["dest_bundle_id"] == "v1"


def test_design_absent_and_keep_last(capsys, design):
    for bundle_id in ("v1", "v2", "v3", "v4"):
        export(design, bundle_id)
    predicted, real = check_then_run(capsys, design, bundle_id="v5", state="exported", keep_last=2)
    assert real["deleted_bundle_ids"] == ["v1", "v2", "v3"] and bundle_ids(design) == ["v4", "v5"]
    assert predicted["bundle_ids"] == real["bundle_ids"] == ["v4", "v5"]
    predicted, real = check_then_run(capsys, design, bundle_id="v4", state="absent")
    assert real["changed"] and bundle_ids(design) == ["v5"]
    predicted, real = check_then_run(capsys, design, bundle_id="v4", state="absent")
    assert not real["changed"]


# -- automation side -----------------------------------------------------------------------------------------------

def test_first_deployment_from_src_creates_project_and_activates(capsys, auto, builder, tmp_path):
    src = archive(tmp_path, builder, "v1")
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="active", src=src)
    assert real["changed"] and real["project_created"] and real["imported"]
    assert real["previous_bundle_id"] is None and real["active_bundle_id"] == "v1"
    assert real["report"]["error"] is False
    assert real["uploaded_bytes"] == os.path.getsize(src)
    assert predicted["active_bundle_id"] == "v1" and predicted["report"] is None
    assert real["diff"]["before"] == {"project_exists": False, "active_bundle_id": None, "bundle_ids": []}
    assert real["diff"]["after"] == {"project_exists": True, "active_bundle_id": "v1", "bundle_ids": ["v1"]}
    upload = uploads(auto)[0]
    assert upload.path == "/projectsFromBundle"
    assert upload.params == {"permissionsPropagationPolicy": "NONE", "failOnMissingUsersOrGroups": "True"}
    assert not upload.chunked and int(upload.headers["Content-Length"]) == len(upload.body)  # sized body
    assert parts(upload)[0][:2] == ("file", "v1.zip")
    with open(src, "rb") as fh:
        assert parts(upload)[0][2] == fh.read()
    assert active(auto) == "v1"
    auto.forget_calls()
    again = run(capsys, auto, bundle_id="v1", state="active", src=src)
    assert not again["changed"] and again["uploaded_bytes"] == 0 and auto.writes() == []


def test_first_deployment_with_other_key_fails_before_upload(capsys, auto, builder, tmp_path):
    result = run(capsys, auto, bundle_id="v1", state="imported", src=archive(tmp_path, builder, "v1", key="OTHER"))
    assert result["failed"] and "OTHER" in result["msg"] and "CHURN" in result["msg"]
    assert auto.writes() == []


@pytest.mark.parametrize("content, fragment", [
    (b"garbage", "not a valid zip"),
    (None, "does not exist"),
])
def test_bad_src_fails_in_check_mode_too(capsys, auto, builder, tmp_path, content, fragment):
    deploy(builder, auto, ["v0"], active="v0")
    src = tmp_path / "v1.zip"
    if content is not None:
        src.write_bytes(content)
    for check in (True, False):
        result = run(capsys, auto, check=check, bundle_id="v1", state="active", src=str(src))
        assert result["failed"] and fragment in result["msg"]
    assert auto.writes() == []


def test_src_of_another_bundle_fails(capsys, auto, builder, tmp_path):
    deploy(builder, auto, ["v0"], active="v0")
    result = run(capsys, auto, bundle_id="v1", state="active", src=archive(tmp_path, builder, "v2"))
    assert result["failed"] and "is bundle v2" in result["msg"]
    assert auto.writes() == []


def test_import_only_does_not_activate(capsys, auto, builder, tmp_path):
    deploy(builder, auto, ["v0"], active="v0")
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="imported", src=archive(tmp_path, builder, "v1"))
    assert real["changed"] and real["active_bundle_id"] == "v0" and "report" not in real
    assert uploads(auto)[0].path == "/projects/CHURN/bundles/imported/actions/importFromStream"
    assert not any("/actions/activate" in c for c in auto.calls())
    assert active(auto) == "v0" and bundle_ids(auto) == ["v0", "v1"]


def test_rollback_and_unknown_bundle_lists_existing(capsys, auto, builder):
    deploy(builder, auto, ["v1", "v2"], active="v2")
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="active")
    assert real["changed"] and real["previous_bundle_id"] == "v2" and real["active_bundle_id"] == "v1"
    assert uploads(auto) == [] and active(auto) == "v1"
    result = run(capsys, auto, bundle_id="v9", state="active")
    assert result["failed"] and "v1, v2" in result["msg"]


def test_activation_error_fails_with_dss_message(capsys, auto, builder):
    deploy(builder, auto, ["v1", "v2"], active="v1")
    report = {"success": False, "error": True, "fatal": False, "anyMessage": True,
              "messages": [{"severity": "ERROR", "isFatal": False, "code": "ERR_X", "title": "Bad",
                            "message": "connection pg missing"}]}
    # A DSS that answers the activation with an error report (the emulator refuses such an activation outright).
    auto.faults.answer("POST", r"/bundles/imported/v2/actions/activate$", 200, {"hasResult": True, "result": report})
    result = run(capsys, auto, bundle_id="v2", state="active")
    assert result["failed"] and "connection pg missing" in result["msg"] and "active bundle is v1" in result["msg"]
    assert result["active_bundle_id"] == "v1" and result["report"]["error"] is True


def test_activation_api_error_fails_cleanly(capsys, auto, builder):
    deploy(builder, auto, ["v1"], active="v1")
    builder.client().get_project("CHURN").create_dataset("orders", "PostgreSQL", params={"connection": "pg"})
    deploy(builder, auto, ["v2"])  # needs connection pg, which the automation node lacks
    result = run(capsys, auto, bundle_id="v2", state="active")
    assert result["failed"] and "Cannot activate bundle" in result["msg"] and result["active_bundle_id"] == "v1"
    assert active(auto) == "v1"


def test_streamed_from_design_node_with_and_without_length(capsys, nodes):
    design_node, auto = nodes
    export(design_node, "v1")
    export(design_node, "v2")
    source = dict(url=DESIGN_URL, api_key=design_node.api_key)
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="active", source=source,
                                     secrets=(design_node.api_key,))
    assert real["project_created"] and real["active_bundle_id"] == "v1"
    first = uploads(auto)[0]
    assert not first.chunked and int(first.headers["Content-Length"]) == len(first.body)
    assert parts(first)[0][2] == archive_of(design_node, "v1")

    def without_length(request):  # the design node streams the archive without Content-Length: upload chunked
        answer = design_node.faults.inner.send(request)
        del answer.headers["Content-Length"]
        return answer
    design_node.faults.add("GET", r"/bundles/exported/v2/archive$", without_length)
    real = run(capsys, auto, bundle_id="v2", state="active", source=source, secrets=(design_node.api_key,))
    assert not real.get("failed"), real["msg"]
    second = uploads(auto)[-1]
    assert real["changed"] and second.chunked and "Content-Length" not in second.headers
    assert parts(second)[0][2] == archive_of(design_node, "v2")
    assert active(auto) == "v2"


def test_source_bundle_not_exported_yet_is_predicted_in_check_mode_and_fails_for_real(capsys, nodes):
    """A plan exports the bundle in an earlier task that check mode did not run: predict the import; a real run
    without the export fails and lists the bundles that do exist."""
    design_node, auto = nodes
    export(design_node, "v1")
    design_node.forget_calls()
    args = dict(bundle_id="v7", state="active", source=dict(url=DESIGN_URL, api_key=design_node.api_key))
    plan = run(capsys, auto, check=True, secrets=(design_node.api_key,), **args)
    assert not plan.get("failed") and plan["changed"] is True, plan
    real = run(capsys, auto, secrets=(design_node.api_key,), **args)
    assert real["failed"] and "v7 is not exported" in real["msg"] and "v1" in real["msg"]
    assert auto.writes() == [] and design_node.writes() == []


def test_absent_on_automation(capsys, auto, builder):
    deploy(builder, auto, ["v1", "v2", "v3"], active="v2")
    result = run(capsys, auto, bundle_id="v2", state="absent")
    assert result["failed"] and "active bundle" in result["msg"] and auto.writes() == []
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="absent")
    assert real["changed"] and bundle_ids(auto) == ["v2", "v3"]
    predicted, real = check_then_run(capsys, auto, bundle_id="v1", state="absent")
    assert not real["changed"]


def test_keep_last_never_deletes_active_or_new(capsys, auto, builder, tmp_path):
    deploy(builder, auto, ["v1", "v2", "v3"], active="v1")
    predicted, real = check_then_run(capsys, auto, bundle_id="v4", state="imported",
                                     src=archive(tmp_path, builder, "v4"), keep_last=2)
    assert real["deleted_bundle_ids"] == ["v2", "v3"] and bundle_ids(auto) == ["v1", "v4"]
    assert predicted["deleted_bundle_ids"] == ["v2", "v3"]


def test_keep_last_only_absent(capsys, auto, builder):
    deploy(builder, auto, ["v1", "v2", "v3"], active="v3")
    predicted, real = check_then_run(capsys, auto, state="absent", keep_last=1)
    assert real["deleted_bundle_ids"] == ["v1", "v2"] and real["bundle_id"] is None


def test_absent_on_missing_project_is_noop(capsys, auto):
    result = run(capsys, auto, bundle_id="v1", state="absent")
    assert not result["changed"] and auto.writes() == []
