"""dataiku_project against an in-memory client: option validation, reads kept minimal, check mode, diff,
idempotency, verification after write, deletion options."""

# pylint: disable=redefined-outer-name,unused-import
import json

import pytest
from dataikuapi.utils import DataikuException

from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_project
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules import project_fakes
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.project_fakes import (
    API_KEY, fake_client, run_module)


def run(capsys, **params):
    return run_module(dataiku_project.main, capsys, **params)


@pytest.mark.parametrize("key", ["my-project", "A#B", "lower", "1ABC", "A/B", ""])
def test_invalid_project_key_fails_before_any_request(fake_client, capsys, key):
    result = run(capsys, project_key=key)
    assert result["failed"]
    assert "not a valid DSS project key" in result["msg"] and repr(key) in result["msg"]
    assert fake_client.calls == []


def test_permission_entry_needs_exactly_one_principal(fake_client, capsys):
    result = run(capsys, project_key="P", permissions=[{"group": "a", "user": "b"}, {"read_dashboards": True}])
    assert result["failed"]
    assert "permissions[0] must set exactly one of group or user" in result["msg"]
    assert "permissions[1]" in result["msg"]
    assert fake_client.calls == []


def test_unknown_variables_scope_is_rejected(fake_client, capsys):
    result = run(capsys, project_key="P", variables={"global": {"a": 1}})
    assert result["failed"] and "global" in result["msg"]
    assert fake_client.calls == []


def test_url_without_scheme_fails_clearly(fake_client, capsys):
    result = run(capsys, project_key="P", url="dss.example.com:11200")
    assert result["failed"] and "http://" in result["msg"]
    assert fake_client.calls == []


def test_create_in_check_mode_writes_nothing_and_predicts(fake_client, capsys):
    result = run(capsys, check_mode=True, diff=True, project_key="P", tags=["b", "a"], short_description="s")
    assert result["changed"] is True
    assert fake_client.writes() == []
    assert fake_client.projects == {}
    expected_after = {"project_key": "P", "name": "P", "owner": "api-user", "short_description": "s", "tags": ["a", "b"]}
    assert result["diff"] == {"before": {}, "after": expected_after}
    assert result["project"]["projectKey"] == "P" and result["project"]["ownerLogin"] == "api-user"


def test_create_then_rerun_is_idempotent(fake_client, capsys):
    params = dict(project_key="P", name="Proj", owner="alice", description="d", short_description="s",
                  tags=["x"], variables={"standard": {"a": 1}},
                  permissions=[{"group": "readers", "read_project_content": True}])
    check = run(capsys, check_mode=True, diff=True, **params)
    created = run(capsys, diff=True, **params)
    assert created["changed"] is True
    assert created["diff"] == check["diff"]
    assert fake_client.create_args["owner"] == "alice"
    assert fake_client.create_args["permissions"] == [{"group": "readers", "readProjectContent": True}]
    assert ("GET", "auth") not in fake_client.calls  # owner given: no need to ask who the key is
    assert fake_client.projects["P"]["variables"]["standard"] == {"a": 1}
    assert fake_client.projects["P"]["metadata"]["shortDesc"] == "s"
    assert created["project"]["name"] == "Proj"
    fake_client.calls.clear()
    again = run(capsys, **params)
    assert again["changed"] is False
    assert fake_client.writes() == []


def test_update_one_field_check_then_real_report_the_same(fake_client, capsys):
    fake_client.add_project("P", shortDesc="old", tags=["a"])
    check = run(capsys, check_mode=True, diff=True, project_key="P", short_description="new")
    assert fake_client.writes() == []
    assert check["diff"] == {"before": {"project_key": "P", "short_description": "old"},
                             "after": {"project_key": "P", "short_description": "new"}}
    assert check["project"]["shortDesc"] == "new"
    real = run(capsys, diff=True, project_key="P", short_description="new")
    assert (real["changed"], real["diff"]) == (check["changed"], check["diff"])
    assert fake_client.writes() == [("PUT", "metadata")]
    assert fake_client.projects["P"]["metadata"]["tags"] == ["a"]


