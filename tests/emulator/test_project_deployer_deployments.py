"""Project Deployer deployments through the official client, with a real automation node behind the
infrastructure: create, update (a future the client polls), health, update history, rollback, Govern policies,
tests, and failed updates (missing connection, unreachable node)."""

import pytest

from tests.emulator.bundles_helpers import expect_dss_error
from tests.emulator.deployer_helpers import make_infra, publish_churn
from tests.support.deployer_landscape import govern
from tests.support.emulator import EmulatorNode
from tests.support.sample_project import PROJECT_KEY, SMOKE_SCENARIO


@pytest.fixture(scope="module")
def deployer(design, automation):
    client = design.client()
    publish_churn(client, ("v1", "v2"))
    dep = client.get_projectdeployer()
    make_infra(dep, "prod", automation, policy="NO_CHECK")
    return dep


def test_create_update_status_history_and_rollback(deployer, automation):
    # Other tests of this module may have run first on this worker: the new deployment is the only one added.
    before = sorted(d.id for d in deployer.list_deployments())
    deployment = deployer.create_deployment("churn-prod", PROJECT_KEY, "prod", "v1")
    assert sorted(d.id for d in deployer.list_deployments()) == sorted(before + ["churn-prod"])
    light = [d for d in deployer.list_deployments(as_objects=False)
             if d["deploymentBasicInfo"]["id"] == "churn-prod"][0]
    assert light["deploymentBasicInfo"]["bundleId"] == "v1" and light["neverEverDeployed"] is True
    status = deployment.get_status()
    assert status.get_health() == "OUT_OF_SYNC"
    assert "never been updated" in status.get_health_messages()["messages"][0]["message"]
    expect_dss_error("never been updated", deployment.get_update)
    assert deployment.list_updates() == []

    settings = deployment.get_settings()
    assert settings.bundle_id == "v1" and settings.published_project_key == PROJECT_KEY
    raw = settings.get_raw()
    assert raw["deployedProjectKey"] == PROJECT_KEY and raw["infraId"] == "prod"
    raw["scenariosToActivate"] = {SMOKE_SCENARIO: True}
    settings.save()

    future = deployment.start_update()
    assert future.job_id
    report = future.wait_for_result()
    assert report["error"] is False and report["fatal"] is False
    auto = automation.client().get_project(PROJECT_KEY)
    assert auto.get_summary()["activeBundleState"]["bundleId"] == "v1"
    assert auto.get_settings().get_raw()["bundleContainerSettings"]["remapping"]["connections"] == [
        {"source": "pg_dev", "target": "pg_prod"}]
    assert auto.get_dataset("customers").get_settings().get_raw()["params"]["connection"] == "pg_prod"
    assert auto.get_scenario(SMOKE_SCENARIO).get_settings().get_raw()["active"] is True
    assert deployment.get_status().get_health() == "HEALTHY"
    assert deployment.get_status().get_heavy()["deployedBundleId"] == "v1"

    settings = deployment.get_settings()
    settings.bundle_id = "v2"
    settings.save()
    assert deployment.get_status().get_health() == "OUT_OF_SYNC"
    deployment.start_update().wait_for_result()
    assert auto.get_summary()["activeBundleState"]["bundleId"] == "v2"

    updates = deployment.list_updates()
    assert [u.status for u in updates] == ["SUCCESS", "SUCCESS"] and updates[0].type == "UPDATE"
    assert updates[0].start_time > updates[1].start_time  # newest first
    last = deployment.get_update()
    assert last.requester == "admin" and last.end_time >= last.start_time
    assert any("Activating bundle v2" in line for line in last.logs)
    assert "previous bundle: v1" in last.logs[0]
    assert updates[1].get_full_update().get_raw()["bundleId"] == "v1"
    assert deployment.get_update(str(updates[1].start_time)).get_raw()["bundleId"] == "v1"

    # Rollback: the previous bundle id, updated again.
    settings = deployment.get_settings()
    settings.bundle_id = "v1"
    settings.save()
    deployment.start_update().wait_for_result()
    assert auto.get_summary()["activeBundleState"]["bundleId"] == "v1"
    assert deployment.get_status().get_health() == "HEALTHY"
    assert deployer.get_infra("prod").get_status().get_deployments()[0].id == "churn-prod"
    assert deployer.get_project(PROJECT_KEY).get_status().get_deployments(infra_id="prod")[0].id == "churn-prod"

    # Tests: the deployer runs the project's test scenarios on the automation node.
    ran = deployment.run_test_scenarios()
    assert ran.nb_total_ran_scenarios == 1
    tested = deployment.get_testing_status(bundle_id="v1")
    while tested.nb_scenarios_per_outcome.get("RUNNING"):
        tested = deployment.get_testing_status(bundle_id="v1")
    assert tested.nb_scenarios_per_outcome == {"SUCCESS": 1}
    assert deployment.get_testing_status(bundle_id="v2").nb_total_ran_scenarios == 0

    expect_dss_error("cannot be changed", _save_with, deployment, publishedProjectKey="OTHER")
    expect_dss_error("Bundle v9 does not exist", _save_with, deployment, bundleId="v9")
    expect_dss_error("Infrastructure nowhere does not exist", _save_with, deployment, infraId="nowhere")
    expect_dss_error("still has deployments", deployer.get_project(PROJECT_KEY).delete)
    expect_dss_error("is used by deployment", deployer.get_infra("prod").delete)
    expect_dss_error("is used by deployment", deployer.get_project(PROJECT_KEY).delete_bundle, "v1")


