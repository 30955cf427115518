"""dataiku_connection_remap against emulated nodes in-process: preflight, merge/exclusive, check/diff, idempotency."""

# pylint: disable=redefined-outer-name,unused-import
import json

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_connection_remap as module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import design_project, emulated
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.remap_nodes import (
    AUTO_URL, DESIGN_URL, landscape, run)

SETTINGS = "GET /projects/P/settings"
IMPORTED = "GET /projects/P/bundles/imported"


def prod(landscape):
    landscape.connections(pg_prod="PostgreSQL", snow_prod="Snowflake")  # filesystem_managed: every node has it
    landscape.imported("v1", {"pg_dev": "PostgreSQL", "filesystem_managed": "Filesystem"})
    return landscape


def test_first_run_writes_once_keeping_other_settings(landscape, capsys):
    auto = prod(landscape).auto
    landscape.container({"remapping": {"containerExecs": [{"source": "k", "target": "e"}]}, "other": True})
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod"}, bundle_id="v1")
    assert not failed, result
    assert result["changed"] is True
    assert auto.writes() == ["PUT /projects/P/settings"]
    settings = landscape.settings()
    assert landscape.remapping()["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    assert landscape.remapping()["containerExecs"] == [{"source": "k", "target": "e"}]
    assert settings["bundleContainerSettings"]["other"] is True
    assert settings["permissions"] == [{"group": "ops"}]
    assert settings["bundleExporterSettings"] == {"exportOptions": {"exportUploads": True}}
    assert "codeEnvs" not in landscape.remapping() and "codeEnvsBehavior" not in settings["bundleContainerSettings"]
    assert result["connections"] == {"pg_dev": "pg_prod"}
    rows = {row["source"]: row for row in result["resolution"]}
    assert rows["pg_dev"] == {"source": "pg_dev", "target": "pg_prod", "type": "PostgreSQL",
                              "target_type": "PostgreSQL", "resolved_by": "mapping", "required": True,
                              "ok": True, "problem": None}
    assert rows["filesystem_managed"]["resolved_by"] == "same_name" and rows["filesystem_managed"]["ok"]


def test_rerun_in_any_order_is_unchanged_without_write(landscape, capsys):
    auto = prod(landscape).auto
    landscape.connections(pg2="PostgreSQL")
    landscape.container({"remapping": {"connections": [
        {"source": "b", "target": "pg2"}, {"source": "pg_dev", "target": "pg_prod"}]}})
    digest = auto.digest()
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod", "b": "pg2"},
                         exclusive=True, diff=True)
    assert not failed, result
    assert result["changed"] is False
    assert auto.writes() == [] and auto.digest() == digest
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_reports_the_same_change_and_diff_without_writing(landscape, capsys):
    auto = prod(landscape).auto
    landscape.container({"remapping": {"connections": [{"source": "old", "target": "pg_prod"}]}})
    args = dict(project_key="P", connections={"pg_dev": "pg_prod"}, code_envs_behavior={"import_time_mode": "FAIL_IF_MISS"})
    failed, checked = run(module, capsys, auto, check_mode=True, diff=True, **args)
    assert not failed, checked
    assert auto.writes() == []
    failed, real = run(module, capsys, auto, diff=True, **args)
    assert not failed, real
    assert auto.writes() == ["PUT /projects/P/settings"]
    assert checked["changed"] is real["changed"] is True
    assert checked["diff"] == real["diff"]
    assert real["diff"]["before"] == {"connections": {"old": "pg_prod"}, "code_envs": {}, "code_envs_behavior": {}}
    assert real["diff"]["after"] == {"connections": {"old": "pg_prod", "pg_dev": "pg_prod"}, "code_envs": {},
                                     "code_envs_behavior": {"importTimeMode": "FAIL_IF_MISS"}}
    assert landscape.settings()["bundleContainerSettings"]["codeEnvsBehavior"] == {"importTimeMode": "FAIL_IF_MISS"}


def test_exclusive_replaces_and_merge_keeps(landscape, capsys):
    auto = prod(landscape).auto
    landscape.container({"remapping": {"connections": [{"source": "old", "target": "pg_prod"}]}})
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod"}, exclusive=True)
    assert not failed, result
    assert landscape.remapping()["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    failed, result = run(module, capsys, auto, project_key="P", connections={}, exclusive=True)
    assert not failed and result["changed"]
    assert landscape.remapping()["connections"] == []


def test_type_mismatch_fails_before_any_write_listing_connections(landscape, capsys):
    auto = prod(landscape).auto
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "snow_prod"})
    assert failed
    assert auto.writes() == []
    msg = result["msg"]
    assert "'pg_dev' -> 'snow_prod'" in msg and "Snowflake vs PostgreSQL" in msg
    assert "filesystem_managed (Filesystem), pg_prod (PostgreSQL), snow_prod (Snowflake)" in msg
    assert result["resolution"][0]["ok"] is False


