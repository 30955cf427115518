"""dataiku_project against an emulated node in-process: option validation, reads kept minimal, check mode, diff,
idempotency, verification after write, deletion options."""

# pylint: disable=redefined-outer-name,unused-import
import json

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_project
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    dss_error, emulated, reads, run_module)

URL = "https://dss.example.com:11200"


@pytest.fixture
def node(emulated):
    return emulated("design", URL)


def run(capsys, node, **params):
    return run_module(dataiku_project.main, capsys, node, **params)[1]


def add_project(node, key, name=None, owner="admin", tags=(), permissions=(), variables=None, **metadata):
    project = node.client().create_project(key, name or key, owner)
    if tags or metadata:
        md = project.get_metadata()
        md.update(metadata, tags=list(tags))
        project.set_metadata(md)
    if permissions:
        perms = project.get_permissions()
        perms["permissions"] = [dict(p) for p in permissions]
        project.set_permissions(perms)
    if variables:
        project.set_variables(variables)
    node.forget_calls()
    return project


@pytest.mark.parametrize("key", ["my-project", "A#B", "lower", "1ABC", "A/B", ""])
def test_invalid_project_key_fails_before_any_request(node, capsys, key):
    result = run(capsys, node, project_key=key)
    assert result["failed"]
    assert "not a valid DSS project key" in result["msg"] and repr(key) in result["msg"]
    assert node.calls() == []


def test_permission_entry_needs_exactly_one_principal(node, capsys):
    result = run(capsys, node, project_key="P", permissions=[{"group": "a", "user": "b"}, {"read_dashboards": True}])
    assert result["failed"]
    assert "permissions[0] must set exactly one of group or user" in result["msg"]
    assert "permissions[1]" in result["msg"]
    assert node.calls() == []


def test_unknown_variables_scope_is_rejected(node, capsys):
    result = run(capsys, node, project_key="P", variables={"global": {"a": 1}})
    assert result["failed"] and "global" in result["msg"]
    assert node.calls() == []


def test_url_without_scheme_fails_clearly(node, capsys):
    result = run(capsys, node, project_key="P", url="dss.example.com:11200")
    assert result["failed"] and "http://" in result["msg"]
    assert node.calls() == []


def test_create_in_check_mode_writes_nothing_and_predicts(node, capsys):
    digest = node.digest()
    result = run(capsys, node, check_mode=True, diff=True, project_key="P", tags=["b", "a"], short_description="s")
    assert result["changed"] is True
    assert node.writes() == [] and node.digest() == digest
    expected_after = {"project_key": "P", "name": "P", "owner": "admin", "short_description": "s", "tags": ["a", "b"]}
    assert result["diff"] == {"before": {}, "after": expected_after}
    assert result["project"]["projectKey"] == "P" and result["project"]["ownerLogin"] == "admin"
    assert "GET /auth/info" in node.calls()  # no owner given: the project will belong to the key's user
    assert node.client().list_project_keys() == []


def test_create_then_rerun_is_idempotent(node, capsys):
    params = dict(project_key="P", name="Proj", owner="alice", description="d", short_description="s",
                  tags=["x"], variables={"standard": {"a": 1}},
                  permissions=[{"group": "readers", "read_project_content": True}])
    check = run(capsys, node, check_mode=True, diff=True, **params)
    created = run(capsys, node, diff=True, **params)
    assert created["changed"] is True
    assert created["diff"] == check["diff"]
    assert "GET /auth/info" not in node.calls()  # owner given: no need to ask who the key is
    create = [r for r in node.received() if (r.method, r.path) == ("POST", "/projects")]
    assert len(create) == 1 and create[0].json()["owner"] == "alice"
    project = node.client().get_project("P")
    assert project.get_permissions()["owner"] == "alice"
    assert [p for p in project.get_permissions()["permissions"] if p.get("group") == "readers"][0][
        "readProjectContent"] is True
    assert project.get_variables()["standard"] == {"a": 1}
    assert project.get_metadata()["shortDesc"] == "s"
    assert created["project"]["name"] == "Proj"
    node.forget_calls()
    again = run(capsys, node, **params)
    assert again["changed"] is False
    assert node.writes() == []


def test_update_one_field_check_then_real_report_the_same(node, capsys):
    add_project(node, "P", shortDesc="old", tags=["a"])
    check = run(capsys, node, check_mode=True, diff=True, project_key="P", short_description="new")
    assert node.writes() == []
    assert check["diff"] == {"before": {"project_key": "P", "short_description": "old"},
                             "after": {"project_key": "P", "short_description": "new"}}
    assert check["project"]["shortDesc"] == "new"
    real = run(capsys, node, diff=True, project_key="P", short_description="new")
    assert (real["changed"], real["diff"]) == (check["changed"], check["diff"])
    assert node.writes() == ["PUT /projects/P/metadata"]
    assert node.client().get_project("P").get_metadata()["tags"] == ["a"]


