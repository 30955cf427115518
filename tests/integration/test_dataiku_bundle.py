"""dataiku_bundle and dataiku_bundle_info through real ansible-playbook against a design and an automation node.

Every step that changes something is first run with --check --diff: it must write nothing on either node (write
count and state digest unchanged) and predict exactly the `changed` and `diff` of the real run that follows.
"""

import hashlib
import os

import pytest

from tests.support.playbook import run_playbook, save_state_task, snapshot_task
from tests.support.real_node import real_node_or_none, require_emulator

KEY = "CHURN"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
INFO = "dataiku_gitops.dss.dataiku_bundle_info"


def _conn(node):
    return dict(url=node.url, api_key=node.api_key)


def _task(name, node, module=BUNDLE, ignore_errors=False, key=KEY, **args):
    task = {"name": name, module: dict(project_key=key, **_conn(node), **args)}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def _seed_design(design_node, key=KEY):
    client = design_node.client()
    project = client.create_project(key, key.title(), "admin")
    project.create_dataset("customers", "Filesystem", params={"connection": "filesystem_managed", "path": "c"})
    return project


def _snapshot(*nodes):
    return [(node.digest(), node.writes()) for node in nodes]


def _assert_clean(result, *nodes):
    assert "Traceback" not in result.output, result
    for node in nodes:
        assert node.api_key not in result.output, "API key leaked in output"


def _planned(step, tasks, *nodes):
    """A step planned, as a part of ONE run: ``tasks`` in check mode (named "check <name>") between snapshots of
    ``nodes`` (no module start), then for real with the run's --diff; _assert_planned checks that the check wrote
    nothing and predicted ``changed`` and the diff of the real run task by task."""
    require_emulator(nodes[0])
    marks = [snapshot_task("%s: node %d before" % (step, index), node) for index, node in enumerate(nodes)]
    checked = [snapshot_task("%s: node %d after the check" % (step, index), node) for index, node in enumerate(nodes)]
    return marks + [dict(task, name="check " + task["name"], check_mode=True) for task in tasks] + checked + tasks


def _assert_planned(result, step, tasks, *nodes):
    assert result.rc == 0, result
    for index, _node in enumerate(nodes):
        assert result.snapshot("%s: node %d after the check" % (step, index)) == \
            result.snapshot("%s: node %d before" % (step, index)), "check mode wrote to a node"
    for task in tasks:
        predicted, done = result.task("check " + task["name"]), result.task(task["name"])
        assert predicted["changed"] == done["changed"], (task["name"], predicted, done)
        assert predicted["result"].get("diff") == done["result"].get("diff"), (task["name"], predicted, done)
    _assert_clean(result, *nodes)
    return result


def _imported_ids(node, key=KEY):
    return [b["bundleId"] for b in node.client().get_project(key).list_imported_bundles()["bundles"]]


def _active(node, key=KEY):
    return (node.client().get_project(key).get_summary().get("activeBundleState") or {}).get("bundleId")


