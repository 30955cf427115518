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

from tests.support import processes
from tests.support.collection import ROOT
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env, run_playbook, snapshot_task
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


def changes(result, host=None):
    return result.task("dataiku_gitops.dss.project_as_code : Publish what changed", host)["result"]["ansible_facts"][
        "project_as_code_changes"]


def plays(node, tmp_path, *steps):
    """Several applies of the role in ONE ansible-playbook run: each step (name, description or None, check mode,
    role variables) a play of its own on a local host named after it (read it with ``host=name``), a snapshot of
    the node after it (``result.snapshot("after <name>")``, no module start)."""
    hosts = {name: {"ansible_connection": "local"} for name, *_rest in steps}
    inventory = tmp_path / "steps-inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    playbook = [dict(snapshot_play(node, "start", steps[0][0]))]
    for name, spec, check, role_vars in steps:
        play = dict(role_play(node, spec, **role_vars)[0], name=name, hosts=name, check_mode=check)
        play["post_tasks"] = [snapshot_task("after %s" % name, node)]
        playbook.append(play)
    return run_playbook(tmp_path, playbook=playbook, inventory=str(inventory), diff=True)


def snapshot_play(node, name, host):
    return {"name": name, "hosts": host, "gather_facts": False, "tasks": [snapshot_task(name, node)]}


@pytest.fixture
def node(design_node):
    require_emulator(design_node)
    return design_node


def test_plan_apply_reapply_change(node, tmp_path):
    """The plan, the apply, the unchanged re-apply, the change's plan and the change: one run, a play each."""
    spec = description()
    spec["recipes"][0]["payload"] += "print('done')\n"
    plan = applied = again = check = changed = plays(
        node, tmp_path, ("plan", None, True, {}), ("apply", None, False, {}), ("again", None, False, {}),
        ("check", spec, True, {}), ("change", spec, False, {}))
    assert plan.rc == 0, plan
    assert plan.snapshot("after plan") == plan.snapshot("start")
    planned = [(c["kind"], c["id"], c["action"]) for c in changes(plan, "plan")]
    assert planned == [("project", "SHOP", "create"), ("dataset", "orders", "create"), ("dataset", "totals", "create"),
                       ("recipe", "compute_totals", "create"), ("scenario", "TEST_TOTALS", "create")]

    assert applied.rc == 0, applied
    assert [(c["kind"], c["id"], c["action"]) for c in changes(applied, "apply")] == planned
    project = node.client().get_project("SHOP")
    recipe = project.get_recipe("compute_totals").get_settings()
    assert recipe.str_payload.startswith("import dataiku") and recipe.data["recipe"]["inputs"]["main"]["items"][0]["ref"] \
        == "orders"
    assert project.get_dataset("totals").get_settings().get_raw()["managed"] is True

    assert again.rc == 0 and [t for t in again.tasks if t["host"] == "again" and t["changed"]] == [], again
    assert changes(again, "again") == []
    assert again.snapshot("after again") == again.snapshot("after apply")

    assert [(c["kind"], c["id"], c["action"]) for c in changes(check, "check")] == [("recipe", "compute_totals", "update")]
    assert check.snapshot("after check")[1] == check.snapshot("after again")[1]
    assert changes(changed, "change") == changes(check, "check")
    assert "print('done')" in project.get_recipe("compute_totals").get_settings().str_payload


def test_exclusive_refuses_data_loss_then_deletes(node, tmp_path):
    """Objects the description does not list (made by hand), the description applied beside them, then applied
    exclusively: refused for the data (the last play of that run), then allowed in a second run."""
    project = node.client().create_project("SHOP", "SHOP", "admin")
    project.create_dataset("by_hand", "Filesystem", params={"connection": "filesystem_managed", "path": "/x"})
    project.new_managed_dataset("by_hand_managed").with_store_into("filesystem_managed").create()
    project.create_scenario("Stray", "step_based", definition={"id": "STRAY", "params": {}})

    applied = refused = plays(node, tmp_path, ("apply", None, False, {}),
                              ("refused", None, False, {"project_as_code_exclusive": True}))
    assert [t for t in applied.tasks if t["host"] == "apply" and t["status"] == "failed"] == [], applied
    assert refused.rc != 0
    msg = refused.tasks[-1]["result"]["msg"]
    assert "by_hand_managed" in msg and "project_as_code_delete_data=true" in msg and "Nothing was changed" in msg
    assert (node.digest(), node.writes()) == refused.snapshot("after apply")

    allowed = run_playbook(tmp_path, playbook=role_play(
        node, project_as_code_exclusive=True, project_as_code_delete_data=True))
    assert allowed.rc == 0, allowed
    assert sorted((c["kind"], c["id"], c["action"]) for c in changes(allowed)) == [
        ("dataset", "by_hand", "delete"), ("dataset", "by_hand_managed", "delete"), ("scenario", "STRAY", "delete")]
    assert sorted(d["name"] for d in project.list_datasets()) == ["orders", "totals"]
    assert [s["id"] for s in project.list_scenarios()] == ["TEST_TOTALS"]


def test_interrupted_apply_converges(node, tmp_path):
    """Kill the node in the middle of the first apply; after a restart, re-applying finishes the job."""
    spec = description()
    spec["datasets"] += [dict(name="extra_%d" % i, type="Filesystem", connection="filesystem_managed",
                              params={"path": "/extra/%d" % i}) for i in range(4)]
    path = tmp_path / "interrupted.yml"
    path.write_text(yaml.safe_dump(role_play(node, spec)))
    proc = processes.popen([ANSIBLE_PLAYBOOK, str(path)], env=ansible_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 300  # a safety stop: under heavy load the first writes come late
        while node.writes() < 3 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        node.kill()
        output = proc.communicate(timeout=300)[0]
    finally:
        processes.stop(proc)
    assert proc.returncode != 0, output  # the apply really was interrupted
    node.start()
    assert "extra_3" not in [d["name"] for d in node.client().get_project("SHOP").list_datasets()]

    resumed = again = plays(node, tmp_path, ("resumed", copy.deepcopy(spec), False, {}), ("again", spec, False, {}))
    assert resumed.rc == 0, resumed
    project = node.client().get_project("SHOP")
    assert sorted(d["name"] for d in project.list_datasets()) == sorted(
        ["orders", "totals"] + ["extra_%d" % i for i in range(4)])
    assert [r["name"] for r in project.list_recipes()] == ["compute_totals"]
    assert again.rc == 0 and [t for t in again.tasks if t["host"] == "again" and t["changed"]] == [], again
    assert again.snapshot("after again")[1] == again.snapshot("after resumed")[1]
