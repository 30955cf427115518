"""dataiku_project_info against an in-memory client: one project, all projects, missing project, validation."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_project_info
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.project_fakes import fake_client, run_module


def run(capsys, **params):
    return run_module(dataiku_project_info.main, capsys, **params)


def test_all_projects_in_dss_order(fake_client, capsys):
    fake_client.add_project("B")
    fake_client.add_project("A")
    result = run(capsys, check_mode=True)
    assert result["changed"] is False
    assert [p["projectKey"] for p in result["projects"]] == ["B", "A"]
    assert "exists" not in result
    assert fake_client.calls == [("GET", "projects")]


def test_one_project_with_its_active_bundle(fake_client, capsys, monkeypatch):
    fake_client.add_project("P")
    original = fake_client.summary
    monkeypatch.setattr(fake_client, "summary",
                        lambda key: dict(original(key), activeBundleState={"bundleId": "v3", "activatedOn": 1}))
    result = run(capsys, project_key="P")
    assert result["exists"] is True
    assert result["projects"][0]["active_bundle_id"] == "v3"
    assert result["projects"][0]["activeBundleState"]["bundleId"] == "v3"


def test_missing_project_is_empty_not_an_error(fake_client, capsys):
    fake_client.add_project("OTHER")
    result = run(capsys, project_key="P")
    assert result == dict(result, changed=False, projects=[], exists=False)
    assert "failed" not in result


def test_invalid_key_fails_before_any_request(fake_client, capsys):
    result = run(capsys, project_key="my-project")
    assert result["failed"] and "not a valid DSS project key" in result["msg"]
    assert fake_client.calls == []
