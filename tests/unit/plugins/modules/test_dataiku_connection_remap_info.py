"""dataiku_connection_remap_info against an emulated node in-process: current mapping and the resolution table,
never a write."""

# pylint: disable=redefined-outer-name,unused-import,unused-argument
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_connection_remap_info as module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.remap_nodes import landscape, run


def test_reports_mapping_and_resolution_without_writing(landscape, capsys):
    landscape.connections(pg_prod="PostgreSQL", snow="Snowflake")
    landscape.imported("v1", {"pg_dev": "PostgreSQL", "sf": "Snowflake"})
    landscape.container({"remapping": {"connections": [{"source": "pg_dev", "target": "snow"}], "containerExecs": []},
                         "codeEnvsBehavior": {"importTimeMode": "DO_NOTHING"}})
    digest = landscape.auto.digest()
    failed, result = run(module, capsys, landscape.auto, check_mode=True, project_key="P", bundle_id="v1")
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
    assert landscape.auto.writes() == [] and landscape.auto.digest() == digest


def test_without_bundle_only_the_mapping(landscape, capsys):
    landscape.auto.client().create_project("P", "P", "admin")
    landscape.auto.forget_calls()
    failed, result = run(module, capsys, landscape.auto, project_key="P")
    assert not failed, result
    assert result["connections"] == {} and "resolution" not in result
    assert landscape.auto.calls() == ["GET /instance-info", "GET /projects/P/settings"]


def test_unknown_bundle_and_bad_ids(landscape, capsys):
    landscape.auto.client().create_project("P", "P", "admin")
    failed, result = run(module, capsys, landscape.auto, project_key="P", bundle_id="v3")
    assert failed and "Imported bundles: none." in result["msg"]
    landscape.auto.forget_calls()
    failed, result = run(module, capsys, landscape.auto, project_key="p", bundle_id="a/b")
    assert failed and "project_key" in result["msg"] and "bundle_id" in result["msg"]
    assert landscape.auto.calls() == []
