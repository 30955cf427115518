"""dataiku_connection_remap_info: current mapping and the resolution table, never a write."""

# pylint: disable=redefined-outer-name,unused-import,unused-argument
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_connection_remap_info as module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.remap_fakes import bundle, fake_client, run


def test_reports_mapping_and_resolution_without_writing(fake_client, capsys):
    fake_client.connections = {"pg_prod": "PostgreSQL", "snow": "Snowflake"}
    fake_client.bundles = [bundle("v1", {"pg_dev": "PostgreSQL", "sf": "Snowflake"})]
    fake_client.settings["bundleContainerSettings"] = {
        "remapping": {"connections": [{"source": "pg_dev", "target": "snow"}], "containerExecs": []},
        "codeEnvsBehavior": {"importTimeMode": "DO_NOTHING"}}
    failed, result = run(module, capsys, check_mode=True, project_key="P", bundle_id="v1")
    assert not failed, result
    assert result["changed"] is False
    assert result["connections"] == {"pg_dev": "snow"}
    assert result["code_envs"] == {}
    assert result["code_envs_behavior"] == {"importTimeMode": "DO_NOTHING"}
    assert result["remapping"]["containerExecs"] == []
    assert result["ok"] is False
    rows = {row["source"]: row for row in result["resolution"]}
    assert not rows["pg_dev"]["ok"] and "Snowflake vs PostgreSQL" in rows["pg_dev"]["problem"]
    assert rows["sf"]["problem"].startswith("missing")
    assert fake_client.writes() == []


def test_without_bundle_only_the_mapping(fake_client, capsys):
    failed, result = run(module, capsys, project_key="P")
    assert not failed, result
    assert result["connections"] == {} and "resolution" not in result
    assert fake_client.calls == ["GET instance-info", "GET settings"]


def test_unknown_bundle_and_bad_ids(fake_client, capsys):
    failed, result = run(module, capsys, project_key="P", bundle_id="v3")
    assert failed and "Imported bundles: none." in result["msg"]
    failed, result = run(module, capsys, project_key="p", bundle_id="a/b")
    assert failed and "project_key" in result["msg"] and "bundle_id" in result["msg"]
