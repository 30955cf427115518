"""Unit tests of dataiku_bundle_info against the in-memory fake client."""

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle_info
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.dss_bundle_fakes import FakeNode, install

KEY = "unit-info-api-key-5e1b7c2a9f"


def run(capsys, url, **params):
    args = dict(url=url, api_key=KEY, project_key="CHURN")
    args.update(params)
    return execute(dataiku_bundle_info.main, capsys, args, check_mode=True, secrets=(KEY,))[1]


def test_design_lists_exported_with_dates_and_notes(capsys, monkeypatch):
    node = FakeNode("DESIGN", "https://d.example.com")
    node.add_project("CHURN")
    node.add_exported("CHURN", "v1", release_notes="first")
    node.add_exported("CHURN", "v2")
    install(monkeypatch, node)
    result = run(capsys, node.url)
    assert not result["changed"] and result["project_exists"] and result["node_type"] == "DESIGN"
    assert result["bundle_ids"] == ["v1", "v2"] and result["active_bundle_id"] is None
    first = result["bundles"][0]
    assert first["release_notes"] == "first" and first["exported_on"].startswith("2025-")
    assert first["original_project_key"] == "CHURN" and first["state"] == "BUILT" and first["active"] is False
    assert node.writes() == []


def test_automation_marks_active_and_filters(capsys, monkeypatch):
    node = FakeNode("AUTOMATION", "https://a.example.com")
    node.add_imported("CHURN", "v1")
    node.add_imported("CHURN", "v2", active=True)
    install(monkeypatch, node)
    result = run(capsys, node.url)
    assert result["active_bundle_id"] == "v2"
    assert [(b["bundle_id"], b["active"]) for b in result["bundles"]] == [("v1", False), ("v2", True)]
    assert result["bundles"][0]["imported_on"]
    only = run(capsys, node.url, bundle_id="v1")
    assert only["bundle_ids"] == ["v1"] and only["active_bundle_id"] == "v2"


def test_missing_project_is_not_an_error(capsys, monkeypatch):
    node = FakeNode("AUTOMATION", "https://a.example.com")
    install(monkeypatch, node)
    result = run(capsys, node.url)
    assert not result.get("failed") and not result["project_exists"] and result["bundles"] == []


def test_bad_bundle_id_fails_before_any_request(capsys, monkeypatch):
    node = FakeNode("AUTOMATION", "https://a.example.com")
    install(monkeypatch, node)
    result = run(capsys, node.url, bundle_id="a#b")
    assert result["failed"] and "not a valid bundle id" in result["msg"] and node.calls == []