def test_export_import_activate_rerun_upgrade_rollback(design_node, automation_node, playbook, tmp_path):
    """Two runs (the design project changes between them): export and deploy v1, each planned first, then their
    re-run; export and deploy v2, the roll-back, its re-run and the info modules. Snapshots between the steps (no
    module start) tell what each wrote; the node saved after v2's deployment is read through the client after."""
    _seed_design(design_node)
    nodes = (design_node, automation_node)
    dest_v1, dest_v2 = str(tmp_path / "v1.zip"), str(tmp_path / "v2.zip")
    export_v1 = [_task("export v1", design_node, bundle_id="git-aaa111", state="exported", release_notes="first",
                       dest=dest_v1)]
    deploy_v1 = _task("deploy v1", automation_node, bundle_id="git-aaa111", state="active", src=dest_v1)
    rerun_tasks = [_task("rerun export v1", design_node, bundle_id="git-aaa111", state="exported", dest=dest_v1),
                   dict(deploy_v1, name="rerun deploy v1")]
    tasks = _planned("export v1", export_v1, *nodes) + _planned("deploy v1", [deploy_v1], *nodes)
    tasks += [snapshot_task("before the re-run", design_node), snapshot_task("auto before the re-run", automation_node)]
    tasks += rerun_tasks + [snapshot_task("after the re-run", design_node),
                            snapshot_task("auto after the re-run", automation_node)]
    first = playbook(tasks=tasks, diff=True)

    done = _assert_planned(first, "export v1", export_v1, *nodes)
    exported = done.task("export v1")["result"]
    assert exported["changed"] and exported["exported"] and exported["downloaded"]
    with open(dest_v1, "rb") as fh:
        assert exported["sha256"] == hashlib.sha256(fh.read()).hexdigest()
    assert exported["diff"]["before"]["bundle_ids"] == [] and exported["diff"]["after"]["bundle_ids"] == ["git-aaa111"]

    done = _assert_planned(first, "deploy v1", [deploy_v1], *nodes)
    deployed = done.task("deploy v1")["result"]
    assert deployed["changed"] and deployed["project_created"]
    assert deployed["previous_bundle_id"] is None and deployed["active_bundle_id"] == "git-aaa111"
    assert deployed["report"]["error"] is False and deployed["report"]["fatal"] is False
    assert deployed["uploaded_bytes"] == os.path.getsize(dest_v1)
    assert deployed["diff"] == {
        "before": {"project_exists": False, "active_bundle_id": None, "bundle_ids": []},
        "after": {"project_exists": True, "active_bundle_id": "git-aaa111", "bundle_ids": ["git-aaa111"]}}
    assert _active(automation_node) == "git-aaa111"

    # Re-run of both steps: nothing changes, nothing is written or uploaded on either node.
    rerun = first
    assert rerun.rc == 0, rerun
    assert [rerun.task(task["name"])["changed"] for task in rerun_tasks] == [False, False], rerun
    assert rerun.snapshot("after the re-run") == rerun.snapshot("before the re-run")
    assert rerun.snapshot("auto after the re-run") == rerun.snapshot("auto before the re-run")
    assert rerun.stats_at("auto after the re-run")["bytes_received"] == \
        rerun.stats_at("auto before the re-run")["bytes_received"]
    assert rerun.task("rerun export v1")["result"]["downloaded"] is False
    assert rerun.task("rerun export v1")["result"]["sha256"] == exported["sha256"]

    # A new commit: new bundle id, exported then activated.
    design_node.client().get_project(KEY).set_variables({"standard": {"release": "2"}, "local": {}})
    export_v2 = [_task("export v2", design_node, bundle_id="git-bbb222", state="exported", dest=dest_v2)]
    deploy_v2 = [_task("deploy v2", automation_node, bundle_id="git-bbb222", state="active", src=dest_v2)]
    # Roll back to the previous bundle: no archive needed, nothing uploaded.
    rollback = [_task("rollback", automation_node, bundle_id="git-aaa111", state="active")]
    tasks = _planned("export v2", export_v2, *nodes) + _planned("deploy v2", deploy_v2, *nodes)
    tasks += [save_state_task("save v2", automation_node, tmp_path / "v2-active")]
    tasks += _planned("rollback", rollback, *nodes) + [snapshot_task("after the roll-back", automation_node)]
    # Activating the active bundle again is a no-op with zero writes.
    tasks += [dict(rollback[0], name="rollback again"), snapshot_task("after it again", automation_node),
              _task("design info", design_node, module=INFO), _task("auto info", automation_node, module=INFO)]
    second = playbook(tasks=tasks, diff=True)

    _assert_planned(second, "export v2", export_v2, *nodes)
    done = _assert_planned(second, "deploy v2", deploy_v2, *nodes)
    upgraded = done.task("deploy v2")["result"]
    assert upgraded["changed"] and not upgraded["project_created"]
    assert upgraded["previous_bundle_id"] == "git-aaa111" and upgraded["active_bundle_id"] == "git-bbb222"
    assert upgraded["diff"]["before"]["active_bundle_id"] == "git-aaa111"
    assert upgraded["diff"]["after"] == {"project_exists": True, "active_bundle_id": "git-bbb222",
                                         "bundle_ids": ["git-aaa111", "git-bbb222"]}

    done = _assert_planned(second, "rollback", rollback, *nodes)
    rolled = done.task("rollback")["result"]
    assert rolled["changed"] and rolled["previous_bundle_id"] == "git-bbb222"
    assert rolled["active_bundle_id"] == "git-aaa111" and rolled["uploaded_bytes"] == 0
    assert _active(automation_node) == "git-aaa111"
    assert automation_node.client().get_project(KEY).get_variables()["standard"] == {}
    # Only the activation body ({}) was received: no archive was uploaded.
    received = second.stats_at("rollback: node 1 after the check")["bytes_received"]
    assert second.stats_at("after the roll-back")["bytes_received"] - received < 16

    again = second
    assert again.rc == 0 and not again.task("rollback again")["changed"], again
    assert again.snapshot("after it again")[1] == again.snapshot("after the roll-back")[1]
    # state=active still works, and says where it went (in its result; the run prints a deprecation once).
    deprecated = "dataiku_bundle state=active is deprecated: deploy with dataiku_gitops.dss.dataiku_bundle_deploy"
    assert deprecated in " ".join(again.output.split()) and any(d["msg"].startswith(deprecated) for d in again.task(
        "rollback again")["result"]["deprecations"]), again

    info = second
    assert info.rc == 0, info
    design_info, auto_info = info.task("design info")["result"], info.task("auto info")["result"]
    assert not design_info["changed"] and not auto_info["changed"]
    assert design_info["bundle_ids"] == ["git-aaa111", "git-bbb222"] and design_info["active_bundle_id"] is None
    assert design_info["bundles"][0]["release_notes"] == "first" and design_info["bundles"][0]["exported_on"]
    assert auto_info["active_bundle_id"] == "git-aaa111"
    assert [b["active"] for b in auto_info["bundles"]] == [True, False]
    assert all(b["imported_on"] and b["exported_on"] for b in auto_info["bundles"])
    automation_node.restore(tmp_path / "v2-active")  # the node as deploy v2 left it
    assert automation_node.client().get_project(KEY).get_variables()["standard"] == {"release": "2"}