def _save_with(deployment, **changes):
    settings = deployment.get_settings()
    settings.get_raw().update(changes)
    settings.save()


def test_create_refusals(deployer, automation):
    # A deployment of its own (on an infrastructure of its own): the test does not depend on another having run.
    make_infra(deployer, "refusals", automation)
    deployer.create_deployment("dup-dep", PROJECT_KEY, "refusals", "v1", deployed_project_key="CHURN_DUP")
    expect_dss_error("already exists", deployer.create_deployment, "dup-dep", PROJECT_KEY, "refusals", "v1",
                     deployed_project_key="CHURN_DUP")
    expect_dss_error("Published project NOPE does not exist", deployer.create_deployment, "d", "NOPE", "prod", "v1")
    expect_dss_error("Bundle v7 does not exist", deployer.create_deployment, "d", PROJECT_KEY, "prod", "v7")
    expect_dss_error("Infrastructure nope does not exist", deployer.create_deployment, "d", PROJECT_KEY, "nope", "v1")
    expect_dss_error("Deployment ghost does not exist", deployer.get_deployment("ghost").get_settings)


def test_govern_policies(design, deployer, automation):
    make_infra(deployer, "gated", automation, policy="PREVENT")
    make_infra(deployer, "warned", automation, policy="WARN")
    error = expect_dss_error("(governCheckPolicy PREVENT) refuses it", deployer.create_deployment, "gated-dep",
                             PROJECT_KEY, "gated", "v2", deployed_project_key="CHURN_GATED")
    assert "Bundle v2 of CHURN is not approved in Govern (governance status: PENDING)" in error
    expect_dss_error("ignoreWarnings", deployer.create_deployment, "warned-dep", PROJECT_KEY, "warned", "v2",
                     deployed_project_key="CHURN_WARNED")
    warned = deployer.create_deployment("warned-dep", PROJECT_KEY, "warned", "v2",
                                        deployed_project_key="CHURN_WARNED", ignore_warnings=True)
    report = warned.start_update().wait_for_result()
    assert report["warning"] is True and report["messages"][0]["code"] == "WARN_DEPLOYER_GOVERN_BUNDLE_NOT_APPROVED"
    assert warned.get_status().get_health() == "WARNING"
    assert warned.get_governance_status()["messages"][0]["severity"] == "WARNING"

    assert govern(design, PROJECT_KEY, "v2", "APPROVED")["status"] == "APPROVED"
    gated = deployer.create_deployment("gated-dep", PROJECT_KEY, "gated", "v2", deployed_project_key="CHURN_GATED")
    assert gated.get_governance_status()["messages"][0]["severity"] == "SUCCESS"
    assert gated.get_governance_status(bundle_id="v1")["messages"][0]["isFatal"] is True
    gated.start_update().wait_for_result()
    assert automation.client().get_project("CHURN_GATED").get_summary()["activeBundleState"]["bundleId"] == "v2"

    # Rejected after the settings were saved: the update itself refuses it.
    govern(design, PROJECT_KEY, "v2", "REJECTED")
    expect_dss_error("governance status: REJECTED", gated.start_update().wait_for_result)
    assert gated.get_status().get_health() == "ERROR"
    assert gated.get_update().status == "FAILED"
    assert govern(design, PROJECT_KEY, "v2")["status"] == "REJECTED"


def test_failed_updates_missing_connection_and_unreachable_node(deployer, automation, tmp_path):
    make_infra(deployer, "no-remap", automation, remap=False)
    dep = deployer.create_deployment("no-remap-dep", PROJECT_KEY, "no-remap", "v1", deployed_project_key="CHURN_NR")
    before = automation.digest()
    error = expect_dss_error("failed to activate bundle v1: Cannot activate bundle: connection(s)", dep.start_update().wait_for_result)
    assert "pg_dev" in error
    status = dep.get_status()
    assert status.get_health() == "ERROR" and "pg_dev" in status.get_health_messages()["messages"][0]["message"]
    assert any(line.startswith("ERROR: ") for line in dep.get_update().logs)
    assert automation.digest() != before  # project created and bundle imported, activation refused

    with EmulatorNode("automation") as gone:
        url = gone.url
    make_infra(deployer, "gone", automation, url=url)
    lost = deployer.create_deployment("lost-dep", PROJECT_KEY, "gone", "v1", deployed_project_key="CHURN_LOST")
    error = expect_dss_error("Cannot reach the automation node", lost.start_update().wait_for_result)
    assert "Cannot reach the automation node %s" % url in error
    assert lost.get_status().get_health() == "ERROR"
    assert automation.api_key not in error

    dep.delete()
    expect_dss_error("Deployment no-remap-dep does not exist", dep.get_settings)
