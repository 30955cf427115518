"""Unit tests of dataiku_bundle_info against emulated nodes in-process."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle_info
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    deploy, emulated, export, run_module)


def run(capsys, node, **params):
    params.setdefault("project_key", "CHURN")
    return run_module(dataiku_bundle_info.main, capsys, node, check_mode=True, **params)[1]


def test_design_lists_exported_with_dates_and_notes(capsys, emulated):
    node = emulated("design", "https://d.example.com")
    export(node, "v1", release_notes="first")
    export(node, "v2")
    node.forget_calls()
    result = run(capsys, node)
    assert not result["changed"] and result["project_exists"] and result["node_type"] == "DESIGN"
    assert result["bundle_ids"] == ["v1", "v2"] and result["active_bundle_id"] is None
    first = result["bundles"][0]
    assert first["release_notes"] == "first" and first["exported_on"][:4].isdigit()
    assert first["original_project_key"] == "CHURN" and first["state"] == "BUILT" and first["active"] is False
    assert node.writes() == []


def test_automation_marks_active_and_filters(capsys, emulated):
    node = emulated("automation", "https://a.example.com")
    deploy(emulated("design", "https://d.example.com"), node, ["v1", "v2"], active="v2")
    result = run(capsys, node)
    assert result["active_bundle_id"] == "v2"
    assert [(b["bundle_id"], b["active"]) for b in result["bundles"]] == [("v1", False), ("v2", True)]
    assert result["bundles"][0]["imported_on"]
    only = run(capsys, node, bundle_id="v1")
    assert only["bundle_ids"] == ["v1"] and only["active_bundle_id"] == "v2"
    assert node.writes() == []


def test_missing_project_is_not_an_error(capsys, emulated):
    node = emulated("automation", "https://a.example.com")
    result = run(capsys, node)
    assert not result.get("failed") and not result["project_exists"] and result["bundles"] == []


def test_bad_bundle_id_fails_before_any_request(capsys, emulated):
    node = emulated("automation", "https://a.example.com")
    result = run(capsys, node, bundle_id="a#b")
    assert result["failed"] and "not a valid bundle id" in result["msg"] and node.calls() == []
