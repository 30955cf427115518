"""The Govern gate of dataiku_deployment (the Project Deployer route, with tests, as promote.yml calls it) against
emulated deployer and automation nodes in-process, every request counted as the nodes received it: a refusal writes
nothing. For an existing deployment the module asks Govern first and sends no write request at all; for a new one
DSS answers Govern's status only once the deployment exists, so the creation request is the check: it is the one
write request the refusal sends, DSS refuses it whole, and the run reports changed=false."""

# pylint: disable=redefined-outer-name,unused-import
import pytest

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_deployment
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated, run_module

DEPLOYER_URL = "https://dss-dev.example.com"
AUTO_URL = "https://dss-prod.example.com"
DEPLOYMENT = "CHURN-on-prod"


@pytest.fixture
def nodes(emulated):
    """A design node with its local deployer (CHURN's bundle v1 published, pending in Govern) and infrastructure
    ``prod`` (governCheckPolicy PREVENT) deploying to an automation node."""
    dev = emulated("design", DEPLOYER_URL)
    prod = emulated("automation", AUTO_URL)
    project = dev.client().create_project("CHURN", "CHURN", "admin")
    project.export_bundle("v1")
    project.publish_bundle("v1")
    set_infra(dev, prod, "PREVENT")
    return dev, prod


def set_infra(dev, prod, policy):
    deployer = dev.client().get_projectdeployer()
    if "prod" in [i.id for i in deployer.list_infras()]:
        settings = deployer.get_infra("prod").get_settings()
    else:
        settings = deployer.create_infra("prod", "Production", policy).get_settings()
    settings.get_raw().update(governCheckPolicy=policy, automationNodeUrl=prod.url, adminApiKey=prod.api_key)
    settings.save()
    dev.forget_calls()


def deploy(dev, prod, capsys, bundle_id, check_mode=False):
    return run_module(dataiku_deployment.main, capsys, dev, check_mode=check_mode, deployment_id=DEPLOYMENT,
                      published_project_key="CHURN", infra_id="prod", bundle_id=bundle_id,
                      automation={"url": prod.url, "api_key": prod.api_key}, tests={"prefix": "TEST_"},
                      secrets=(prod.api_key,))


def test_a_new_deployment_refused_by_govern_sends_only_its_creation(nodes, capsys):
    dev, prod = nodes
    digest = dev.digest()
    failed, plan = deploy(dev, prod, capsys, "v1", check_mode=True)
    assert not failed and plan["changed"], plan  # check mode cannot ask Govern before the deployment exists
    govern = [c for c in plan["gates"]["checks"] if c["gate"] == "govern"][0]
    assert govern["status"] == "skip" and govern["reason"] == (
        "DSS asks Govern when it creates deployment CHURN-on-prod (infrastructure prod, governCheckPolicy PREVENT): "
        "unless Govern approved bundle v1, the creation is refused and nothing is created")
    assert dev.writes() == [] and prod.writes() == []

    failed, result = deploy(dev, prod, capsys, "v1")
    assert failed and result["changed"] is False, result
    assert "Bundle v1 of CHURN is not approved in Govern (governance status: PENDING)" in result["msg"], result
    assert "refuses it. Nothing was created. Nothing to restore" in result["msg"], result
    assert "Nothing to restore" in result["msg"] and result["rolled_back"] is False, result
    # The creation, refused by DSS, is the only write request: nothing stored on either node.
    assert dev.writes() == ["POST /project-deployer/deployments"], dev.calls()
    assert prod.writes() == [] and dev.digest() == digest
    assert dev.client().get_projectdeployer().list_deployments() == []


def test_an_existing_deployment_refused_by_govern_sends_no_write(nodes, capsys):
    dev, prod = nodes
    set_infra(dev, prod, "NO_CHECK")
    dev.client().get_projectdeployer().create_deployment(DEPLOYMENT, "CHURN", "prod", "v1")
    project = dev.client().get_project("CHURN")
    project.export_bundle("v2")
    project.publish_bundle("v2")
    set_infra(dev, prod, "PREVENT")
    digest = dev.digest()
    for check_mode in (True, False):  # the same refusal in check mode, before any write
        failed, result = deploy(dev, prod, capsys, "v2", check_mode=check_mode)
        assert failed and result["changed"] is False, result
        assert "Govern refuses bundle v2 for deployment %s" % DEPLOYMENT in result["msg"], result
        assert "governance status: PENDING" in result["msg"], result
        assert dev.writes() == [] and prod.writes() == [], (dev.calls(), prod.calls())
    assert dev.digest() == digest