def test_reads_only_the_endpoints_the_options_need(node, capsys):
    add_project(node, "P")
    run(capsys, node, project_key="P")
    assert reads(node) == ["GET /projects/P"]
    node.forget_calls()
    run(capsys, node, project_key="P", tags=[])
    assert reads(node) == ["GET /projects/P", "GET /projects/P/metadata"]
    node.forget_calls()
    run(capsys, node, project_key="P", owner="admin")
    assert reads(node) == ["GET /projects/P", "GET /projects/P/permissions"]
    node.forget_calls()
    run(capsys, node, project_key="P", variables={"local": {}})
    assert reads(node) == ["GET /projects/P", "GET /projects/P/variables"]


def test_owner_change_on_existing_project(node, capsys):
    add_project(node, "P", owner="alice", permissions=[{"group": "g", "admin": True}])
    result = run(capsys, node, diff=True, project_key="P", owner="bob")
    assert result["changed"] is True
    assert result["diff"]["after"] == {"project_key": "P", "owner": "bob"}
    permissions = node.client().get_project("P").get_permissions()
    assert permissions["owner"] == "bob"
    assert [p for p in permissions["permissions"] if p.get("group") == "g"][0]["admin"] is True


def test_fails_when_dss_does_not_keep_a_written_field(node, capsys):
    add_project(node, "P", shortDesc="old")

    def drop_short_description(metadata):  # a DSS that silently ignores the field
        metadata.pop("shortDesc", None)
        return metadata

    node.faults.rewrite("PUT", r"/projects/P/metadata$", drop_short_description)
    result = run(capsys, node, project_key="P", short_description="new", name="P")
    assert result["failed"]
    assert "did not keep: short_description" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_delete_passes_the_clear_options(node, capsys):
    add_project(node, "P", tags=["t"])
    check = run(capsys, node, check_mode=True, diff=True, project_key="P", state="absent")
    assert check["changed"] is True and node.writes() == []
    assert check["diff"]["after"] == {} and check["diff"]["before"]["project_key"] == "P"
    result = run(capsys, node, diff=True, project_key="P", state="absent", clear_managed_datasets=True)
    assert (result["changed"], result["diff"]) == (True, check["diff"])
    assert result["project"] == {}
    delete = [r for r in node.received() if r.method == "DELETE"]
    assert [r.path for r in delete] == ["/projects/P"]
    options = ("clearManagedDatasets", "clearOutputManagedFolders", "clearJobAndScenarioLogs")
    assert {name: delete[0].params[name] for name in options} == {
        "clearManagedDatasets": "True", "clearOutputManagedFolders": "False", "clearJobAndScenarioLogs": "True"}
    assert node.client().list_project_keys() == []
    assert run(capsys, node, project_key="P", state="absent")["changed"] is False


def test_absent_ignores_other_options_and_reads_only_the_summary(node, capsys):
    result = run(capsys, node, project_key="P", state="absent", tags=["x"], variables={"standard": {"a": 1}})
    assert result["changed"] is False
    assert reads(node) == ["GET /projects/P"] and node.writes() == []


def test_api_key_is_never_in_the_result(node, capsys):
    add_project(node, "P")
    result = run(capsys, node, diff=True, project_key="P", description="d", tags=["t"], owner="o")
    assert result["changed"] is True
    assert node.api_key not in json.dumps(result)


def test_env_fallback_for_connection(emulated, capsys, monkeypatch):
    node = emulated("design", "https://from-env.example.com")
    add_project(node, "P")
    monkeypatch.setenv("DATAIKU_URL", "https://from-env.example.com/")
    monkeypatch.setenv("DATAIKU_API_KEY", node.api_key)
    # Reaching this node with its key proves both came from the environment (ansible-core 2.21 no longer returns
    # `invocation`): the node answers 401 to any other key.
    failed, result = run_module(dataiku_project.main, capsys, project_key="P", state="absent", check_mode=True)
    assert not failed and result["changed"] is True, result
    assert reads(node) == ["GET /projects/P"]


def test_missing_connection_options_fail(node, capsys):
    failed, result = run_module(dataiku_project.main, capsys, project_key="P")
    assert failed and "api_key" in result["msg"] and "url" in result["msg"]
    assert node.calls() == []


def test_dss_error_on_write_names_the_operation(node, capsys):
    add_project(node, "P")
    node.faults.answer("PUT", r"/projects/P/variables$", 403, dss_error("Action forbidden"))
    result = run(capsys, node, project_key="P", variables={"local": {"a": 1}})
    assert result["failed"]
    assert result["msg"] == ("Failed to update the variables of project P on https://dss.example.com:11200: "
                             "com.dataiku.dip.exceptions.UnauthorizedException: Action forbidden")
    assert node.client().get_project("P").get_variables()["local"] == {}
