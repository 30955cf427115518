"""dataiku_connection_remap(_info) through real ansible-playbook against a design and an automation node.

Setup with the official client: pg_dev (PostgreSQL) on design; pg_prod (PostgreSQL) and snow_prod (Snowflake) on
automation. Project SALES is exported as v0 (only a filesystem_managed dataset, activatable anywhere) and v1 (plus
a dataset on pg_dev); automation imports both and activates v0, so v1 needs the remapping.
"""

# pylint: disable=redefined-outer-name

import io

import pytest

from tests.support.playbook import run_playbook, save_state_task, snapshot_steps, snapshot_task
from tests.support.real_node import require_emulator

KEY = "SALES"
REMAP = "dataiku_gitops.dss.dataiku_connection_remap"
REMAP_INFO = "dataiku_gitops.dss.dataiku_connection_remap_info"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
BUNDLE_INFO = "dataiku_gitops.dss.dataiku_bundle_info"


def _archive(design_project, bundle_id):
    buf = io.BytesIO()
    with design_project.get_exported_bundle_archive_stream(bundle_id) as stream:
        for chunk in stream.iter_content(chunk_size=65536):
            buf.write(chunk)
    buf.seek(0)
    return buf


def promote(design_node, automation_node):
    """The automation project on v0 with v1 imported, not activated."""
    design, auto = design_node.client(), automation_node.client()
    design.create_connection("pg_dev", "PostgreSQL", params={"host": "pg.dev.internal"})
    auto.create_connection("pg_prod", "PostgreSQL", params={"host": "pg.prod.internal"})
    auto.create_connection("snow_prod", "Snowflake", params={"account": "acme"})
    project = design.create_project(KEY, "Sales", "admin")
    project.create_dataset("base", "Filesystem", params={"connection": "filesystem_managed", "path": "base"})
    project.export_bundle("v0")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_dev", "table": "orders"})
    project.export_bundle("v1")
    auto.create_project_from_bundle_archive(_archive(project, "v0"))
    target = auto.get_project(KEY)
    target.preload_bundle("v0")
    target.activate_bundle("v0")
    target.import_bundle_from_stream(_archive(project, "v1"))
    return automation_node


@pytest.fixture
def promoted(design_node, automation_node):
    """The automation project on v0 with v1 imported, not activated."""
    return promote(design_node, automation_node)


def _conn(node):
    # A variable, as in real playbooks: on a failed task ansible-core 2.19 prints the task's source lines, which
    # would show a literal key (that is the playbook's text, not module output).
    return dict(url=node.url, api_key="{{ dss_api_key }}")


def _active(node):
    return node.client().get_project(KEY).get_summary().get("activeBundleState", {}).get("bundleId")


def _remapping(node):
    raw = node.client().get_project(KEY).get_settings().get_raw()
    return (raw.get("bundleContainerSettings") or {}).get("remapping") or {}


def run(playbook, node, **kwargs):
    return playbook(extra_vars={"dss_api_key": node.api_key}, **kwargs)


def _no_secret(result, *nodes):
    for node in nodes:
        assert node.api_key not in result.output


