"""dataiku_connection_remap against an in-memory client: preflight, merge/exclusive, check/diff, idempotency."""

# pylint: disable=redefined-outer-name,unused-import
import json

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_connection_remap as module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.remap_fakes import (
    DESIGN_URL, bundle, fake_client, run)


def prod(fake_client):
    fake_client.connections = {"pg_prod": "PostgreSQL", "snow_prod": "Snowflake", "filesystem_managed": "Filesystem"}
    fake_client.bundles = [bundle("v1", {"pg_dev": "PostgreSQL", "filesystem_managed": "Filesystem"})]
    return fake_client


def remapping(client):
    return client.settings.get("bundleContainerSettings", {}).get("remapping", {})


def test_first_run_writes_once_keeping_other_settings(fake_client, capsys):
    client = prod(fake_client)
    client.settings["bundleContainerSettings"] = {"remapping": {"containerExecs": [{"source": "k", "target": "e"}]},
                                                  "other": True}
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"}, bundle_id="v1")
    assert not failed, result
    assert result["changed"] is True
    assert client.writes() == ["PUT settings"]
    assert remapping(client)["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    assert remapping(client)["containerExecs"] == [{"source": "k", "target": "e"}]
    assert client.settings["bundleContainerSettings"]["other"] is True
    assert client.settings["permissions"] == [{"group": "ops"}]
    assert client.settings["bundleExporterSettings"] == {"exportOptions": {"exportUploads": True}}
    assert "codeEnvs" not in remapping(client) and "codeEnvsBehavior" not in client.settings["bundleContainerSettings"]
    assert result["connections"] == {"pg_dev": "pg_prod"}
    rows = {row["source"]: row for row in result["resolution"]}
    assert rows["pg_dev"] == {"source": "pg_dev", "target": "pg_prod", "type": "PostgreSQL",
                              "target_type": "PostgreSQL", "resolved_by": "mapping", "required": True,
                              "ok": True, "problem": None}
    assert rows["filesystem_managed"]["resolved_by"] == "same_name" and rows["filesystem_managed"]["ok"]


def test_rerun_in_any_order_is_unchanged_without_write(fake_client, capsys):
    client = prod(fake_client)
    client.connections["pg2"] = "PostgreSQL"
    client.settings["bundleContainerSettings"] = {"remapping": {"connections": [
        {"source": "b", "target": "pg2"}, {"source": "pg_dev", "target": "pg_prod"}]}}
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod", "b": "pg2"},
                         exclusive=True, diff=True)
    assert not failed, result
    assert result["changed"] is False
    assert client.writes() == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_reports_the_same_change_and_diff_without_writing(fake_client, capsys):
    client = prod(fake_client)
    client.settings["bundleContainerSettings"] = {"remapping": {"connections": [{"source": "old", "target": "pg_prod"}]}}
    args = dict(project_key="P", connections={"pg_dev": "pg_prod"}, code_envs_behavior={"import_time_mode": "FAIL_IF_MISS"})
    failed, checked = run(module, capsys, check_mode=True, diff=True, **args)
    assert not failed, checked
    assert client.writes() == []
    failed, real = run(module, capsys, diff=True, **args)
    assert not failed, real
    assert client.writes() == ["PUT settings"]
    assert checked["changed"] is real["changed"] is True
    assert checked["diff"] == real["diff"]
    assert real["diff"]["before"] == {"connections": {"old": "pg_prod"}, "code_envs": {}, "code_envs_behavior": {}}
    assert real["diff"]["after"] == {"connections": {"old": "pg_prod", "pg_dev": "pg_prod"}, "code_envs": {},
                                     "code_envs_behavior": {"importTimeMode": "FAIL_IF_MISS"}}
    assert client.settings["bundleContainerSettings"]["codeEnvsBehavior"] == {"importTimeMode": "FAIL_IF_MISS"}


