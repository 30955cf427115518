"""dataiku_project_info against an emulated node in-process: one project, all projects, missing project, validation."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_project_info
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    deploy, emulated, reads, run_module)


def run(capsys, node, **params):
    return run_module(dataiku_project_info.main, capsys, node, **params)[1]


def test_all_projects_in_dss_order(emulated, capsys):
    node = emulated("design")
    for key in ("B", "A"):
        node.client().create_project(key, key, "admin")
    node.forget_calls()
    result = run(capsys, node, check_mode=True)
    assert result["changed"] is False
    assert [p["projectKey"] for p in result["projects"]] == ["B", "A"]
    assert "exists" not in result
    assert reads(node) == ["GET /projects"]


def test_one_project_with_its_active_bundle(emulated, capsys):
    design, auto = emulated("design"), emulated("automation", "https://auto.example.com")
    deploy(design, auto, ["v2", "v3"], key="P", active="v3")
    result = run(capsys, auto, project_key="P")
    assert result["exists"] is True
    assert result["projects"][0]["active_bundle_id"] == "v3"
    assert result["projects"][0]["activeBundleState"]["bundleId"] == "v3"


def test_missing_project_is_empty_not_an_error(emulated, capsys):
    node = emulated("design")
    node.client().create_project("OTHER", "OTHER", "admin")
    result = run(capsys, node, project_key="P")
    assert result == dict(result, changed=False, projects=[], exists=False)
    assert "failed" not in result


def test_invalid_key_fails_before_any_request(emulated, capsys):
    node = emulated("design")
    result = run(capsys, node, project_key="my-project")
    assert result["failed"] and "not a valid DSS project key" in result["msg"]
    assert node.calls() == []
