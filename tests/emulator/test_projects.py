"""Projects through the official client, call by call as dataikuapi/dss/project.py sends them. Every test uses its own
project key so the module's single node can serve the tests in any order (pytest-xdist)."""

import pytest
import requests
from dataikuapi.dss.future import DSSFuture
from dataikuapi.utils import DataikuException

from tests.emulator.conftest import seed_docs

PERMS = [{"group": "readers", "readProjectContent": True, "readDashboards": True, "writeProjectContent": False}]


def _create(client, key, **kwargs):
    args = {"description": "desc of %s" % key, "tags": ["t1", "t2"], "permissions": PERMS}
    args.update(kwargs)
    return client.create_project(key, "Name of %s" % key, "alice", **args)


def test_create_then_list_and_summary_agree(client):
    project = _create(client, "PRJ_CREATE")
    assert "PRJ_CREATE" in client.list_project_keys()
    item = [p for p in client.list_projects() if p["projectKey"] == "PRJ_CREATE"][0]
    summary = project.get_summary()
    assert item == summary
    assert summary["name"] == "Name of PRJ_CREATE"
    assert summary["ownerLogin"] == "alice"
    assert summary["description"] == "desc of PRJ_CREATE"
    assert summary["tags"] == ["t1", "t2"]
    assert "activeBundleState" not in summary
    assert summary["versionTag"]["versionNumber"] == 0


def test_create_sends_null_settings_and_description_and_gets_defaults(client):
    project = client.create_project("PRJ_NULLS", "n", "bob")
    raw = project.get_settings().get_raw()
    assert raw["description"] == ""
    assert raw["owner"] == "bob" and raw["permissions"] == [] and raw["tags"] == []
    assert raw["settings"]["codeEnvs"]["python"]["mode"]


def test_create_with_initial_settings_merges_them(client):
    project = client.create_project("PRJ_SETTINGS", "n", "bob", settings={"disableAutomaticTriggers": True})
    assert project.get_settings().get_raw()["settings"]["disableAutomaticTriggers"] is True


def test_duplicate_key_is_an_error(client):
    _create(client, "PRJ_DUP")
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Project PRJ_DUP already exists"):
        _create(client, "PRJ_DUP")


@pytest.mark.parametrize("key", ["BAD-KEY", "BAD KEY", "BAD.KEY", "BAD$"])
def test_invalid_key_is_an_error(client, key):
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Invalid project key"):
        client.create_project(key, "n", "admin")


def test_unknown_project_errors(client):
    project = client.get_project("NO_SUCH")
    for call in (project.get_summary, project.get_settings, project.get_metadata, project.get_permissions,
                 project.get_variables, project.get_tags, project.delete):
        with pytest.raises(DataikuException,
                           match=r"^com\.dataiku\.dip\.server\.controllers\.NotFoundException: Project NO_SUCH does not exist"):
            call()


def test_metadata_round_trip_and_views_agree(client):
    project = _create(client, "PRJ_META")
    md = project.get_metadata()
    assert md["label"] == "Name of PRJ_META" and md["tags"] == ["t1", "t2"] and md["checklists"] == {"checklists": []}
    md["label"] = "Renamed"
    md["shortDesc"] = "short"
    md["tags"] = ["x"]
    md["customFields"] = {"team": "data"}
    md["checklists"]["checklists"].append({"id": "c1", "title": "Go live", "items": []})
    project.set_metadata(md)
    assert project.get_metadata() == md
    summary = project.get_summary()
    raw = project.get_settings().get_raw()
    assert summary["name"] == raw["name"] == "Renamed"
    assert summary["tags"] == raw["tags"] == ["x"]
    assert raw["customFields"] == {"team": "data"} and summary["shortDesc"] == "short"
    assert summary["versionTag"]["versionNumber"] == 1


def test_settings_round_trip_unknown_keys(client):
    project = _create(client, "PRJ_RAW")
    settings = project.get_settings()
    raw = settings.get_raw()
    raw["bundleContainerSettings"] = {"remapping": {"connections": [{"source": "a", "target": "b"}],
                                                    "futureKey": [1, 2]},
                                      "codeEnvsBehavior": {"importTimeMode": "INSTALL_IF_MISS"}}
    raw["someFutureTopLevelKey"] = {"nested": True}
    raw["settings"]["codeEnvs"]["python"] = {"mode": "EXPLICIT_ENV", "envName": "py39", "useBuiltinEnv": False}
    settings.save()
    back = project.get_settings().get_raw()
    assert back["bundleContainerSettings"] == raw["bundleContainerSettings"]
    assert back["someFutureTopLevelKey"] == {"nested": True}
    assert back["settings"]["codeEnvs"]["python"]["envName"] == "py39"
    assert back["versionTag"]["versionNumber"] == 1


def test_settings_cannot_change_the_key(client):
    project = _create(client, "PRJ_KEYLOCK")
    settings = project.get_settings()
    settings.get_raw()["projectKey"] = "OTHER"
    settings.save()
    assert project.get_settings().get_raw()["projectKey"] == "PRJ_KEYLOCK"
    assert "OTHER" not in client.list_project_keys()


