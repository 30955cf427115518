"""playbooks/adopt.yml through ansible-playbook against three emulator nodes (the demo's dev, staging and prod)
holding a fleet of promoted projects (the demo's CHURN and lighter ones): adoption into a fresh directory writes the fleet
description, the project descriptions and the environment objects, and right after it every playbook that applies
them (the project_as_code role, environment.yml, promote.yml, drift.yml) finds nothing to change, in check mode and
for real, with zero writes and an unchanged state on every node. No API key and no connection secret is written.
A file that differs is not overwritten unless asked, and the run names it.

The promoted fleet is built once per session and each test gets a copy of it (tests/support/landscape.py)."""

# pylint: disable=redefined-outer-name
import os
import pathlib

import pytest
import yaml

from tests.support import landscape, sample_project
from tests.support.collection import ROOT
from tests.support.promotion import Landscape, recap

KEY = sample_project.PROJECT_KEY
# The demo's CHURN and lighter projects (a dataset on pg_dev and a test scenario without steps). make test adopts a
# fleet of 6, which exercises every code path a fleet has (one host per project, forks, bulk reads); the
# round trip on a fleet of 20 is DSS_TEST_ADOPT_FLEET=20 (about 6 minutes more on 2 cores).
FLEET = int(os.environ.get("DSS_TEST_ADOPT_FLEET", "6"))
EXTRA = tuple("ADOPT_%02d" % n for n in range(1, FLEET))
FORKS = str(FLEET)
SECRET = "adopt-test-secret-5f0c2e9a71d4"  # fixed: every xdist worker restores the same built fleet


ONLY_CHURN = '{"dss_adopt_projects": ["%s"]}' % KEY


def seed_light_project(client, key):
    project = client.create_project(key, "Adopted %s" % key, "admin", description="one of a fleet")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_dev", "mode": "table", "table": key})
    project.create_scenario("TEST_OK", "step_based", definition={"id": "TEST_OK", "params": {"steps": []}})
    variables = project.get_variables()
    variables["standard"]["region"] = key.lower()
    project.set_variables(variables)


def promoted_fleet(land):
    """The landscape's build: the light projects seeded on dev and described, the fleet promoted, then a secret."""
    for key in EXTRA:
        seed_light_project(land.client("dev"), key)
    land.describe((KEY,) + EXTRA)
    promoted = land.run("promote.yml", "-f", FORKS)
    assert promoted.rc == 0, promoted.output[-4000:]
    # A secret DSS holds (returned encrypted): adoption must leave it out and say so.
    settings = land.client("prod").get_connection("pg_prod").get_settings()
    settings.get_raw()["params"]["password"] = SECRET
    settings.save()
    return {"promoted": promoted}


ADOPTED_FLEET = landscape.Kind("adopt-fleet-%d" % FLEET, Landscape, promoted_fleet, landscape.SEEDED)


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    return landscape.restored(ADOPTED_FLEET, tmp_path / "landscape", tmp_path_factory)


def adopt(land, dest, *args, **extra_vars):
    return land.run("adopt.yml", *args, extra_vars=dict(extra_vars, dss_adopt_dir=str(dest)))


def written(dest):
    return {os.path.relpath(os.path.join(root, name), dest): open(os.path.join(root, name), encoding="utf-8").read()
            for root, _dirs, names in os.walk(dest) for name in names}


def unchanged(result):
    counts = recap(result.output)
    return result.rc == 0 and counts and all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values())


def apply_playbook(path):
    """environment.yml, then the project_as_code role on the design hosts (their dss_project_file), for real."""
    path.write_text(yaml.safe_dump([
        {"import_playbook": os.path.join(ROOT, "playbooks", "environment.yml")},
        {"name": "Apply the project descriptions", "hosts": "dss_design", "gather_facts": False,
         "roles": [{"role": "dataiku_gitops.dss.project_as_code"}]}]))
    return str(path)


