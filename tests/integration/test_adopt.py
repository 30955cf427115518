"""playbooks/adopt.yml through ansible-playbook against three emulator nodes (the demo's dev, staging and prod)
holding a fleet of promoted projects (CHURN and FRAUD, its copy): adoption into a fresh directory writes the fleet
description, the project descriptions and the environment objects, and right after it every playbook that applies
them (the project_as_code role, environment.yml, promote.yml, drift.yml) finds nothing to change, in check mode and
for real, with zero writes and an unchanged state on every node. No API key and no connection secret is written.
A file that differs is not overwritten unless asked, and the run names it.

The promoted fleet is the session's (tests/support/landscape.py, FLEET_PROMOTED, which test_promotion_fleet.py
restores too); its adoption and the runs that apply the adopted files are the build of the landscape ADOPTED, once
per session: each test gets a copy of the adopted fleet and its files."""

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


def adopt_and_apply(land):
    """The build of the landscape ADOPTED: a secret set on prod's connection, adoption into ``adopted`` (a relative
    destination: the work directory, where Landscape runs ansible-playbook), then, right after it, everything that
    applies the files: drift.yml (the environment objects and the project descriptions in check mode) and the
    promotion plan (saved) in one check-mode run, then in one real run the apply of that plan, of the environment
    objects (environment.yml) and of the project descriptions of the whole fleet, and adoption again into the same
    directory. Records each run, the files written (after each adoption), whether any run wrote to a node, the
    build's API keys and whether any output showed a secret."""
    # A secret DSS holds (returned encrypted): adoption must leave it out and say so.
    settings = land.client("prod").get_connection("pg_prod").get_settings()
    settings.get_raw()["params"]["password"] = SECRET
    settings.save()
    dest = os.path.join(land.workdir, "adopted")
    before = land.writes(), land.digests()
    records = {"adopt": adopt(land, "adopted")}
    records["adopt_wrote"] = (land.writes(), land.digests()) != before
    records["files"] = written(dest)
    workdir = pathlib.Path(land.workdir)
    described, land.inventory_dir = land.inventory_dir, os.path.join(dest, "inventories")
    try:
        records["check"] = land.run(
            playbooks(workdir / "check.yml", "drift.yml", "promote.yml"), "-f", FORKS, check=True, diff=True,
            extra_vars={"dss_drift_report": str(workdir / "drift.json"), "dss_plan_out": str(workdir / "plan.json")})
        records["apply"] = land.run(
            playbooks(workdir / "apply.yml", "promote.yml", "environment.yml", APPLY_DESCRIPTIONS, "adopt.yml"),
            "-f", FORKS, diff=True, extra_vars={"dss_plan": str(workdir / "plan.json"), "dss_adopt_dir": dest})
    finally:
        land.inventory_dir = described
    records["apply_wrote"] = (land.writes(), land.digests()) != before
    with open(workdir / "plan.json", encoding="utf-8") as fh:
        records["plan_file"] = yaml.safe_load(fh)
    records.update(files_again=written(dest), api_keys=land.api_keys(), leaked=land.leaked_keys(),
                   secret_printed=any(SECRET in output for output in land.outputs))
    land.kept_paths.append("adopted")
    return records


# The promoted fleet, adopted into its work directory and applied again (built once per session; test_adopt_then_
# apply_changes_nothing asserts on its runs, the other tests start from its adopted files).
ADOPTED = landscape.Kind("adopted-%d" % FLEET, landscape.fleet_landscape, adopt_and_apply, ADOPTED_FLEET)


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    land = landscape.restored(ADOPTED, tmp_path / "landscape", tmp_path_factory)
    assert land.projects == (KEY,) + EXTRA
    return land


def test_adopt_then_apply_changes_nothing(land):
    result, built = land.built["adopt"], land.built
    assert result.rc == 0, result.output[-4000:]
    assert not built["adopt_wrote"]  # adoption only reads
    files = built["files"]
    assert {"inventories/fleet.yml", "inventories/dev/hosts.yml", "inventories/staging/hosts.yml",
            "inventories/prod/hosts.yml"} <= set(files)
    assert {"projects/%s.yml" % k for k in (KEY,) + EXTRA} <= set(files)
    assert "inventories/dev/host_vars/dev-%s.yml" % KEY in files

    # No API key, no secret in any file; the secret is named, with the Vault variable to fill in.
    for path, text in files.items():
        for secret in built["api_keys"] + [SECRET]:
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
    # and the promotion plan (saved) in one check-mode run, then in one real run the apply of that plan, of the
    # environment objects and of the project descriptions, and adoption again into the same directory (the same
    # files, nothing written).
    drift = plan = built["check"]
    promoted = applied = again = built["apply"]
    for run in (drift, plan, promoted, applied):
        assert unchanged(run), run.output[-4000:]
    projects = [p for env in built["plan_file"]["environments"].values() for p in env["projects"].values()]
    assert len(projects) == 3 * FLEET and not [p for p in projects if p["work"]]
    assert "Every node holds the state of plan" in promoted.output
    assert "No drift: every declared object matches." in drift.output
    assert len([t for t in drift.tasks if t["task"].endswith("Recipes")]) == FLEET
    assert len([t for t in applied.tasks if t["task"].endswith("Datasets")]) == FLEET
    assert not built["apply_wrote"]

    # Adopted again (the end of the real run above): the same files, nothing written.
    assert unchanged(again), again.output[-4000:]
    assert built["files_again"] == files
    assert not [t for t in again.tasks if t["task"] == "Write the files that are missing or differ"
                and t["status"] != "skipped"]
    assert built["leaked"] == [] and not built["secret_printed"]


def test_a_relative_destination_is_the_command_directory_and_a_differing_file_is_not_overwritten(land):
    # The landscape's adoption gave the relative destination "adopted"; Landscape runs ansible-playbook in its work
    # directory.
    result = land.built["adopt"]
    assert result.rc == 0, result.output[-4000:]
    assert os.path.isfile(os.path.join(land.workdir, "adopted", "projects", "%s.yml" % KEY))

    dest = pathlib.Path(land.workdir) / "adopted"
    edited = dest / "projects" / ("%s.yml" % KEY)
    edited.write_text(edited.read_text().replace("churn_threshold_days: 30", "churn_threshold_days: 99"))
    kept = written(dest)

    refused = adopt(land, dest)
    assert refused.rc != 0
    assert "These files of %s differ from what the nodes hold: projects/%s.yml." % (dest, KEY) in refused.output
    assert "dss_adopt_overwrite=true" in refused.output
    assert written(dest) == kept

    # Asked to overwrite, for CHURN alone (dss_adopt_projects): its description is written again from the nodes.
    overwritten = adopt(land, dest, "-e", ONLY_CHURN, dss_adopt_overwrite="true")
    assert overwritten.rc == 0, overwritten.output[-4000:]
    assert "churn_threshold_days: 30" in edited.read_text()


def test_without_destination_or_nodes_nothing_is_read(land, tmp_path):
    no_dir = land.run("adopt.yml")
    assert no_dir.rc != 0 and "Set dss_adopt_dir" in no_dir.output
    no_node = land.run("adopt.yml", envs=(), extra_vars={"dss_adopt_dir": str(tmp_path / "x")})
    assert no_node.rc != 0 and "No node to read: give dss_adopt_nodes" in no_node.output
    assert not (tmp_path / "x").exists()
