"""Setup shared by the Project Deployer integration tests: the sample CHURN project exported on a design node
(which is also the local deployer) and task builders for the deployer modules."""

from tests.support.sample_project import PROJECT_KEY, seed_connection, seed_design_project

INFRA = "dataiku_gitops.dss.dataiku_deployer_infra"
PUBLISH = "dataiku_gitops.dss.dataiku_bundle_publish"
DEPLOYMENT = "dataiku_gitops.dss.dataiku_deployment"
DEPLOYMENT_INFO = "dataiku_gitops.dss.dataiku_deployment_info"


def conn(node):
    return {"url": node.url, "api_key": node.api_key}


def task(module, node, title, **args):
    return {"name": title, module: dict(conn(node), **args)}


def exported_churn(design, bundle_ids=("v1", "v2")):
    """CHURN on the design node with the given bundles exported (not published)."""
    client = design.client()
    project = seed_design_project(client)
    for bundle_id in bundle_ids:
        project.export_bundle(bundle_id)
    return project


def infra_args(automation, infra_id="prod", policy="NO_CHECK", url=None):
    return dict(infra_id=infra_id, stage="Production", govern_check_policy=policy,
                automation_node_url=url or automation.url, automation_api_key=automation.api_key,
                connections={"pg_dev": "pg_prod"})


def deployer_ready(design, automation, policy="NO_CHECK", bundle_ids=("v1", "v2")):
    """Exported and published CHURN bundles and a prod infrastructure, made through the official client."""
    project = exported_churn(design, bundle_ids)
    for bundle_id in bundle_ids:
        project.publish_bundle(bundle_id)
    seed_connection(automation.client(), "prod")
    deployer = design.client().get_projectdeployer()
    infra = deployer.create_infra("prod", "Production", govern_check_policy=policy)
    settings = infra.get_settings()
    raw = settings.get_raw()
    raw.update(automationNodeUrl=automation.url, adminApiKey=automation.api_key)
    raw["bundleContainerSettings"]["remapping"]["connections"] = [{"source": "pg_dev", "target": "pg_prod"}]
    settings.save()
    return deployer


def active_bundle(automation, key=PROJECT_KEY):
    return (automation.client().get_project(key).get_summary().get("activeBundleState") or {}).get("bundleId")


def assert_refused_each(playbook, cases, *secrets):
    """Run every (task, fragments) case in one ansible-playbook run (ignore_errors) and check each failed with a
    one-line message holding its fragments, without traceback, and that no secret appears in the output."""
    tasks = [dict(task_, name="case %d" % i, ignore_errors=True) for i, (task_, _f) in enumerate(cases)]
    result = playbook(tasks=tasks)
    for i, (_task, fragments) in enumerate(cases):
        record = result.task("case %d" % i)
        msg = record["result"].get("msg", "")
        assert record["status"] == "ignored", (i, record)
        assert all(f in msg for f in fragments), (i, msg)
        assert "Traceback" not in msg and "\n" not in msg.strip(), (i, msg)
    for secret in secrets:
        assert secret not in result.output
    return result