def test_first_deployment_streamed_from_design_node(design_node, automation_node, playbook, tmp_path,
                                                    tmp_path_factory):
    """The deployment of b1, then of b2 through the existing project (each planned first) and b2's re-run, in one
    run: snapshots between the steps (no module start) tell what each wrote and received; the node saved after b1's
    deployment is read through the client after."""
    project = _seed_design(design_node)
    project.export_bundle("b1")
    with project.get_exported_bundle_archive_stream("b1") as stream:
        archive = stream.content
    project.export_bundle("b2")  # exported before the run: a second bundle for the existing project
    source = dict(_conn(design_node))
    nodes = (design_node, automation_node)
    saved_b1 = tmp_path_factory.mktemp("b1-deployed") / "node"  # not in tmp_path: the run must leave no copy there
    deploy_b1 = [_task("deploy", automation_node, bundle_id="b1", state="active", source=source)]
    deploy_b2 = [_task("deploy b2", automation_node, bundle_id="b2", state="imported", source=source)]
    tasks = _planned("b1", deploy_b1, *nodes) + [snapshot_task("after b1", automation_node),
                                                 save_state_task("save b1", automation_node, saved_b1)]
    tasks += _planned("b2", deploy_b2, *nodes)
    tasks += [snapshot_task("before again", automation_node), dict(deploy_b2[0], name="again"),
              snapshot_task("after again", automation_node)]
    run = playbook(tasks=tasks, diff=True)

    done = _assert_planned(run, "b1", deploy_b1, *nodes)
    result = done.task("deploy")["result"]
    assert result["changed"] and result["project_created"] and result["active_bundle_id"] == "b1"
    assert result["uploaded_bytes"] == len(archive)
    received = run.stats_at("b1: node 1 before")["bytes_received"]
    assert run.stats_at("after b1")["bytes_received"] - received >= len(archive)
    assert os.listdir(tmp_path) == [f for f in os.listdir(tmp_path) if f.startswith("play")], "no local copy"

    # Second bundle through the existing project; re-run uploads nothing.
    second = _assert_planned(run, "b2", deploy_b2, *nodes).task("deploy b2")["result"]
    assert second["changed"] and not second["project_created"] and second["active_bundle_id"] == "b1", second
    assert _imported_ids(automation_node) == ["b1", "b2"] and _active(automation_node) == "b1"
    again = run
    assert again.rc == 0 and not again.task("again")["changed"], again
    assert run.stats_at("after again")["bytes_received"] == run.stats_at("before again")["bytes_received"]
    assert run.snapshot("after again") == run.snapshot("before again")  # nothing written either
    assert again.task("again")["result"]["uploaded_bytes"] == 0
    _assert_clean(again, design_node, automation_node)
    automation_node.restore(saved_b1)  # the node as b1's deployment left it
    assert _imported_ids(automation_node) == ["b1"]