def test_unknown_target_fails_in_check_mode_too(landscape, capsys):
    landscape.connections(pg_prod="PostgreSQL", snow_prod="Snowflake")
    landscape.auto.client().create_project("P", "P", "admin")  # no bundle: existence only
    auto = landscape.auto
    auto.forget_calls()
    failed, result = run(module, capsys, auto, check_mode=True, project_key="P", connections={"pg_dev": "nope"})
    assert failed
    assert "'pg_dev' -> 'nope'" in result["msg"] and "missing" in result["msg"]
    assert "pg_prod (PostgreSQL)" in result["msg"]
    assert auto.writes() == []


def test_bundle_requirements_must_all_resolve(landscape, capsys):
    auto = prod(landscape).auto
    landscape.imported("v2", {"pg_dev": "PostgreSQL", "s3_dev": "EC2"}, envs=[("PYTHON", "py_dev")])
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod"}, bundle_id="v2")
    assert failed
    assert "bundle v2" in result["msg"]
    assert "connection 's3_dev' -> 's3_dev' (by same name): missing" in result["msg"]
    assert "code env 'py_dev' -> 'py_dev' (by same name): missing: no PYTHON code env 'py_dev'" in result["msg"]
    assert auto.writes() == []


def test_code_envs_by_language_and_install_if_miss(landscape, capsys):
    auto = prod(landscape).auto
    landscape.code_envs(("PYTHON", "py311"), ("R", "py311_r"))
    landscape.imported("v2", {"pg_dev": "PostgreSQL"}, envs=[("PYTHON", "py_dev"), ("R", "r_dev")])
    args = dict(project_key="P", bundle_id="v2", connections={"pg_dev": "pg_prod"},
                code_envs={"py_dev": "py311", "r_dev": "py311"})
    failed, result = run(module, capsys, auto, **args)
    assert failed and "code env 'r_dev' -> 'py311' (by mapping): missing: no R code env 'py311'" in result["msg"]
    failed, result = run(module, capsys, auto, code_envs_behavior={"import_time_mode": "INSTALL_IF_MISS"}, **args)
    assert not failed, result
    assert landscape.remapping()["codeEnvs"] == [{"source": "py_dev", "target": "py311"},
                                                 {"source": "r_dev", "target": "py311"}]
    rows = {row["source"]: row for row in result["code_env_resolution"]}
    assert rows["py_dev"]["ok"] and rows["py_dev"]["language"] == "PYTHON" and rows["py_dev"]["problem"] is None
    assert rows["r_dev"]["ok"] and "installed at preload" in rows["r_dev"]["problem"]


def test_unknown_bundle_lists_imported_ids(landscape, capsys):
    auto = prod(landscape).auto
    failed, result = run(module, capsys, auto, project_key="P", bundle_id="v9", connections={"pg_dev": "pg_prod"})
    assert failed
    assert "Bundle 'v9' is not imported in project P" in result["msg"] and "Imported bundles: v1." in result["msg"]
    assert auto.writes() == []


def test_invalid_input_fails_before_any_request(landscape, capsys):
    failed, result = run(module, capsys, landscape.auto, project_key="bad key", bundle_id="v1#x",
                         connections={"a": "b/c"})
    assert failed
    assert "project_key" in result["msg"] and "bundle_id" in result["msg"] and "connections['a'] target" in result["msg"]
    assert landscape.auto.calls() == []


def test_design_node_is_refused_naming_both_types(emulated, capsys):
    node = emulated("design", AUTO_URL)
    failed, result = run(module, capsys, node, project_key="P", connections={"pg_dev": "pg_prod"})
    assert failed
    assert "AUTOMATION" in result["msg"] and "DESIGN" in result["msg"]
    assert node.calls() == ["GET /instance-info"]


# -- source (bundle not imported yet) and first deployment (project absent) ---------------------------------------

def design_source(landscape, **extra):
    return dict(url=DESIGN_URL, api_key=landscape.design.api_key, **extra)


