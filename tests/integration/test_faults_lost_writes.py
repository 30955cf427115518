"""Writes whose answer is lost in transit (tests/support/fault_proxy.py, kind "lost": DSS did the work, the client
never hears of it) are confirmed by reading, never sent twice: the deployment update start, the git commit and push
of a design project, and the project delete (the rescue of a failed first deployment). The scenario-run start has
its own test in test_faults.py. The proxy's ``matched`` counter says how many times each write was sent."""

# pylint: disable=redefined-outer-name
import pytest

from tests.integration.deployer_setup import DEPLOYMENT, active_bundle, deployer_ready
from tests.support import sample_project as sample
from tests.support.git_remote import git, new_bare_remote
from tests.support.real_node import require_emulator

API = "/dip/publicapi"
KEY = sample.PROJECT_KEY


def _through(proxy, node):
    return {"url": proxy.url, "api_key": node.api_key}


@pytest.fixture
def nodes(design_node, automation_node):
    require_emulator(design_node)
    return design_node, automation_node


def test_a_lost_deployment_update_start_is_followed_not_started_again(nodes, fault_proxy, playbook):
    design, automation = nodes
    deployer_ready(design, automation)
    proxy = fault_proxy(design.url, match="^POST %s/project-deployer/deployments/churn-prod/actions/update$" % API,
                        nth=(1,), kinds=("lost",))
    result = playbook(tasks=[{"name": "deploy", DEPLOYMENT: dict(
        _through(proxy, design), deployment_id="churn-prod", published_project_key=KEY, infra_id="prod",
        bundle_id="v1")}])
    assert result.rc == 0, result
    assert proxy.stats()["matched"] == 1 and proxy.stats()["faults"]["lost"] == 1
    assert active_bundle(automation) == "v1"
    updates = design.client().get_projectdeployer().get_deployment("churn-prod").list_updates()
    assert len(updates) == 1 and updates[0].status == "SUCCESS"


def test_lost_git_commit_and_push_answers_are_confirmed_by_reading(design_node, fault_proxy, playbook, tmp_path):
    require_emulator(design_node)
    remote = new_bare_remote(tmp_path)
    project = sample.seed_design_project(design_node.client())
    settings = project.get_settings()
    settings.get_raw()["settings"]["gitCommitMode"] = "EXPLICIT"
    settings.save()
    project_git = project.get_project_git()
    project_git.commit("Explicit commit mode")
    # The remote and a first push through the official client: the module's first push is not what is tested here.
    project_git.set_remote(remote)
    project_git.push()
    assert git(remote, "log", "-1", "--format=%s", "master") == "Explicit commit mode"
    git_module = "dataiku_gitops.dss.dataiku_project_git"
    sample.change_variable(design_node.client(), 60)
    proxy = fault_proxy(design_node.url, match=r"^POST %s/projects/%s/git/actions/(commit|push)(\?|$)" % (API, KEY),
                        nth=(1, 2), kinds=("lost",))
    result = playbook(tasks=[{"name": "git", git_module: dict(
        _through(proxy, design_node), project_key=KEY, state="pushed", uncommitted="commit",
        commit_message="Threshold 60 days")}])
    assert result.rc == 0, result
    stats = proxy.stats()
    assert [f[2].split("?")[0].rsplit("/", 1)[1] for f in stats["faulted"]] == ["commit", "push"] and stats["matched"] == 2, stats
    assert git(remote, "log", "-1", "--format=%s", "master") == "Threshold 60 days"
    log = project.get_project_git().log(count=2)["entries"]
    assert [e["message"] for e in log][:1] == ["Threshold 60 days"] and log[1]["message"] != "Threshold 60 days"


def test_a_lost_project_delete_answer_is_confirmed_by_reading(automation_node, fault_proxy, playbook):
    require_emulator(automation_node)
    automation_node.client().create_project(KEY, "Churn", "admin")
    proxy = fault_proxy(automation_node.url, match="^DELETE %s/projects/%s" % (API, KEY), nth=(1,), kinds=("lost",))
    result = playbook(tasks=[{"name": "delete", "dataiku_gitops.dss.dataiku_project": dict(
        _through(proxy, automation_node), project_key=KEY, state="absent")}])
    assert result.rc == 0 and result.task("delete")["changed"], result
    assert proxy.stats()["matched"] == 1 and proxy.stats()["faults"]["lost"] == 1
    assert KEY not in [p["projectKey"] for p in automation_node.client().list_projects()]