def test_reads_only_the_endpoints_the_options_need(fake_client, capsys):
    fake_client.add_project("P")
    run(capsys, project_key="P")
    assert fake_client.reads() == ["projects"]
    fake_client.calls.clear()
    run(capsys, project_key="P", tags=[])
    assert fake_client.reads() == ["projects", "metadata"]
    fake_client.calls.clear()
    run(capsys, project_key="P", owner="admin")
    assert fake_client.reads() == ["projects", "permissions"]
    fake_client.calls.clear()
    run(capsys, project_key="P", variables={"local": {}})
    assert fake_client.reads() == ["projects", "variables"]


def test_owner_change_on_existing_project(fake_client, capsys):
    fake_client.add_project("P", owner="alice", permissions=[{"group": "g", "admin": True}])
    result = run(capsys, diff=True, project_key="P", owner="bob")
    assert result["changed"] is True
    assert result["diff"]["after"] == {"project_key": "P", "owner": "bob"}
    assert fake_client.projects["P"]["permissions"] == {"owner": "bob", "permissions": [{"group": "g", "admin": True}]}


def test_fails_when_dss_does_not_keep_a_written_field(fake_client, capsys):
    fake_client.add_project("P", shortDesc="old")
    fake_client.drop["metadata"] = ["shortDesc"]
    result = run(capsys, project_key="P", short_description="new", name="P")
    assert result["failed"]
    assert "did not keep: short_description" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_delete_passes_the_clear_options(fake_client, capsys):
    fake_client.add_project("P", tags=["t"])
    check = run(capsys, check_mode=True, diff=True, project_key="P", state="absent")
    assert check["changed"] is True and fake_client.writes() == []
    assert check["diff"]["after"] == {} and check["diff"]["before"]["project_key"] == "P"
    result = run(capsys, diff=True, project_key="P", state="absent", clear_managed_datasets=True)
    assert (result["changed"], result["diff"]) == (True, check["diff"])
    assert result["project"] == {}
    assert fake_client.delete_args == dict(clear_managed_datasets=True, clear_output_managed_folders=False,
                                           clear_job_and_scenario_logs=True)
    assert run(capsys, project_key="P", state="absent")["changed"] is False


def test_absent_ignores_other_options_and_reads_only_the_list(fake_client, capsys):
    result = run(capsys, project_key="P", state="absent", tags=["x"], variables={"standard": {"a": 1}})
    assert result["changed"] is False
    assert fake_client.calls == [("GET", "projects")]


def test_api_key_is_never_in_the_result(fake_client, capsys):
    fake_client.add_project("P")
    result = run(capsys, diff=True, project_key="P", description="d", tags=["t"], owner="o")
    assert result["changed"] is True
    assert API_KEY not in json.dumps(result)


def test_env_fallback_for_connection(fake_client, capsys, monkeypatch):
    monkeypatch.setenv("DATAIKU_URL", "https://from-env.example.com/")
    monkeypatch.setenv("DATAIKU_API_KEY", API_KEY)
    connected = []
    # the client is made with the values from the environment (ansible-core 2.21 no longer returns `invocation`)
    monkeypatch.setattr(dss_module.DssModule, "make_client",
                        lambda self, url, api_key, *args, **kwargs: connected.append((url, api_key)) or fake_client)
    result = run_module(dataiku_project.main, capsys, connection=False, project_key="P", state="absent")
    assert result["changed"] is False, result
    assert connected == [("https://from-env.example.com", API_KEY)]


def test_missing_connection_options_fail(fake_client, capsys):
    result = run_module(dataiku_project.main, capsys, connection=False, project_key="P")
    assert result["failed"] and "api_key" in result["msg"] and "url" in result["msg"]


def test_dss_error_on_write_names_the_operation(fake_client, capsys, monkeypatch):
    fake_client.add_project("P")

    def refuse(*args, **kwargs):
        raise DataikuException("com.dataiku.dip.exceptions.UnauthorizedException: Action forbidden")

    monkeypatch.setattr(project_fakes.FakeProject, "set_variables", refuse)
    result = run(capsys, project_key="P", variables={"local": {"a": 1}})
    assert result["failed"]
    assert result["msg"] == ("Failed to update the variables of project P on https://dss.example.com:11200: "
                             "com.dataiku.dip.exceptions.UnauthorizedException: Action forbidden")