def test_exclusive_replaces_and_merge_keeps(fake_client, capsys):
    client = prod(fake_client)
    client.settings["bundleContainerSettings"] = {"remapping": {"connections": [{"source": "old", "target": "pg_prod"}]}}
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"}, exclusive=True)
    assert not failed, result
    assert remapping(client)["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    failed, result = run(module, capsys, project_key="P", connections={}, exclusive=True)
    assert not failed and result["changed"]
    assert remapping(client)["connections"] == []


def test_type_mismatch_fails_before_any_write_listing_connections(fake_client, capsys):
    client = prod(fake_client)
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "snow_prod"})
    assert failed
    assert client.writes() == []
    msg = result["msg"]
    assert "'pg_dev' -> 'snow_prod'" in msg and "Snowflake vs PostgreSQL" in msg
    assert "filesystem_managed (Filesystem), pg_prod (PostgreSQL), snow_prod (Snowflake)" in msg
    assert result["resolution"][0]["ok"] is False


def test_unknown_target_fails_in_check_mode_too(fake_client, capsys):
    client = prod(fake_client)
    client.bundles = []  # no bundle: existence only
    failed, result = run(module, capsys, check_mode=True, project_key="P", connections={"pg_dev": "nope"})
    assert failed
    assert "'pg_dev' -> 'nope'" in result["msg"] and "missing" in result["msg"]
    assert "pg_prod (PostgreSQL)" in result["msg"]
    assert client.writes() == []


def test_bundle_requirements_must_all_resolve(fake_client, capsys):
    client = prod(fake_client)
    client.bundles.append(bundle("v2", {"pg_dev": "PostgreSQL", "s3_dev": "EC2"}, envs=[("PYTHON", "py_dev")]))
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"}, bundle_id="v2")
    assert failed
    assert "bundle v2" in result["msg"]
    assert "connection 's3_dev' -> 's3_dev' (by same name): missing" in result["msg"]
    assert "code env 'py_dev' -> 'py_dev' (by same name): missing: no PYTHON code env 'py_dev'" in result["msg"]
    assert client.writes() == []


def test_code_envs_by_language_and_install_if_miss(fake_client, capsys):
    client = prod(fake_client)
    client.envs = [("PYTHON", "py311"), ("R", "py311_r")]
    client.bundles.append(bundle("v2", {"pg_dev": "PostgreSQL"}, envs=[("PYTHON", "py_dev"), ("R", "r_dev")]))
    args = dict(project_key="P", bundle_id="v2", connections={"pg_dev": "pg_prod"},
                code_envs={"py_dev": "py311", "r_dev": "py311"})
    failed, result = run(module, capsys, **args)
    assert failed and "code env 'r_dev' -> 'py311' (by mapping): missing: no R code env 'py311'" in result["msg"]
    failed, result = run(module, capsys, code_envs_behavior={"import_time_mode": "INSTALL_IF_MISS"}, **args)
    assert not failed, result
    assert remapping(client)["codeEnvs"] == [{"source": "py_dev", "target": "py311"},
                                             {"source": "r_dev", "target": "py311"}]
    rows = {row["source"]: row for row in result["code_env_resolution"]}
    assert rows["py_dev"]["ok"] and rows["py_dev"]["language"] == "PYTHON" and rows["py_dev"]["problem"] is None
    assert rows["r_dev"]["ok"] and "installed at preload" in rows["r_dev"]["problem"]


def test_unknown_bundle_lists_imported_ids(fake_client, capsys):
    client = prod(fake_client)
    failed, result = run(module, capsys, project_key="P", bundle_id="v9", connections={"pg_dev": "pg_prod"})
    assert failed
    assert "Bundle 'v9' is not imported in project P" in result["msg"] and "Imported bundles: v1." in result["msg"]
    assert client.writes() == []


def test_invalid_input_fails_before_any_request(fake_client, capsys):
    failed, result = run(module, capsys, project_key="bad key", bundle_id="v1#x", connections={"a": "b/c"})
    assert failed
    assert "project_key" in result["msg"] and "bundle_id" in result["msg"] and "connections['a'] target" in result["msg"]
    assert fake_client.calls == []


def test_design_node_is_refused_naming_both_types(fake_client, capsys):
    fake_client.node_type = "DESIGN"
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"})
    assert failed
    assert "AUTOMATION" in result["msg"] and "DESIGN" in result["msg"]
    assert fake_client.calls == ["GET instance-info"]


