"""playbooks/environment.yml and playbooks/drift.yml through ansible-playbook against an emulator node: the
environment objects are applied from inventory variables, a clean node shows no drift, and hand-made changes (a
connection parameter, a recipe's code) are reported per object, in the JSON file and as readable lines, with a
non-zero exit and without any write."""

# pylint: disable=redefined-outer-name
import json
import os

import pytest
import yaml

from tests.support import processes
from tests.support.collection import ROOT
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env
from tests.support.promotion import recap
from tests.support.real_node import require_emulator

EXAMPLE = os.path.join(ROOT, "docs", "examples", "project-as-code.yml")
HOST = "staging-automation"


def inventory(tmp_path, node):
    data = {"all": {"children": {"staging": {"hosts": {HOST: {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}},
        "vars": {"dss_env": "staging", "dss_url": node.url, "dss_api_key": node.api_key,
                 "dss_project_file": EXAMPLE,
                 "dss_environment_objects": {
                     "connections": [{"name": "pg_staging", "type": "PostgreSQL",
                                      "params": {"host": "pg-staging.example.com", "port": 5432}}],
                     "code_envs": [{"name": "py_scoring", "packages": ["pandas==2.2.2"]}]}}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def shipped(name):
    return [{"import_playbook": os.path.join(ROOT, "playbooks", name)}]


@pytest.fixture
def node(design_node):
    require_emulator(design_node)
    return design_node


def test_environment_then_drift(node, playbook, tmp_path):
    inv = inventory(tmp_path, node)
    # The environment objects (the shipped playbook), then the project description, in one run.
    apply = [{"name": "apply", "hosts": "all", "gather_facts": False,
              "roles": [{"role": "dataiku_gitops.dss.project_as_code"}]}]
    env = playbook(playbook=shipped("environment.yml") + apply, inventory=inv, diff=True)
    assert env.rc == 0, env
    client = node.client()
    assert client.get_connection("pg_staging").get_settings().get_raw()["params"]["host"] == "pg-staging.example.com"
    assert client.get_code_env("PYTHON", "py_scoring").get_definition()["actualPackageList"] == "pandas==2.2.2"
    assert client.get_project("SHOP").get_recipe("compute_totals").get_settings().str_payload

    # The shipped playbook run from another directory, as a user runs it: a relative report path lands in the
    # directory of the command (not in playbooks/), and a read-only check reports no change.
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    misplaced = os.path.join(ROOT, "playbooks", "drift-here.json")
    writes, digest = node.writes(), node.digest()
    try:
        clean = processes.run([ANSIBLE_PLAYBOOK, "-i", inv, os.path.join(ROOT, "playbooks", "drift.yml"),
                               "-e", "dss_drift_report=drift-here.json"], cwd=str(workdir), env=ansible_env(),
                              timeout=600)
        assert not os.path.exists(misplaced), "the report was written into the collection's playbooks/"
    finally:
        if os.path.exists(misplaced):
            os.remove(misplaced)
    assert clean.returncode == 0, clean.stdout[-4000:] + clean.stderr[-2000:]
    report_path = workdir / "drift-here.json"
    assert json.loads(report_path.read_text()) == {"drift": False, "count": 0, "hosts": {}}
    assert "No drift: every declared object matches." in clean.stdout
    assert "report in %s" % report_path in clean.stdout
    assert recap(clean.stdout) and all(counts["changed"] == 0 for counts in recap(clean.stdout).values())
    assert node.writes() == writes and node.digest() == digest

    report_path = tmp_path / "drift.json"

    settings = client.get_connection("pg_staging").get_settings()
    settings.get_raw()["params"]["host"] = "pg-hacked.example.com"
    settings.save()
    recipe = client.get_project("SHOP").get_recipe("compute_totals").get_settings()
    recipe.str_payload = "print('edited in the UI')\n"
    recipe.save()
    writes, digest = node.writes(), node.digest()

    drift = playbook(playbook=shipped("drift.yml"), inventory=inv, extra_vars={"dss_drift_report": str(report_path)})
    assert drift.rc != 0, drift
    assert node.writes() == writes and node.digest() == digest
    report = json.loads(report_path.read_text())
    assert report["drift"] is True and report["count"] == 2
    found = {(c["kind"], c["id"], c["action"]): c["differences"] for c in report["hosts"][HOST]}
    assert found[("connection", "pg_staging", "update")] == [
        {"path": "params.host", "actual": "pg-hacked.example.com", "declared": "pg-staging.example.com"}]
    assert [d["path"] for d in found[("recipe", "compute_totals", "update")]] == ["payload"]
    assert ('%s: connection pg_staging params.host: \\"pg-hacked.example.com\\" -> \\"pg-staging.example.com\\"'
            % HOST) in drift.output
    assert "2 object(s) differ from the declared state" in drift.output