def test_dest_is_not_downloaded_again_unless_it_is_another_export(design_node, playbook, tmp_path):
    """The export (planned first) and its re-run in one run, snapshots between them; then the same id exported again
    on DSS and the export run once more."""
    project = _seed_design(design_node)
    project.export_bundle("b1")
    dest = str(tmp_path / "b1.zip")
    export = _task("export", design_node, bundle_id="b1", state="exported", dest=dest)
    tasks = _planned("export", [export], design_node) + [
        snapshot_task("before again", design_node), dict(export, name="again"),
        snapshot_task("after again", design_node)]
    done = _assert_planned(playbook(tasks=tasks, diff=True), "export", [export], design_node)
    first = done.task("export")["result"]
    assert first["changed"] and first["downloaded"] and not first["exported"]

    def archive_gets(stats=None):
        return sum(1 for call in (stats or design_node.stats())["calls"]
                   if call.endswith("/bundles/exported/b1/archive"))

    again = done
    result = again.task("again")["result"]
    assert not result["changed"] and not result["downloaded"] and result["sha256"] == first["sha256"]
    assert archive_gets(again.stats_at("after again")) == archive_gets(again.stats_at("before again"))
    assert again.snapshot("after again") == again.snapshot("before again")  # nothing written either
    with open(dest, "rb") as fh:
        assert first["sha256"] == hashlib.sha256(fh.read()).hexdigest()

    # Same id deleted and exported again on DSS: another export, so the local copy is replaced.
    project.delete_exported_bundle("b1")
    project.export_bundle("b1")
    gets = archive_gets()
    replaced = playbook(tasks=[export])
    assert replaced.task("export")["changed"] and replaced.task("export")["result"]["downloaded"], replaced
    assert archive_gets() == gets + 1
    with open(dest, "rb") as fh:
        assert replaced.task("export")["result"]["sha256"] == hashlib.sha256(fh.read()).hexdigest()


def test_keep_last_on_both_nodes(design_node, automation_node, playbook, tmp_path):
    project = _seed_design(design_node)
    for bundle_id in ("k1", "k2", "k3"):
        project.export_bundle(bundle_id)
    source = _conn(design_node)
    auto = automation_node.client()  # k1..k3 imported through the client: set-up without an ansible-playbook run
    for bundle_id in ("k1", "k2", "k3"):
        with project.get_exported_bundle_archive_stream(bundle_id) as stream:
            if bundle_id == "k1":
                auto.create_project_from_bundle_archive(stream.raw)
            else:
                auto.get_project(KEY).import_bundle_from_stream(stream.raw)
    assert _imported_ids(automation_node) == ["k1", "k2", "k3"]
    automation_node.client().get_project(KEY).preload_bundle("k1")
    automation_node.client().get_project(KEY).activate_bundle("k1")
    project.export_bundle("k4")

    deploy_k4 = [_task("deploy k4", automation_node, bundle_id="k4", state="imported", source=source, keep_last=2)]
    trim = [_task("trim design", design_node, state="absent", keep_last=1)]
    delete_k4 = [_task("delete k4", automation_node, bundle_id="k4", state="absent")]
    nodes = (design_node, automation_node)
    tasks = _planned("deploy k4", deploy_k4, *nodes) + [save_state_task("save k4", automation_node, tmp_path / "k4")]
    tasks += _planned("trim", trim, design_node) + _planned("delete k4", delete_k4, *nodes)
    tasks += [dict(delete_k4[0], name="delete k4 twice")]
    result = playbook(tasks=tasks, diff=True)

    done = _assert_planned(result, "deploy k4", deploy_k4, *nodes)
    result = done.task("deploy k4")["result"]
    assert result["deleted_bundle_ids"] == ["k2", "k3"]  # k1 is active and k4 was just imported

    done = _assert_planned(done, "trim", trim, design_node)
    assert done.task("trim design")["result"]["deleted_bundle_ids"] == ["k1", "k2", "k3"]
    assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["k4"]

    done = _assert_planned(done, "delete k4", delete_k4, *nodes)
    assert done.task("delete k4")["changed"]
    twice = done
    assert twice.rc == 0 and not twice.task("delete k4 twice")["changed"]
    automation_node.restore(tmp_path / "k4")  # the node as deploy k4 left it
    assert _imported_ids(automation_node) == ["k1", "k4"]


def _deploy_d1_with_d2(design_node, automation_node):
    """CHURN exported as d1, d2 (d2 with a dataset on pg_dev, a connection automation lacks); automation runs d1."""
    client = design_node.client()
    client.create_connection("pg_dev", "PostgreSQL", params={"host": "pg.dev.internal"})
    project = _seed_design(design_node)
    project.export_bundle("d1")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_dev", "table": "orders"})
    project.export_bundle("d2")
    auto = automation_node.client()
    with project.get_exported_bundle_archive_stream("d1") as stream:
        auto.create_project_from_bundle_archive(stream.raw)
    auto.get_project(KEY).preload_bundle("d1")
    auto.get_project(KEY).activate_bundle("d1")
    with project.get_exported_bundle_archive_stream("d2") as stream:
        auto.get_project(KEY).import_bundle_from_stream(stream.raw)


