"""dataiku_deployer_infra and dataiku_bundle_publish through ansible-playbook against emulator processes: exact
check mode, idempotence with zero writes, bad input failing before any write, the admin key never shown."""

# pylint: disable=redefined-outer-name
import pytest

from tests.integration.deployer_setup import (INFRA, PUBLISH, assert_refused_each, conn, exported_churn, infra_args,
                                              task)
from tests.integration.test_dataiku_project import assert_clean_failure, closed_port_url
from tests.support.playbook import run_cases, save_state_task, snapshot_steps, snapshot_task
from tests.support.real_node import require_emulator


@pytest.fixture
def nodes(design_node, automation_node):
    require_emulator(design_node)
    return design_node, automation_node


def test_infra_check_create_idempotent_and_key_change(nodes, playbook, tmp_path):
    """The plan, the create, its re-run, the key change's plan, on_create and the deletion in one run, snapshots
    between them; the node saved after the create is read through the client after the run."""
    design, automation = nodes
    args = infra_args(automation, policy="PREVENT")
    args["permissions"] = [{"group": "release-managers", "deploy": True}]
    new_key = {**args, "automation_api_key": "another-admin-key-0123456789", "govern_check_policy": "WARN"}
    on_create = {**new_key, "update_api_key": "on_create", "govern_check_policy": "PREVENT"}
    run = check = real = again = kept = gone = playbook(tasks=snapshot_steps(
        design, dict(task(INFRA, design, "check", **args), check_mode=True), task(INFRA, design, "infra", **args),
        save_state_task("save created", design, tmp_path / "created"), task(INFRA, design, "again", **args),
        dict(task(INFRA, design, "check new key", **new_key), check_mode=True), task(INFRA, design, "kept", **on_create),
        task(INFRA, design, "delete", infra_id="prod", state="absent")), diff=True)
    assert check.rc == 0, check
    predicted = check.task("check")["result"]
    assert predicted["changed"] and run.snapshot("after check") == run.snapshot("start") and run.snapshot("start")[1] == 0

    assert real.rc == 0, real
    done = real.task("infra")["result"]
    assert done["changed"] and done["diff"] == predicted["diff"]
    assert done["infra"]["govern_check_policy"] == "PREVENT" and done["infra"]["automation_api_key_set"]
    assert done["infra"]["permissions"] == [{"group": "release-managers", "read": True, "deploy": True,
                                             "admin": False}]
    assert automation.api_key not in real.output and automation.api_key not in check.output

    assert again.rc == 0 and again.task("again")["status"] == "ok", again
    assert run.snapshot("after again") == run.snapshot("after save created")

    diff = check.task("check new key")["result"]["diff"]
    assert diff["before"]["automation_api_key"] == "********"
    assert diff["after"]["automation_api_key"] == "******** (new)"
    assert diff["after"]["govern_check_policy"] == "WARN" and run.snapshot("after check new key")[1] == \
        run.snapshot("after again")[1]
    assert kept.task("kept")["status"] == "ok" and run.snapshot("after kept")[1] == run.snapshot("after again")[1], kept

    assert gone.task("delete")["status"] == "changed"
    assert design.client().get_projectdeployer().list_infras() == []
    design.restore(tmp_path / "created")  # the node as the create left it
    raw = design.client().get_projectdeployer().get_infra("prod").get_settings().get_raw()
    assert raw["adminApiKey"] == automation.api_key and raw["automationNodeUrl"] == automation.url
    assert raw["bundleContainerSettings"]["remapping"]["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]


def test_infra_bad_input_fails_before_any_write(nodes, playbook):
    design, automation = nodes
    digest, writes = design.digest(), design.writes()
    cases = [
        (task(INFRA, design, "x", **{**infra_args(automation), "stage": "Moon"}),
         ["stage 'Moon' is not a stage of this deployer", "Development, Test, Production"]),
        (task(INFRA, design, "x", **infra_args(automation, url=closed_port_url())),
         ["cannot be reached", "check automation_node_url"]),
        (task(INFRA, design, "x", **{**infra_args(automation), "infra_id": "bad/id"}),
         ["infra_id 'bad/id' is not a usable id"]),
        (task(INFRA, design, "x", **{**infra_args(automation), "stage": None}), ["set stage"]),
        (task(INFRA, automation, "x", **infra_args(automation)), ["is a AUTOMATION node", "set url to the deployer"]),
    ]
    assert_refused_each(playbook, cases, automation.api_key, design.api_key)
    assert design.digest() == digest and design.writes() == writes


def test_publish_local_idempotent_and_refusals(nodes, playbook, tmp_path):
    """The plan, the publication and its re-run in one run (snapshots between them); the refusals in another, a host
    each."""
    design, automation = nodes
    exported_churn(design, ("v1",))
    args = dict(project_key="CHURN", bundle_id="v1")
    run = check = real = again = playbook(tasks=snapshot_steps(
        design, dict(task(PUBLISH, design, "check", **args), check_mode=True), task(PUBLISH, design, "publish", **args),
        task(PUBLISH, design, "again", **args)), diff=True)
    predicted = check.task("check")["result"]
    assert predicted["changed"] and predicted["method"] == "publish" and predicted["bundle_ids"] == ["v1"]
    assert run.snapshot("after check") == run.snapshot("start")

    done = real.task("publish")["result"]
    assert done["changed"] and done["diff"] == predicted["diff"]
    status = design.client().get_projectdeployer().get_project("CHURN").get_status()
    assert [b["id"] for b in status.get_bundles()] == ["v1"]

    assert again.task("again")["status"] == "ok" and run.snapshot("after again") == run.snapshot("after publish")

    writes, digest = design.writes(), design.digest()
    cases = {"missing": dict(conn(design), project_key="CHURN", bundle_id="v9"),
             "unknown": dict(conn(design), project_key="NOPE", bundle_id="v1"),
             "wrong": dict(conn(automation), **args)}
    missing = unknown = wrong = run_cases(tmp_path / "refusals", "project", PUBLISH, cases)
    assert_clean_failure(missing, design, "Bundle v9 is not exported in project CHURN", "exported bundles: v1",
                         host="missing")
    assert_clean_failure(unknown, design, "project NOPE does not exist on the design node", host="unknown")
    assert_clean_failure(wrong, automation, "is a AUTOMATION node", host="wrong")
    assert design.writes() == writes and design.digest() == digest


def test_publish_to_standalone_deployer_streams_the_archive(nodes, node_pool, playbook):
    """On the pool's standalone deployer node: the publication, its re-run (snapshots of the node between them) and
    the refusal without a source (the last task: it ends the run) in one run."""
    design, _automation = nodes
    exported_churn(design, ("v1",))
    deployer = node_pool.checkout("deployer")
    args = dict(project_key="CHURN", bundle_id="v1", published_project_key="CHURN_PUB",
                source={"url": design.url, "api_key": design.api_key})
    tasks = [task(PUBLISH, deployer, "publish", **args), snapshot_task("after publish", deployer),
             task(PUBLISH, deployer, "again", **args), snapshot_task("after again", deployer),
             task(PUBLISH, deployer, "no source", project_key="CHURN", bundle_id="v1")]
    no_source = real = again = playbook(tasks=tasks)
    assert_clean_failure(no_source, deployer, "is a DEPLOYER node: set source")
    assert real.task("publish")["result"]["method"] == "upload", real
    status = deployer.client().get_projectdeployer().get_project("CHURN_PUB").get_status()
    assert [b["id"] for b in status.get_bundles()] == ["v1"]
    assert again.task("again")["status"] == "ok" and again.snapshot("after again")[1] == \
        again.snapshot("after publish")[1]
    assert design.api_key not in real.output and deployer.api_key not in real.output
