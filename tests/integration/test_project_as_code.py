"""The project_as_code role through ansible-playbook against emulator processes: plan (check mode), apply,
re-apply unchanged, change, exclusive deletion (refused for data, then allowed), and an apply interrupted by killing
the node, then re-applied until it converges."""

# pylint: disable=redefined-outer-name
import copy
import os
import subprocess
import time

import pytest
import yaml

from tests.support.collection import ROOT
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env
from tests.support.real_node import require_emulator

EXAMPLE = os.path.join(ROOT, "docs", "examples", "project-as-code.yml")


def description():
    with open(EXAMPLE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def role_play(node, spec=None, **role_vars):
    """A play applying the role; ``spec`` (a description mapping) replaces the example file when given."""
    variables = dict(project_as_code_url=node.url, project_as_code_api_key=node.api_key, **role_vars)
    if spec is None:
        variables["project_as_code_file"] = EXAMPLE
    else:
        variables["project_as_code_description"] = spec
    return [{"name": "apply", "hosts": "localhost", "gather_facts": False,
             "roles": [{"role": "dataiku_gitops.dss.project_as_code", "vars": variables}]}]


def changes(result):
    return result.task("dataiku_gitops.dss.project_as_code : Publish what changed")["result"]["ansible_facts"]["project_as_code_changes"]


@pytest.fixture
def node(design_node):
    require_emulator(design_node)
    return design_node


def test_plan_apply_reapply_change(node, playbook):
    digest = node.digest()
    plan = playbook(playbook=role_play(node), check=True, diff=True)
    assert plan.rc == 0, plan
    assert node.writes() == 0 and node.digest() == digest
    planned = [(c["kind"], c["id"], c["action"]) for c in changes(plan)]
    assert planned == [("project", "SHOP", "create"), ("dataset", "orders", "create"), ("dataset", "totals", "create"),
                       ("recipe", "compute_totals", "create"), ("scenario", "TEST_TOTALS", "create")]

    applied = playbook(playbook=role_play(node), diff=True)
    assert applied.rc == 0, applied
    assert [(c["kind"], c["id"], c["action"]) for c in changes(applied)] == planned
    project = node.client().get_project("SHOP")
    recipe = project.get_recipe("compute_totals").get_settings()
    assert recipe.str_payload.startswith("import dataiku") and recipe.data["recipe"]["inputs"]["main"]["items"][0]["ref"] \
        == "orders"
    assert project.get_dataset("totals").get_settings().get_raw()["managed"] is True

    writes, digest = node.writes(), node.digest()
    again = playbook(playbook=role_play(node), diff=True)
    assert again.rc == 0 and again.changed_count() == 0, again
    assert changes(again) == []
    assert node.writes() == writes and node.digest() == digest

    spec = description()
    spec["recipes"][0]["payload"] += "print('done')\n"
    check = playbook(playbook=role_play(node, spec), check=True, diff=True)
    assert [(c["kind"], c["id"], c["action"]) for c in changes(check)] == [("recipe", "compute_totals", "update")]
    assert node.writes() == writes
    changed = playbook(playbook=role_play(node, spec), diff=True)
    assert changes(changed) == changes(check)
    assert "print('done')" in project.get_recipe("compute_totals").get_settings().str_payload


def test_exclusive_refuses_data_loss_then_deletes(node, playbook):
    assert playbook(playbook=role_play(node)).rc == 0
    project = node.client().get_project("SHOP")
    project.create_dataset("by_hand", "Filesystem", params={"connection": "filesystem_managed", "path": "/x"})
    project.new_managed_dataset("by_hand_managed").with_store_into("filesystem_managed").create()
    project.create_scenario("Stray", "step_based", definition={"id": "STRAY", "params": {}})

    writes, digest = node.writes(), node.digest()
    refused = playbook(playbook=role_play(node, project_as_code_exclusive=True))
    assert refused.rc != 0
    msg = refused.tasks[-1]["result"]["msg"]
    assert "by_hand_managed" in msg and "project_as_code_delete_data=true" in msg and "Nothing was changed" in msg
    assert node.writes() == writes and node.digest() == digest

    allowed = playbook(playbook=role_play(node, project_as_code_exclusive=True, project_as_code_delete_data=True))
    assert allowed.rc == 0, allowed
    assert sorted((c["kind"], c["id"], c["action"]) for c in changes(allowed)) == [
        ("dataset", "by_hand", "delete"), ("dataset", "by_hand_managed", "delete"), ("scenario", "STRAY", "delete")]
    assert sorted(d["name"] for d in project.list_datasets()) == ["orders", "totals"]
    assert [s["id"] for s in project.list_scenarios()] == ["TEST_TOTALS"]


def test_interrupted_apply_converges(node, playbook, tmp_path):
    """Kill the node in the middle of the first apply; after a restart, re-applying finishes the job."""
    spec = description()
    spec["datasets"] += [dict(name="extra_%d" % i, type="Filesystem", connection="filesystem_managed",
                              params={"path": "/extra/%d" % i}) for i in range(4)]
    path = tmp_path / "interrupted.yml"
    path.write_text(yaml.safe_dump(role_play(node, spec)))
    with subprocess.Popen([ANSIBLE_PLAYBOOK, str(path)], env=ansible_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        deadline = time.time() + 120
        while node.writes() < 3 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        node.kill()
        output = proc.communicate(timeout=300)[0]
    assert proc.returncode != 0, output  # the apply really was interrupted
    node.start()
    assert "extra_3" not in [d["name"] for d in node.client().get_project("SHOP").list_datasets()]

    resumed = playbook(playbook=role_play(node, copy.deepcopy(spec)))
    assert resumed.rc == 0, resumed
    project = node.client().get_project("SHOP")
    assert sorted(d["name"] for d in project.list_datasets()) == sorted(
        ["orders", "totals"] + ["extra_%d" % i for i in range(4)])
    assert [r["name"] for r in project.list_recipes()] == ["compute_totals"]
    writes = node.writes()
    again = playbook(playbook=role_play(node, spec))
    assert again.rc == 0 and again.changed_count() == 0, again
    assert node.writes() == writes
