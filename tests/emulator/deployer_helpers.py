"""Shared setup of the Project Deployer fidelity tests: a published CHURN bundle, an infrastructure pointing at an
automation node."""

from tests.support.sample_project import seed_connection, seed_design_project


def publish_churn(design_client, bundle_ids=("v1",), key="CHURN"):
    """The sample CHURN project on the design node, exported and published under each id (local deployer)."""
    if key not in design_client.list_project_keys():
        seed_design_project(design_client)
    project = design_client.get_project(key)
    for bundle_id in bundle_ids:
        project.export_bundle(bundle_id)
        project.publish_bundle(bundle_id)
    return project


def make_infra(deployer, infra_id, automation, policy="NO_CHECK", stage="Production", url=None, remap=True):
    """An infrastructure on `automation` (its pg_prod connection created) remapping pg_dev -> pg_prod."""
    seed_connection(automation.client(), "prod")
    infra = deployer.create_infra(infra_id, stage, govern_check_policy=policy)
    settings = infra.get_settings()
    raw = settings.get_raw()
    raw["automationNodeUrl"] = url or automation.url
    raw["adminApiKey"] = automation.api_key
    if remap:
        raw["bundleContainerSettings"]["remapping"]["connections"] = [{"source": "pg_dev", "target": "pg_prod"}]
    settings.save()
    return infra