def test_reads_and_identical_writes_leave_the_digest_unchanged(design, client):
    project = _create(client, "PRJ_DIGEST")
    project.update_variables({"v": 1})
    before = design.digest()
    project.get_summary()
    client.list_projects(include_location=True)
    project.get_settings().save()
    project.set_metadata(project.get_metadata())
    project.set_permissions(project.get_permissions())
    project.set_variables(project.get_variables())
    project.set_tags(project.get_tags())
    assert design.digest() == before
    assert project.get_summary()["versionTag"]["versionNumber"] == 0


def test_permissions_get_and_put(client):
    project = _create(client, "PRJ_PERMS")
    perms = project.get_permissions()
    assert perms == {"owner": "alice", "permissions": PERMS}
    perms["permissions"].append({"group": "writers", "writeProjectContent": True})
    perms["owner"] = "carol"
    project.set_permissions(perms)
    assert project.get_permissions() == perms
    raw = project.get_settings().get_raw()
    assert raw["owner"] == "carol" and raw["permissions"] == perms["permissions"]
    assert project.get_summary()["ownerLogin"] == "carol"


def test_variables_standard_and_local(client):
    project = _create(client, "PRJ_VARS")
    assert project.get_variables() == {"standard": {}, "local": {}}
    project.update_variables({"env": "dev", "n": 3})
    project.update_variables({"env": "prod"}, type="local")
    assert project.get_variables() == {"standard": {"env": "dev", "n": 3}, "local": {"env": "prod"}}
    with pytest.raises(ValueError):  # client-side check: both keys are required
        project.set_variables({"standard": {}})


def test_variables_put_without_both_parts_is_refused_by_the_server(design, client):
    _create(client, "PRJ_VARS_BAD")
    resp = requests.put(design.url + "/dip/publicapi/projects/PRJ_VARS_BAD/variables/", data='{"standard": {}}',
                        auth=(design.api_key, ""), timeout=10)
    assert resp.status_code == 400 and resp.json()["errorType"] == "java.lang.IllegalArgumentException"


def test_resolved_variables_local_overrides_standard(client):
    project = _create(client, "PRJ_RESOLVED")
    project.set_variables({"standard": {"a": "1", "b": {"x": 1}, "c": "std"}, "local": {"c": "loc"}})
    # client.get_resolved_variables() imports the in-DSS `dataiku` package: call the same endpoint directly.
    typed = client._perform_json("GET", "/projects/PRJ_RESOLVED/variables-resolved", params={"typed": "true"})
    assert typed == {"a": "1", "b": {"x": 1}, "c": "loc"}
    untyped = client._perform_json("GET", "/projects/PRJ_RESOLVED/variables-resolved", params={"typed": "false"})
    assert untyped == {"a": "1", "b": '{"x": 1}', "c": "loc"}


def test_tags_definitions(client):
    project = _create(client, "PRJ_TAGS")
    tags = project.get_tags()
    assert set(tags["tags"]) == {"t1", "t2"} and all(t["color"].startswith("#") for t in tags["tags"].values())
    tags["tags"]["t1"]["color"] = "#ff0000"
    tags["tags"]["new"] = {"color": "#00ff00"}
    project.set_tags(tags)
    assert project.get_tags() == tags
    project.set_tags()  # None -> {}: the definitions are reset, the project's tags still show
    assert set(project.get_tags()["tags"]) == {"t1", "t2"}


def test_delete_returns_a_completed_future_and_removes_everything(design, client):
    project = _create(client, "PRJ_DEL")
    project.create_dataset("ds", "Filesystem", params={"connection": "filesystem_managed", "path": "p"})
    project.update_variables({"x": 1})
    future = project.delete()
    assert isinstance(future, DSSFuture) and future.job_id
    assert future.wait_for_result()["error"] is False
    assert future.get_result()["fatal"] is False  # re-reads GET /futures/{jobId}: finished futures stay
    assert "PRJ_DEL" not in client.list_project_keys()
    calls = design.stats()["calls"]
    assert any(c.startswith("DELETE /projects/PRJ_DEL") for c in calls)
    again = _create(client, "PRJ_DEL")  # nothing of the old project survives
    assert again.get_variables() == {"standard": {}, "local": {}}
    assert again.list_datasets() == []


def test_delete_with_wait_false_and_legacy_drop_data(client):
    future = _create(client, "PRJ_DEL2").delete(wait=False, drop_data=True)
    assert future.wait_for_result()["messages"] == []
    future.get_state()
    assert future.state["jobId"] == future.job_id and future.state["hasResult"] is True


def test_active_bundle_state_shows_on_summary_and_list(automation):
    client = automation.client()
    client.create_project("PRJ_ACTIVE", "n", "admin")
    state = {"bundleId": "v7", "activatedOn": "2025-03-31T10:15:30.123+0000", "activatedBy": "admin"}
    seed_docs(automation, [("active_bundle", "PRJ_ACTIVE", "state", state)])
    client = automation.client()
    assert client.get_project("PRJ_ACTIVE").get_summary()["activeBundleState"] == state
    item = [p for p in client.list_projects() if p["projectKey"] == "PRJ_ACTIVE"][0]
    assert item["activeBundleState"]["bundleId"] == "v7"
