"""playbooks/adopt.yml through ansible-playbook against three emulator nodes (the demo's dev, staging and prod)
holding a fleet of promoted projects (CHURN and FRAUD, its copy): adoption into a fresh directory writes the fleet
description, the project descriptions and the environment objects, and right after it every playbook that applies
them (the project_as_code role, environment.yml, promote.yml, drift.yml) finds nothing to change, in check mode and
for real, with zero writes and an unchanged state on every node. No API key and no connection secret is written.
A file that differs is not overwritten unless asked, and the run names it.

The promoted fleet is the session's (tests/support/landscape.py, FLEET_PROMOTED, which test_promotion_fleet.py
restores too): built once, each test gets a copy of it."""

# pylint: disable=redefined-outer-name
import os
import pathlib

import pytest
import yaml

from tests.support import landscape, sample_project
from tests.support.collection import ROOT
from tests.support.promotion import recap

KEY = sample_project.PROJECT_KEY
# make test adopts the session's promoted fleet of 2 (CHURN and FRAUD): two projects per environment exercise every
# code path a fleet has (one host per project, forks, bulk reads). DSS_TEST_ADOPT_FLEET=N adopts N, the others
# lighter projects (a dataset on pg_dev and a test scenario without steps) promoted on top of it (N=20: about 6
# minutes more on 2 cores).
FLEET = max(2, int(os.environ.get("DSS_TEST_ADOPT_FLEET", "2")))
EXTRA = ("FRAUD",) + tuple("ADOPT_%02d" % n for n in range(2, FLEET))
FORKS = str(FLEET)
SECRET = "adopt-test-secret-5f0c2e9a71d4"


ONLY_CHURN = '{"dss_adopt_projects": ["%s"]}' % KEY


def seed_light_project(client, key):
    project = client.create_project(key, "Adopted %s" % key, "admin", description="one of a fleet")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_dev", "mode": "table", "table": key})
    project.create_scenario("TEST_OK", "step_based", definition={"id": "TEST_OK", "params": {"steps": []}})
    variables = project.get_variables()
    variables["standard"]["region"] = key.lower()
    project.set_variables(variables)


def larger_fleet(land):
    """DSS_TEST_ADOPT_FLEET above 2: the light projects seeded on dev and described, the fleet promoted."""
    for key in EXTRA[1:]:
        seed_light_project(land.client("dev"), key)
    land.describe((KEY,) + EXTRA)
    promoted = land.run("promote.yml", "-f", FORKS)
    assert promoted.rc == 0, promoted.output[-4000:]
    return {"promoted": promoted}


ADOPTED_FLEET = landscape.FLEET_PROMOTED if FLEET == 2 else landscape.Kind(
    "adopt-fleet-%d" % FLEET, landscape.fleet_landscape, larger_fleet, landscape.FLEET_PROMOTED)


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    land = landscape.restored(ADOPTED_FLEET, tmp_path / "landscape", tmp_path_factory)
    assert land.projects == (KEY,) + EXTRA
    # A secret DSS holds (returned encrypted): adoption must leave it out and say so.
    settings = land.client("prod").get_connection("pg_prod").get_settings()
    settings.get_raw()["params"]["password"] = SECRET
    settings.save()
    return land


def adopt(land, dest, *args, **extra_vars):
    return land.run("adopt.yml", *args, extra_vars=dict(extra_vars, dss_adopt_dir=str(dest)))


def written(dest):
    return {os.path.relpath(os.path.join(root, name), dest): open(os.path.join(root, name), encoding="utf-8").read()
            for root, _dirs, names in os.walk(dest) for name in names}


def unchanged(result):
    counts = recap(result.output)
    return result.rc == 0 and counts and all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values())


def playbooks(path, *parts):
    """One playbook file running the shipped playbooks (by name) and plays (dicts) of ``parts`` in order: one
    ansible-playbook start for runs whose inventory and options are the same."""
    path.write_text(yaml.safe_dump([{"import_playbook": os.path.join(ROOT, "playbooks", part)}
                                    if isinstance(part, str) else part for part in parts]))
    return str(path)


APPLY_DESCRIPTIONS = {"name": "Apply the project descriptions", "hosts": "dss_design", "gather_facts": False,
                      "roles": [{"role": "dataiku_gitops.dss.project_as_code"}]}


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
    # (the environment objects and the project descriptions in check mode) and the promotion plan (saved) in one
    # check-mode run, then in one real run the apply of that plan, of the environment objects (environment.yml) and of
    # the project descriptions of the whole fleet, and adoption again into the same directory (the same files,
    # nothing written).
    described, land.inventory_dir = land.inventory_dir, str(dest / "inventories")
    saved = str(tmp_path / "plan.json")
    try:
        drift = plan = land.run(playbooks(tmp_path / "check.yml", "drift.yml", "promote.yml"), "-f", FORKS,
                                check=True, diff=True,
                                extra_vars={"dss_drift_report": str(tmp_path / "drift.json"), "dss_plan_out": saved})
        promoted = applied = again = land.run(
            playbooks(tmp_path / "apply.yml", "promote.yml", "environment.yml", APPLY_DESCRIPTIONS, "adopt.yml"),
            "-f", FORKS, diff=True, extra_vars={"dss_plan": saved, "dss_adopt_dir": str(dest)})
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

    # Adopted again (the end of the real run above): the same files, nothing written.
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
