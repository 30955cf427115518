"""The plays of promote.yml, status.yml and drift.yml that target a whole fleet (every project of an environment is a
host) give a converged project no per-host task (issue 27): each of their tasks runs once for the play (run_once, or
an action that bypasses the host loop such as add_host), and none imports a role, whose implicit end task
(role_complete) would run on every host of the play and compute each host's variables. The plays of queued groups
(projects with work), of localhost and of the hosts with a declared state are per host on purpose."""

import os

import pytest
import yaml

from tests.support.collection import ROOT

PLAYBOOKS = os.path.join(ROOT, "playbooks")
ONCE_ACTIONS = ("ansible.builtin.add_host",)  # BYPASS_HOST_LOOP: one run whatever run_once says
FLEET_PLAYS = {
    "promote.yml": ["Name this run (the owner of the node-side project locks it takes)",
                    "Plan the export on the design node", "Plan the deployment to staging",
                    "Plan the deployment to prod", "Save the plan of this run (-e dss_plan_out, -e dss_plan_markdown)"],
    "status.yml": ["Show the bundle each environment runs"],
    "drift.yml": ["Choose the hosts with a declared state"],
}


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _tasks(items, base, run_once=False):
    """(task, run once) of ``items`` with blocks and the imported or included task files of playbooks/ unfolded (the
    tasks of a file included once run once)."""
    for task in items or []:
        once = task.get("run_once", run_once) is True
        if "block" in task:
            yield from _tasks(task["block"], base, once)
        elif "ansible.builtin.import_tasks" in task or "ansible.builtin.include_tasks" in task:
            included = task.get("ansible.builtin.include_tasks")
            if included:
                yield task, once  # the include itself is a task
            path = os.path.join(base, included or task["ansible.builtin.import_tasks"])
            yield from _tasks(_load(path), os.path.dirname(path), once)
        else:
            yield task, once


def _play(playbook, name):
    plays = [play for play in _load(os.path.join(PLAYBOOKS, playbook)) if play["name"] == name]
    assert len(plays) == 1, "%s: no single play named %r" % (playbook, name)
    return plays[0]


@pytest.mark.parametrize("playbook,name", [(pb, name) for pb, names in FLEET_PLAYS.items() for name in names])
def test_fleet_play_runs_each_task_once(playbook, name):
    play = _play(playbook, name)
    tasks = list(_tasks(play["tasks"], PLAYBOOKS, play.get("run_once", False) is True))
    assert tasks, name
    per_host = [task["name"] for task, once in tasks if not once and not any(a in task for a in ONCE_ACTIONS)]
    assert per_host == [], "%s, play %r: tasks run on every host: %s" % (playbook, name, per_host)
    imported = [task["name"] for task, _once in tasks if "ansible.builtin.import_role" in task]
    assert imported == [], "%s, play %r: imported roles end with a task on every host: %s" % (playbook, name, imported)


def test_design_plan_includes_the_role_for_one_host():
    """The design planning play still reaches the role through the installed collection (no path to roles/: AWX and
    ansible-runner run the playbooks from a project of playbooks/ and inventories/ alone)."""
    tasks = [task for task, once in _tasks(_play("promote.yml", "Plan the export on the design node")["tasks"],
                                           PLAYBOOKS) if once and "ansible.builtin.include_role" in task]
    assert [task["ansible.builtin.include_role"] for task in tasks] == [
        {"name": "dataiku_gitops.dss.bundle_export", "tasks_from": "plan"}]
