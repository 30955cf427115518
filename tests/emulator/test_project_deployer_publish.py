"""Project Deployer through the official client: node types, publishing from a design node, published projects and
their bundles (list, settings, download, upload, delete), stages and infrastructures."""

import io
import zipfile

import pytest

from tests.emulator.bundles_helpers import DSS_DATE, expect_dss_error
from tests.emulator.deployer_helpers import make_infra, publish_churn
from tests.support.deployer_landscape import govern
from tests.support.emulator import EmulatorNode


@pytest.fixture(scope="module")
def standalone():
    with EmulatorNode("deployer") as node:
        yield node


def test_node_types(design, automation, standalone):
    assert standalone.client().get_instance_info().node_type == "DEPLOYER"
    assert standalone.client().get_projectdeployer().list_projects() == []
    assert design.client().get_projectdeployer().list_stages()  # local deployer
    expect_dss_error("not available on this Automation node", automation.client().get_projectdeployer().list_infras)


def test_publish_list_settings_download_delete(design, tmp_path):
    client = design.client()
    project = publish_churn(client, ("p1", "p2"))
    answer = project.export_bundle("p3") and project.publish_bundle("p3", published_project_key="CHURN_PUB")
    assert answer["publishedProjectKey"] == "CHURN_PUB" and answer["publishedBy"] == "admin"
    assert DSS_DATE.match(answer["publishedOn"])
    expect_dss_error("Bundle p1 already exists in published project CHURN", project.publish_bundle, "p1")
    expect_dss_error("Bundle nope does not exist", project.publish_bundle, "nope")

    deployer = client.get_projectdeployer()
    assert sorted(p.id for p in deployer.list_projects()) == ["CHURN", "CHURN_PUB"]
    raw = deployer.list_projects(as_objects=False)[0]
    assert raw["projectBasicInfo"]["id"] == "CHURN" and raw["canDeploy"] is True
    status = deployer.get_project("CHURN").get_status()
    bundles = status.get_bundles()
    assert [b["id"] for b in bundles] == ["p1", "p2"]
    assert bundles[0]["designNodeInfo"]["projectKey"] == "CHURN" and "archive" not in bundles[0]
    assert status.get_deployments() == [] and status.get_infras() == []

    settings = deployer.get_project("CHURN").get_settings()
    settings.get_raw()["permissions"] = [{"group": "ops", "read": True, "deploy": True, "admin": False}]
    settings.save()
    assert deployer.get_project("CHURN").get_settings().get_raw()["permissions"][0]["group"] == "ops"

    path = tmp_path / "p1.zip"
    deployer.get_project("CHURN").download_bundle_to_file("p1", str(path))
    with zipfile.ZipFile(path) as archive:
        assert "export-manifest.json" in archive.namelist()
    assert deployer.get_project("CHURN").get_project_standards_report("p1") is None

    deployer.get_project("CHURN").delete_bundle("p2")
    assert [b["id"] for b in deployer.get_project("CHURN").get_status().get_bundles()] == ["p1"]
    # The exported bundle still downloads: the published copy shared its archive.
    project.download_exported_bundle_archive_to_file("p2", str(tmp_path / "p2.zip"))
    project.delete_exported_bundle("p1")
    deployer.get_project("CHURN").download_bundle_to_file("p1", str(tmp_path / "again.zip"))
    assert (tmp_path / "again.zip").read_bytes() == path.read_bytes()
    deployer.get_project("CHURN_PUB").delete()
    expect_dss_error("Published project CHURN_PUB does not exist", deployer.get_project("CHURN_PUB").get_status)
    assert client.get_project("CHURN").get_summary()["projectKey"] == "CHURN"  # design project untouched


def test_upload_to_standalone_deployer_and_create_project(design, standalone, tmp_path):
    project = publish_churn(design.client(), ())
    project.export_bundle("u1")
    path = tmp_path / "u1.zip"
    project.download_exported_bundle_archive_to_file("u1", str(path))
    deployer = standalone.client().get_projectdeployer()
    with open(path, "rb") as fp:
        deployer.upload_bundle(fp)
    with open(path, "rb") as fp:
        deployer.upload_bundle(fp, project_key="OTHER")
    assert [b["id"] for b in deployer.get_project("CHURN").get_status().get_bundles()] == ["u1"]
    assert [b["id"] for b in deployer.get_project("OTHER").get_status().get_bundles()] == ["u1"]
    with open(path, "rb") as fp:
        expect_dss_error("already exists", deployer.upload_bundle, fp)
    expect_dss_error("Invalid", deployer.upload_bundle, io.BytesIO(b"not a zip"))
    created = deployer.create_project("EMPTY")
    assert created.get_status().get_bundles() == []
    expect_dss_error("already exists", deployer.create_project, "EMPTY")
    expect_dss_error("only possible from a design node", standalone.client().get_project("CHURN").publish_bundle, "u1")
    assert govern(standalone, "CHURN", "u1")["status"] == "PENDING"


def test_stages_and_infras(design, automation):
    deployer = design.client().get_projectdeployer()
    assert [s["id"] for s in deployer.list_stages()] == ["Development", "Test", "Production"]
    infra = make_infra(deployer, "prod-infra", automation, policy="PREVENT")
    raw = infra.get_settings().get_raw()
    assert raw["stage"] == "Production" and raw["governCheckPolicy"] == "PREVENT"
    assert raw["automationNodeUrl"] == automation.url and raw["adminApiKey"] == automation.api_key
    assert raw["bundleContainerSettings"]["remapping"]["connections"] == [{"source": "pg_dev", "target": "pg_prod"}]
    listed = deployer.list_infras(as_objects=False)
    assert [i["infraBasicInfo"]["id"] for i in listed] == ["prod-infra"] and listed[0]["canDeploy"]
    assert infra.get_status().get_deployments() == []
    assert infra.get_status().get_raw()["infraBasicInfo"]["governCheckPolicy"] == "PREVENT"

    expect_dss_error("Unknown stage 'Moon'", deployer.create_infra, "bad", "Moon")
    expect_dss_error("governCheckPolicy must be one of PREVENT, WARN, NO_CHECK", deployer.create_infra, "bad",
                     "Test", "SOMETIMES")
    expect_dss_error("already exists", deployer.create_infra, "prod-infra", "Production")
    settings = infra.get_settings()
    settings.get_raw()["governCheckPolicy"] = "MAYBE"
    expect_dss_error("governCheckPolicy must be one of", settings.save)
    expect_dss_error("Personal API keys", infra.generate_personal_api_key, "label", "desc")
    scratch = deployer.create_infra("scratch", "Test")
    scratch.delete()
    expect_dss_error("Infrastructure scratch does not exist", scratch.get_settings)