def _bad_inputs(design, auto, folder):
    """(name, task, fragment of its message): each refused before it writes anything."""
    corrupt = folder / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with design.client().get_project(KEY).get_exported_bundle_archive_stream("d1") as stream:
        good = folder / "d1.zip"
        good.write_bytes(stream.content)
    return [
        ("hash in id", _task("hash in id", design, bundle_id="v1#x", state="exported"), "not a valid bundle id"),
        ("slash in id", _task("slash in id", auto, bundle_id="v1/x", state="active"), "not a valid bundle id"),
        ("missing archive", _task("missing archive", auto, bundle_id="d9", state="active",
                                  src=str(folder / "nope.zip")), "does not exist"),
        ("corrupt archive", _task("corrupt archive", auto, bundle_id="d9", state="active", src=str(corrupt)),
         "not a valid zip"),
        ("unknown rollback", _task("unknown rollback", auto, bundle_id="d0", state="active"), "d1, d2"),
        ("export on automation", _task("export on automation", auto, bundle_id="d3", state="exported"),
         "needs a DESIGN node"),
        ("import on design", _task("import on design", design, bundle_id="d1", state="imported", src=str(good)),
         "needs a AUTOMATION node"),
        ("wrong key", _task("wrong key", auto, key="CHURN_PROD", bundle_id="d1", state="active", src=str(good)),
         "exported from project CHURN"),
        ("delete active", _task("delete active", auto, bundle_id="d1", state="absent"), "active bundle"),
    ]


@pytest.fixture(scope="module")
def refused(node_pool, tmp_path_factory):
    """On d1 running with d2 imported (``_deploy_d1_with_d2``), ONE run: the bad inputs in check mode (named "check
    <name>"), then for real, snapshots of both nodes after each half, then the activation of d2 that the node
    refuses. Gives (design, auto, the cases, the run, (digest, writes) of both nodes before it, the active bundle
    after it). On a real DSS the run is the refused activation alone: the snapshots read the emulator's counters."""
    design = real_node_or_none("design") or node_pool.checkout("design")
    auto = real_node_or_none("automation") or node_pool.checkout("automation")
    _deploy_d1_with_d2(design, auto)
    fatal = _task("activate d2", auto, bundle_id="d2", state="active", ignore_errors=True)
    if not all(getattr(node, "is_emulator", True) for node in (design, auto)):
        result = run_playbook(tmp_path_factory.mktemp("refused"), tasks=[fatal])
        return design, auto, [], result, None, _active(auto)
    cases = _bad_inputs(design, auto, tmp_path_factory.mktemp("bad-inputs"))
    tasks = [dict(task, ignore_errors=True) for _name, task, _fragment in cases]
    before = _snapshot(design, auto)
    checked = [dict(task, name="check " + task["name"], check_mode=True) for task in tasks]
    marks = {prefix: [snapshot_task("%s: node %d" % (prefix or "real", index), node)
                      for index, node in enumerate((design, auto))] for prefix in ("check ", "")}
    result = run_playbook(tmp_path_factory.mktemp("refused"), tasks=checked + marks["check "] + tasks + marks[""]
                          + [fatal])
    return design, auto, cases, result, before, _active(auto)


def test_bad_inputs_fail_clearly_and_change_nothing(refused):
    design, auto, cases, result, before = refused[:5]
    require_emulator(design)  # the snapshots read the emulator's counters
    for prefix in ("check ", ""):
        _assert_clean(result, design, auto)
        assert [result.snapshot("%s: node %d" % (prefix or "real", index))[0] for index in (0, 1)] == \
            [before[0][0], before[1][0]]
        for name, _task_dict, fragment in cases:
            record = result.task(prefix + name)
            assert record["status"] == "ignored", (name, record)
            assert fragment in record["result"]["msg"], (name, record["result"]["msg"])
            assert "Traceback" not in record["result"]["msg"]
    after = [result.snapshot("real: node %d" % index) for index in (0, 1)]
    assert after == before, "a refused task wrote something"


def test_fatal_activation_keeps_previous_bundle(refused):
    design, auto, _cases, result, _before, active = refused
    record = result.task("activate d2")
    assert record["status"] == "ignored", record
    assert "pg_dev" in record["result"]["msg"] and "active bundle is d1" in record["result"]["msg"]
    assert record["result"]["active_bundle_id"] == "d1"
    assert active == "d1"
    _assert_clean(result, design, auto)