def test_activation_fails_without_remap_and_succeeds_with_it(promoted, design_node, playbook):
    """The refused activation, the state it left (read by dataiku_bundle_info), then the remap and the activation in
    one run."""
    auto = promoted
    activate = {"name": "activate v1", BUNDLE: dict(project_key=KEY, bundle_id="v1", state="active", **_conn(auto))}
    refused = done = run(playbook, auto, tasks=[
        dict(activate, name="activate v1 unmapped", ignore_errors=True),
        {"name": "after the refusal", BUNDLE_INFO: dict(project_key=KEY, **_conn(auto))},
        {"name": "remap", REMAP: dict(project_key=KEY, bundle_id="v1", connections={"pg_dev": "pg_prod"},
                                      **_conn(auto))},
        activate,
        {"name": "info", REMAP_INFO: dict(project_key=KEY, bundle_id="v1", **_conn(auto))},
    ])
    assert refused.task("activate v1 unmapped")["status"] == "ignored", refused
    assert "pg_dev" in refused.task("activate v1 unmapped")["result"]["msg"]
    assert refused.task("after the refusal")["result"]["active_bundle_id"] == "v0"

    assert done.rc == 0, done
    remap = done.task("remap")
    assert remap["status"] == "changed"
    assert remap["result"]["connections"] == {"pg_dev": "pg_prod"}
    rows = {row["source"]: row for row in remap["result"]["resolution"]}
    assert rows["pg_dev"]["target"] == "pg_prod" and rows["pg_dev"]["resolved_by"] == "mapping"
    assert rows["pg_dev"]["type"] == rows["pg_dev"]["target_type"] == "PostgreSQL" and rows["pg_dev"]["ok"]
    assert rows["filesystem_managed"]["resolved_by"] == "same_name" and rows["filesystem_managed"]["ok"]
    info = done.task("info")["result"]
    assert info["ok"] is True and info["connections"] == {"pg_dev": "pg_prod"} and not info["changed"]
    assert _active(auto) == "v1"
    dataset = auto.client().get_project(KEY).get_dataset("orders").get_settings().get_raw()
    assert dataset["params"]["connection"] == "pg_prod"
    _no_secret(refused, auto, design_node)
    _no_secret(done, auto, design_node)


def _source(design_node):
    return dict(url=design_node.url, api_key="{{ design_api_key }}")


def _keys(design_node, auto):
    return {"dss_api_key": auto.api_key, "design_api_key": design_node.api_key}


@pytest.fixture(scope="module")
def preflights(node_pool, tmp_path_factory):
    """The refusals of bad targets and the plans of a bundle not exported yet (none of them writes) in one run on a
    promoted pair of nodes, with snapshots of the nodes before, between and after them. Gives (result, design node,
    automation node, the automation project's remapping after the run)."""
    design, auto = node_pool.checkout("design"), node_pool.checkout("automation")
    require_emulator(auto)
    promote(design, auto)
    remap = dict(project_key=KEY, bundle_id="v4", source=_source(design), **_conn(auto))
    tasks = [
        snapshot_task("start", auto),
        {"name": "type mismatch", "ignore_errors": True,
         REMAP: dict(project_key=KEY, bundle_id="v1", connections={"pg_dev": "snow_prod"}, **_conn(auto))},
        # Without bundle_id the source type comes from the latest import (v1).
        {"name": "type mismatch, latest bundle", "ignore_errors": True,
         REMAP: dict(project_key=KEY, connections={"pg_dev": "snow_prod"}, **_conn(auto))},
        {"name": "unknown target", "ignore_errors": True, "check_mode": True,
         REMAP: dict(project_key=KEY, connections={"pg_dev": "pg_nope"}, **_conn(auto))},
        {"name": "unknown bundle", "ignore_errors": True,
         REMAP: dict(project_key=KEY, bundle_id="v7", connections={"pg_dev": "pg_prod"}, **_conn(auto))},
        {"name": "design node", "ignore_errors": True,
         REMAP: dict(project_key=KEY, connections={"pg_dev": "pg_prod"}, url=design.url,
                     api_key="{{ design_api_key }}")},
        snapshot_task("refused", auto), snapshot_task("refused design", design),
        # A plan exports bundle v4 in an earlier task that check mode does not run.
        {"name": "bad plan", "check_mode": True, "ignore_errors": True,
         REMAP: dict(remap, connections={"pg_dev": "snow_prod"})},
        {"name": "good plan", "check_mode": True, REMAP: dict(remap, connections={"pg_dev": "pg_prod"})},
        {"name": "real run", "ignore_errors": True, REMAP: dict(remap, connections={"pg_dev": "pg_prod"})},
        snapshot_task("planned", auto), snapshot_task("planned design", design)]
    result = run_playbook(tmp_path_factory.mktemp("preflights"), tasks=tasks, extra_vars=_keys(design, auto))
    return result, design, auto, _remapping(auto)


