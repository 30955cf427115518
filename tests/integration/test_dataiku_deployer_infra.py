"""dataiku_deployer_infra and dataiku_bundle_publish through ansible-playbook against emulator processes: exact
check mode, idempotence with zero writes, bad input failing before any write, the admin key never shown."""

# pylint: disable=redefined-outer-name
import pytest

from tests.integration.deployer_setup import (INFRA, PUBLISH, assert_refused_each, exported_churn, infra_args,
                                              task)
from tests.integration.test_dataiku_project import assert_clean_failure, closed_port_url
from tests.support.emulator import EmulatorNode
from tests.support.real_node import require_emulator


@pytest.fixture
def nodes(design_node, automation_node):
    require_emulator(design_node)
    return design_node, automation_node


def test_infra_check_create_idempotent_and_key_change(nodes, playbook):
    design, automation = nodes
    args = infra_args(automation, policy="PREVENT")
    args["permissions"] = [{"group": "release-managers", "deploy": True}]
    digest = design.digest()
    check = playbook(tasks=[task(INFRA, design, "infra", **args)], check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("infra")["result"]
    assert predicted["changed"] and design.writes() == 0 and design.digest() == digest

    real = playbook(tasks=[task(INFRA, design, "infra", **args)], diff=True)
    assert real.rc == 0, real
    done = real.task("infra")["result"]
    assert done["changed"] and done["diff"] == predicted["diff"]
    assert done["infra"]["govern_check_policy"] == "PREVENT" and done["infra"]["automation_api_key_set"]
    assert done["infra"]["permissions"] == [{"group": "release-managers", "read": True, "deploy": True,
                                             "admin": False}]
    raw = design.client().get_projectdeployer().get_infra("prod").get_settings().get_raw()
    assert raw["adminApiKey"] == automation.api_key and raw["automationNodeUrl"] == automation.url
    assert raw["bundleContainerSettings"]["remapping"]["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    assert automation.api_key not in real.output and automation.api_key not in check.output

    writes, digest = design.writes(), design.digest()
    again = playbook(tasks=[task(INFRA, design, "infra", **args)], diff=True)
    assert again.rc == 0 and again.task("infra")["status"] == "ok", again
    assert design.writes() == writes and design.digest() == digest

    new_key = {**args, "automation_api_key": "another-admin-key-0123456789", "govern_check_policy": "WARN"}
    check = playbook(tasks=[task(INFRA, design, "infra", **new_key)], check=True, diff=True)
    diff = check.task("infra")["result"]["diff"]
    assert diff["before"]["automation_api_key"] == "********"
    assert diff["after"]["automation_api_key"] == "******** (new)"
    assert diff["after"]["govern_check_policy"] == "WARN" and design.writes() == writes
    on_create = {**new_key, "update_api_key": "on_create", "govern_check_policy": "PREVENT"}
    kept = playbook(tasks=[task(INFRA, design, "infra", **on_create)])
    assert kept.task("infra")["status"] == "ok" and design.writes() == writes, kept

    gone = playbook(tasks=[task(INFRA, design, "delete", infra_id="prod", state="absent")])
    assert gone.task("delete")["status"] == "changed"
    assert design.client().get_projectdeployer().list_infras() == []


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


def test_publish_local_idempotent_and_refusals(nodes, playbook):
    design, automation = nodes
    exported_churn(design, ("v1",))
    digest, writes = design.digest(), design.writes()
    args = dict(project_key="CHURN", bundle_id="v1")
    check = playbook(tasks=[task(PUBLISH, design, "publish", **args)], check=True, diff=True)
    predicted = check.task("publish")["result"]
    assert predicted["changed"] and predicted["method"] == "publish" and predicted["bundle_ids"] == ["v1"]
    assert design.digest() == digest and design.writes() == writes

    real = playbook(tasks=[task(PUBLISH, design, "publish", **args)], diff=True)
    done = real.task("publish")["result"]
    assert done["changed"] and done["diff"] == predicted["diff"]
    status = design.client().get_projectdeployer().get_project("CHURN").get_status()
    assert [b["id"] for b in status.get_bundles()] == ["v1"]

    writes, digest = design.writes(), design.digest()
    again = playbook(tasks=[task(PUBLISH, design, "publish", **args)])
    assert again.task("publish")["status"] == "ok" and design.writes() == writes and design.digest() == digest

    missing = playbook(tasks=[task(PUBLISH, design, "publish", project_key="CHURN", bundle_id="v9")])
    assert_clean_failure(missing, design, "Bundle v9 is not exported in project CHURN", "exported bundles: v1")
    unknown = playbook(tasks=[task(PUBLISH, design, "publish", project_key="NOPE", bundle_id="v1")])
    assert_clean_failure(unknown, design, "project NOPE does not exist on the design node")
    wrong = playbook(tasks=[task(PUBLISH, automation, "publish", **args)])
    assert_clean_failure(wrong, automation, "is a AUTOMATION node")
    assert design.writes() == writes and design.digest() == digest


def test_publish_to_standalone_deployer_streams_the_archive(nodes, playbook):
    design, _automation = nodes
    exported_churn(design, ("v1",))
    with EmulatorNode("deployer") as deployer:
        no_source = playbook(tasks=[task(PUBLISH, deployer, "publish", project_key="CHURN", bundle_id="v1")])
        assert_clean_failure(no_source, deployer, "is a DEPLOYER node: set source")
        args = dict(project_key="CHURN", bundle_id="v1", published_project_key="CHURN_PUB",
                    source={"url": design.url, "api_key": design.api_key})
        real = playbook(tasks=[task(PUBLISH, deployer, "publish", **args)])
        assert real.task("publish")["result"]["method"] == "upload", real
        status = deployer.client().get_projectdeployer().get_project("CHURN_PUB").get_status()
        assert [b["id"] for b in status.get_bundles()] == ["v1"]
        writes = deployer.writes()
        again = playbook(tasks=[task(PUBLISH, deployer, "publish", **args)])
        assert again.task("publish")["status"] == "ok" and deployer.writes() == writes
        assert design.api_key not in real.output and deployer.api_key not in real.output