def test_adopt_then_apply_changes_nothing(land, tmp_path):
    dest = tmp_path / "adopted"
    before_writes, before_digests = land.writes(), land.digests()
    result = adopt(land, dest)
    assert result.rc == 0, result.output[-4000:]
    assert land.writes() == before_writes and land.digests() == before_digests  # adoption only reads
    files = written(dest)
    assert {"inventories/fleet.yml", "inventories/dev/hosts.yml", "inventories/staging/hosts.yml",
            "inventories/prod/hosts.yml"} <= set(files)
    assert {"projects/%s.yml" % k for k in (KEY,) + EXTRA} <= set(files)
    assert "inventories/dev/host_vars/dev-%s.yml" % KEY in files

    # No API key, no secret in any file; the secret is named, with the Vault variable to fill in.
    for path, text in files.items():
        for secret in land.api_keys() + [SECRET]:
            assert secret not in text, "%s holds a secret" % path
        assert "e:AES:" not in text, path
    assert 'pg_prod: secret_params: {password: "{{ vault_prod_pg_prod_password }}"}' in files["inventories/fleet.yml"]
    assert "prod: connection pg_prod - secret parameter(s) password not adopted" in result.output
    assert "managed folder churn_reports not adopted" in result.output

    fleet = yaml.safe_load(files["inventories/fleet.yml"])
    assert fleet["projects"][KEY] == {"tests": {"prefix": "TEST_"}, "environments": {
        "staging": {"connections": {"pg_dev": "pg_staging"}}, "prod": {"connections": {"pg_dev": "pg_prod"}}}}
    assert set(fleet["projects"]) == {KEY} | set(EXTRA)
    assert [c["name"] for c in fleet["environments"]["prod"]["environment_objects"]["connections"]] == ["pg_prod"]
    churn = yaml.safe_load(files["projects/%s.yml" % KEY])
    assert churn["project"]["variables"]["standard"] == {"churn_threshold_days": 30}
    assert [r["name"] for r in churn["recipes"]] == [sample_project.RECIPE]
    assert churn["recipes"][0]["payload"] == sample_project.RECIPE_CODE

    # Right after adoption, everything that applies the files finds nothing to change, and writes nothing: drift.yml
    # (the environment objects and the project descriptions in check mode), the promotion plan (saved), then a real
    # apply of that plan, of the environment objects and of the project descriptions of the whole fleet.
    described, land.inventory_dir = land.inventory_dir, str(dest / "inventories")
    saved = str(tmp_path / "plan.json")
    try:
        drift = land.run("drift.yml", "-f", FORKS, extra_vars={"dss_drift_report": str(tmp_path / "drift.json")})
        plan = land.run("promote.yml", "-f", FORKS, check=True, diff=True, extra_vars={"dss_plan_out": saved})
        promoted = land.run("promote.yml", "-f", FORKS, diff=True, extra_vars={"dss_plan": saved})
        applied = land.run(apply_playbook(tmp_path / "apply.yml"), "-f", FORKS, diff=True)
    finally:
        land.inventory_dir = described
    for run in (drift, plan, promoted, applied):
        assert unchanged(run), run.output[-4000:]
    with open(saved, encoding="utf-8") as fh:
        projects = [p for env in yaml.safe_load(fh)["environments"].values() for p in env["projects"].values()]
    assert len(projects) == 3 * FLEET and not [p for p in projects if p["work"]]
    assert "Every node holds the state of plan" in promoted.output
    assert "No drift: every declared object matches." in drift.output
    assert len([t for t in drift.tasks if t["task"].endswith("Recipes")]) == FLEET
    assert len([t for t in applied.tasks if t["task"].endswith("Datasets")]) == FLEET
    assert land.writes() == before_writes and land.digests() == before_digests

    # Adopting again into the same directory: the same files, nothing written.
    again = adopt(land, dest)
    assert unchanged(again), again.output[-4000:]
    assert written(dest) == files
    assert not [t for t in again.tasks if t["task"] == "Write the files that are missing or differ"
                and t["status"] != "skipped"]
    assert land.leaked_keys() == [] and not [o for o in land.outputs if SECRET in o]


def test_a_relative_destination_is_the_command_directory_and_a_differing_file_is_not_overwritten(land):
    # Landscape runs ansible-playbook in its work directory.
    result = adopt(land, "relative-adopted", "-e", ONLY_CHURN)
    assert result.rc == 0, result.output[-4000:]
    assert os.path.isfile(os.path.join(land.workdir, "relative-adopted", "projects", "%s.yml" % KEY))

    dest = pathlib.Path(land.workdir) / "relative-adopted"
    edited = dest / "projects" / ("%s.yml" % KEY)
    edited.write_text(edited.read_text().replace("churn_threshold_days: 30", "churn_threshold_days: 99"))
    kept = written(dest)

    refused = adopt(land, dest, "-e", ONLY_CHURN)
    assert refused.rc != 0
    assert "These files of %s differ from what the nodes hold: projects/%s.yml." % (dest, KEY) in refused.output
    assert "dss_adopt_overwrite=true" in refused.output
    assert written(dest) == kept

    overwritten = adopt(land, dest, "-e", ONLY_CHURN, dss_adopt_overwrite="true")
    assert overwritten.rc == 0, overwritten.output[-4000:]
    assert "churn_threshold_days: 30" in edited.read_text()


def test_without_destination_or_nodes_nothing_is_read(land, tmp_path):
    no_dir = land.run("adopt.yml")
    assert no_dir.rc != 0 and "Set dss_adopt_dir" in no_dir.output
    no_node = land.run("adopt.yml", envs=(), extra_vars={"dss_adopt_dir": str(tmp_path / "x")})
    assert no_node.rc != 0 and "No node to read: give dss_adopt_nodes" in no_node.output
    assert not (tmp_path / "x").exists()