def test_preflight_refuses_bad_targets_writing_nothing(preflights):
    result, design_node, auto, remapping = preflights
    existing = "filesystem_managed (Filesystem), pg_prod (PostgreSQL), snow_prod (Snowflake)"
    for name in ("type mismatch", "type mismatch, latest bundle"):
        task = result.task(name)
        assert task["status"] == "ignored", result
        msg = task["result"]["msg"]
        assert "connection 'pg_dev' -> 'snow_prod' (by mapping): wrong type" in msg
        assert "Snowflake vs PostgreSQL" in msg and existing in msg and "nothing was changed" in msg
    msg = result.task("unknown target")["result"]["msg"]
    assert "connection 'pg_dev' -> 'pg_nope' (by mapping): missing" in msg and existing in msg
    msg = result.task("unknown bundle")["result"]["msg"]
    assert "Bundle 'v7' is not imported" in msg and "Imported bundles: v0, v1." in msg
    msg = result.task("design node")["result"]["msg"]
    assert "needs a AUTOMATION node" in msg and "is a DESIGN node" in msg
    (digest, writes), (digest_before, writes_before) = result.snapshot("refused"), result.snapshot("start")
    assert digest == digest_before
    assert writes == writes_before
    assert remapping == {}
    _no_secret(result, auto, design_node)


def test_check_mode_predicts_a_bundle_the_plan_has_not_exported_yet(preflights):
    """A plan exports bundle v4 in an earlier task that check mode does not run: the preflight predicts the bundle
    from the design project's datasets (what the export would carry), and a real run still needs the export."""
    result, design_node, auto = preflights[:3]
    bad = result.task("bad plan")
    assert bad["status"] == "ignored" and "'pg_dev' -> 'snow_prod' (by mapping): wrong type" in bad["result"]["msg"]
    good = result.task("good plan")["result"]["resolution"]
    rows = {row["source"]: (row["type"], row["target"], row["ok"]) for row in good}
    assert rows["pg_dev"] == ("PostgreSQL", "pg_prod", True), result
    assert rows["filesystem_managed"] == ("Filesystem", "filesystem_managed", True)  # resolved by same name
    real = result.task("real run")
    assert real["status"] == "ignored" and "bundle v4 is not exported" in real["result"]["msg"]
    assert result.snapshot("planned") == result.snapshot("refused")
    assert result.snapshot("planned design")[0] == result.snapshot("refused design")[0]
    _no_secret(result, auto, design_node)