# -- source (bundle not imported yet) and first deployment (project absent) ---------------------------------------

def design_source(**extra):
    return dict(url=DESIGN_URL, api_key="design-secret-key-77aa", **extra)


def test_source_reads_a_bundle_not_imported_yet_from_the_design_node(fake_client, capsys):
    client = prod(fake_client)
    client.design.exported = [bundle("v2", {"pg_dev": "PostgreSQL", "s3_dev": "EC2"})]
    args = dict(project_key="P", bundle_id="v2", connections={"pg_dev": "pg_prod"}, source=design_source())
    failed, result = run(module, capsys, check_mode=True, **args)
    assert failed
    assert "bundle v2" in result["msg"] and "connection 's3_dev' -> 's3_dev' (by same name): missing" in result["msg"]
    assert "design-secret-key-77aa" not in json.dumps(result)
    client.connections["s3_dev"] = "EC2"
    failed, result = run(module, capsys, **args)
    assert not failed, result
    assert result["bundle_id"] == "v2" and result["changed"] is True
    assert {row["source"]: row["type"] for row in result["resolution"]} == {"pg_dev": "PostgreSQL", "s3_dev": "EC2"}
    assert client.design.calls == ["GET instance-info", "GET projects", "GET exported bundles"] * 2
    assert client.writes() == ["PUT settings"]


def test_source_is_not_contacted_when_the_bundle_is_imported(fake_client, capsys):
    client = prod(fake_client)
    failed, result = run(module, capsys, project_key="P", bundle_id="v1", connections={"pg_dev": "pg_prod"},
                         source=design_source())
    assert not failed, result
    assert client.design.calls == []


def test_source_refusals(fake_client, capsys):
    client = prod(fake_client)
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"}, source=design_source())
    assert failed and "source needs bundle_id" in result["msg"]
    failed, result = run(module, capsys, project_key="P", bundle_id="v2", source=design_source(bundle_id="v3"))
    assert failed and "source.bundle_id 'v3' differs from bundle_id 'v2'" in result["msg"]
    assert client.calls == [] and client.design.calls == []
    failed, result = run(module, capsys, project_key="P", bundle_id="v2", source=design_source())
    assert failed and "bundle v2 is not exported in project P on %s. Exported bundles: none." % DESIGN_URL in result["msg"]
    client.design.node_type = "AUTOMATION"
    failed, result = run(module, capsys, project_key="P", bundle_id="v2", source=design_source())
    assert failed and "source needs a DESIGN node" in result["msg"]
    assert client.writes() == [] and client.design.writes() == []


def test_absent_project_is_predicted_from_empty_settings_in_check_mode(fake_client, capsys):
    client = prod(fake_client)
    client.project_keys = []
    client.design.exported = [bundle("v0", {"filesystem_managed": "Filesystem"}), bundle("v1", {"pg_dev": "PostgreSQL"})]
    args = dict(project_key="P", bundle_id="v1", connections={"pg_dev": "pg_prod"}, source=design_source())
    failed, result = run(module, capsys, check_mode=True, diff=True, **args)
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {"connections": {}, "code_envs": {}, "code_envs_behavior": {}}
    assert result["diff"]["after"]["connections"] == {"pg_dev": "pg_prod"}
    assert "GET settings" not in client.calls and "GET bundles" not in client.calls
    # Nothing to map: a first deployment of a bundle whose connections exist under the same names.
    failed, result = run(module, capsys, check_mode=True, project_key="P", bundle_id="v0", source=design_source())
    assert not failed and result["changed"] is False, result
    assert client.writes() == []


def test_absent_project_fails_a_real_run_clearly(fake_client, capsys):
    client = prod(fake_client)
    client.project_keys = ["OTHER"]
    failed, result = run(module, capsys, project_key="P", connections={"pg_dev": "pg_prod"})
    assert failed
    assert result["msg"].startswith("Project P does not exist on https://dss-auto.example.com; import the bundle first")
    assert client.writes() == [] and "GET settings" not in client.calls