def test_source_reads_a_bundle_not_imported_yet_from_the_design_node(landscape, capsys):
    auto = prod(landscape).auto
    landscape.exported("v2", {"pg_dev": "PostgreSQL", "s3_dev": "EC2"})
    args = dict(project_key="P", bundle_id="v2", connections={"pg_dev": "pg_prod"}, source=design_source(landscape))
    failed, result = run(module, capsys, auto, check_mode=True, **args)
    assert failed
    assert "bundle v2" in result["msg"] and "connection 's3_dev' -> 's3_dev' (by same name): missing" in result["msg"]
    assert landscape.design.api_key not in json.dumps(result)
    landscape.connections(s3_dev="EC2")
    failed, result = run(module, capsys, auto, secrets=(landscape.design.api_key,), **args)
    assert not failed, result
    assert result["bundle_id"] == "v2" and result["changed"] is True
    assert {row["source"]: row["type"] for row in result["resolution"]} == {"pg_dev": "PostgreSQL", "s3_dev": "EC2"}
    assert landscape.design.calls() == ["GET /instance-info", "GET /projects/P", "GET /projects/P/bundles/exported"] * 2
    assert auto.writes() == ["PUT /projects/P/settings"]


def test_source_is_not_contacted_when_the_bundle_is_imported(landscape, capsys):
    auto = prod(landscape).auto
    failed, result = run(module, capsys, auto, project_key="P", bundle_id="v1", connections={"pg_dev": "pg_prod"},
                         source=design_source(landscape))
    assert not failed, result
    assert landscape.design.calls() == []


def test_source_refusals(landscape, capsys, emulated):
    auto = prod(landscape).auto
    design_project(landscape.design, "P")
    landscape.design.forget_calls()
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod"},
                         source=design_source(landscape))
    assert failed and "source needs bundle_id" in result["msg"]
    failed, result = run(module, capsys, auto, project_key="P", bundle_id="v2",
                         source=design_source(landscape, bundle_id="v3"))
    assert failed and "source.bundle_id 'v3' differs from bundle_id 'v2'" in result["msg"]
    assert auto.calls() == [] and landscape.design.calls() == []
    failed, result = run(module, capsys, auto, project_key="P", bundle_id="v2", source=design_source(landscape))
    assert failed and "bundle v2 is not exported in project P on %s. Exported bundles: none." % DESIGN_URL in result["msg"]
    other = emulated("automation", DESIGN_URL)  # an automation node where the source should be
    failed, result = run(module, capsys, auto, project_key="P", bundle_id="v2",
                         source=dict(url=DESIGN_URL, api_key=other.api_key))
    assert failed and "source needs a DESIGN node" in result["msg"]
    assert auto.writes() == [] and landscape.design.writes() == [] and other.writes() == []


def test_absent_project_is_predicted_from_empty_settings_in_check_mode(landscape, capsys):
    landscape.connections(pg_prod="PostgreSQL")
    auto = landscape.auto
    landscape.exported("v0", {"filesystem_managed": "Filesystem"})
    landscape.exported("v1", {"pg_dev": "PostgreSQL"})
    args = dict(project_key="P", bundle_id="v1", connections={"pg_dev": "pg_prod"}, source=design_source(landscape))
    failed, result = run(module, capsys, auto, check_mode=True, diff=True, **args)
    assert not failed, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {"connections": {}, "code_envs": {}, "code_envs_behavior": {}}
    assert result["diff"]["after"]["connections"] == {"pg_dev": "pg_prod"}
    assert SETTINGS not in auto.calls() and IMPORTED not in auto.calls()
    # Nothing to map: a first deployment of a bundle whose connections exist under the same names.
    failed, result = run(module, capsys, auto, check_mode=True, project_key="P", bundle_id="v0",
                         source=design_source(landscape))
    assert not failed and result["changed"] is False, result
    assert auto.writes() == []


def test_absent_project_fails_a_real_run_clearly(landscape, capsys):
    landscape.connections(pg_prod="PostgreSQL")
    auto = landscape.auto
    auto.client().create_project("OTHER", "OTHER", "admin")
    auto.forget_calls()
    failed, result = run(module, capsys, auto, project_key="P", connections={"pg_dev": "pg_prod"})
    assert failed
    assert result["msg"].startswith("Project P does not exist on %s; import the bundle first" % AUTO_URL)
    assert auto.writes() == [] and SETTINGS not in auto.calls()