def test_merge_exclusive_check_diff_and_idempotency(promoted, playbook, tmp_path):
    """The check, the merge, its re-run and the exclusive replace in one run: snapshots between them tell what each
    wrote; the node saved after the merge is read through the client after the run."""
    auto = promoted
    require_emulator(auto)
    settings = auto.client().get_project(KEY).get_settings()
    settings.get_raw()["bundleContainerSettings"] = {
        "remapping": {"connections": [{"source": "legacy_dev", "target": "pg_prod"}],
                      "containerExecs": [{"source": "k8s-dev", "target": "eks"}]},
        "codeEnvsBehavior": {"envImportSpecificationMode": "SPECIFIED"}}
    settings.save()
    task = {"name": "remap", REMAP: dict(project_key=KEY, connections={"pg_dev": "pg_prod"},
                                         code_envs_behavior={"import_time_mode": "INSTALL_IF_MISS"}, **_conn(auto))}
    exclusive = dict(task, name="exclusive")
    exclusive[REMAP] = dict(project_key=KEY, connections={"pg_dev": "pg_prod"}, exclusive=True, **_conn(auto))
    checked = applied = again = replaced = run(playbook, auto, tasks=snapshot_steps(
        auto, dict(task, name="checked", check_mode=True), dict(task, name="applied"),
        save_state_task("save applied", auto, tmp_path / "applied"), dict(task, name="again", diff=False),
        exclusive, dict(exclusive, name="exclusive again")), diff=True)

    assert checked.snapshot("after checked") == checked.snapshot("start")
    assert checked.task("checked")["status"] == applied.task("applied")["status"] == "changed", applied
    assert checked.task("checked")["result"]["diff"] == applied.task("applied")["result"]["diff"]
    assert applied.task("applied")["result"]["diff"] == {
        "before": {"connections": {"legacy_dev": "pg_prod"}, "code_envs": {},
                   "code_envs_behavior": {"envImportSpecificationMode": "SPECIFIED"}},
        "after": {"connections": {"legacy_dev": "pg_prod", "pg_dev": "pg_prod"}, "code_envs": {},
                  "code_envs_behavior": {"envImportSpecificationMode": "SPECIFIED",
                                         "importTimeMode": "INSTALL_IF_MISS"}}}
    # the diff callback shows the added entry
    assert "+        \"pg_dev\": \"pg_prod\"" in applied.output_of("applied")

    assert again.task("again")["status"] == "ok" and not again.task("again")["changed"], again
    assert again.snapshot("after again")[1] == again.snapshot("after applied")[1]

    assert replaced.task("exclusive")["status"] == "changed", replaced
    assert replaced.task("exclusive again")["status"] == "ok"
    assert _remapping(auto)["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    assert _remapping(auto)["containerExecs"] == [{"source": "k8s-dev", "target": "eks"}]
    for result in (checked, applied, again, replaced):
        _no_secret(result, auto)

    auto.restore(tmp_path / "applied")  # the node as the merge left it
    raw = auto.client().get_project(KEY).get_settings().get_raw()
    assert raw["bundleContainerSettings"]["remapping"] == {
        "connections": [{"source": "legacy_dev", "target": "pg_prod"}, {"source": "pg_dev", "target": "pg_prod"}],
        "containerExecs": [{"source": "k8s-dev", "target": "eks"}]}
    assert raw["name"] == "Sales"


def test_code_env_remap_checked_by_language_then_applied(promoted, design_node, playbook):
    auto = promoted
    design = design_node.client()
    design.create_code_env("PYTHON", "py_dev", "DESIGN_MANAGED")
    auto.client().create_code_env("PYTHON", "py311", "AUTOMATION_SINGLE")
    auto.client().create_code_env("R", "r_only", "AUTOMATION_SINGLE")
    project = design.get_project(KEY)
    settings = project.get_settings()
    settings.get_raw()["settings"].setdefault("codeEnvs", {})["python"] = {
        "mode": "EXPLICIT_ENV", "envName": "py_dev", "useBuiltinEnv": False}
    settings.save()
    project.export_bundle("v2")
    auto.client().get_project(KEY).import_bundle_from_stream(_archive(project, "v2"))

    def remap(name, envs, **extra):
        args = dict(project_key=KEY, bundle_id="v2", connections={"pg_dev": "pg_prod"}, code_envs=envs,
                    code_envs_behavior={"import_time_mode": "FAIL_IF_MISS"}, **_conn(auto))
        return dict({"name": name, REMAP: args}, **extra)

    result = run(playbook, auto, tasks=[
        remap("wrong language", {"py_dev": "r_only"}, ignore_errors=True),
        remap("good", {"py_dev": "py311"}),
        {"name": "activate v2", BUNDLE: dict(project_key=KEY, bundle_id="v2", state="active", **_conn(auto))},
    ])
    msg = result.task("wrong language")["result"]["msg"]
    assert "code env 'py_dev' -> 'r_only' (by mapping): missing: no PYTHON code env 'r_only'" in msg, result
    assert "Code envs on %s: py311 (PYTHON), r_only (R)." % auto.url in msg
    good = result.task("good")
    assert good["status"] == "changed", result
    assert good["result"]["code_env_resolution"] == [
        {"source": "py_dev", "target": "py311", "language": "PYTHON", "resolved_by": "mapping", "required": True,
         "ok": True, "problem": None}]
    assert _remapping(auto)["codeEnvs"] == [{"source": "py_dev", "target": "py311"}]
    assert result.task("activate v2")["status"] == "changed", result
    raw = auto.client().get_project(KEY).get_settings().get_raw()
    assert raw["settings"]["codeEnvs"]["python"]["envName"] == "py311"
    assert raw["bundleContainerSettings"]["codeEnvsBehavior"] == {"importTimeMode": "FAIL_IF_MISS"}
    _no_secret(result, auto, design_node)


def test_source_preflight_refuses_before_the_upload(promoted, design_node, playbook):
    auto = promoted
    require_emulator(auto)
    project = design_node.client().get_project(KEY)
    project.create_dataset("events", "Snowflake", params={"connection": "snow_dev", "table": "events"})
    project.export_bundle("v3")  # needs pg_dev and snow_dev; not imported on the automation node
    before = auto.stats()
    remap = dict(project_key=KEY, bundle_id="v3", source=_source(design_node), **_conn(auto))
    result = playbook(tasks=[
        {"name": "bad", "ignore_errors": True, REMAP: dict(remap, connections={"pg_dev": "snow_prod"})},
        {"name": "plan", "check_mode": True, REMAP: dict(remap, connections={"pg_dev": "pg_prod", "snow_dev": "snow_prod"})},
    ], extra_vars=_keys(design_node, auto))
    msg = result.task("bad")["result"]["msg"]
    assert "for bundle v3" in msg and "'pg_dev' -> 'snow_prod' (by mapping): wrong type" in msg, result
    assert "'snow_dev' -> 'snow_dev' (by same name): missing" in msg
    plan = result.task("plan")
    assert plan["status"] == "changed" and plan["result"]["bundle_id"] == "v3", result
    rows = {row["source"]: (row["type"], row["target"], row["ok"]) for row in plan["result"]["resolution"]}
    assert rows["snow_dev"] == ("Snowflake", "snow_prod", True) and rows["pg_dev"] == ("PostgreSQL", "pg_prod", True)
    assert auto.digest() == before["state_digest"] and auto.writes() == auto.writes(before)
    _no_secret(result, auto, design_node)


def test_first_deployment_check_mode_predicts_and_real_run_needs_the_import(design_node, automation_node, playbook):
    auto = automation_node
    require_emulator(auto)
    design = design_node.client()
    design.create_connection("pg_dev", "PostgreSQL", params={"host": "pg.dev.internal"})
    auto.client().create_connection("pg_prod", "PostgreSQL", params={"host": "pg.prod.internal"})
    project = design.create_project(KEY, "Sales", "admin")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_dev", "table": "orders"})
    project.export_bundle("v1")
    source = _source(design_node)
    remap = {"name": "remap", REMAP: dict(project_key=KEY, bundle_id="v1", connections={"pg_dev": "pg_prod"},
                                          source=source, **_conn(auto))}
    # The plan, the refusal and the import, remap and activation in one run: snapshots tell what the first two wrote.
    checked = refused = done = playbook(tasks=snapshot_steps(
        auto, dict(remap, name="checked", check_mode=True),
        dict(remap, name="refused", ignore_errors=True, diff=False)) + [
        {"name": "import", BUNDLE: dict(project_key=KEY, bundle_id="v1", state="imported", source=source, **_conn(auto))},
        remap,
        {"name": "activate", BUNDLE: dict(project_key=KEY, bundle_id="v1", state="active", **_conn(auto))},
    ], diff=True, extra_vars=_keys(design_node, auto))
    assert checked.task("checked")["status"] == "changed", checked
    assert checked.task("checked")["result"]["diff"]["before"] == {
        "connections": {}, "code_envs": {}, "code_envs_behavior": {}}
    msg = refused.task("refused")["result"]["msg"]
    assert msg.startswith("Project SALES does not exist on %s; import the bundle first" % auto.url), refused
    assert checked.snapshot("after refused") == checked.snapshot("start")

    assert [done.task(n)["status"] for n in ("import", "remap", "activate")] == ["changed"] * 3, done
    assert done.task("remap")["result"]["diff"] == checked.task("checked")["result"]["diff"]
    assert _active(auto) == "v1"
    for result in (checked, refused, done):
        _no_secret(result, auto, design_node)
