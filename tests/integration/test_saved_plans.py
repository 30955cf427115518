"""Saved plans of playbooks/promote.yml through the real ansible-playbook against three emulator nodes (dev, staging,
prod): `--check --diff -e dss_plan_out=FILE -e dss_plan_markdown=FILE` saves the plan and its Markdown summary and
writes nothing to DSS; `-e dss_plan=FILE` applies exactly that plan, and again changes nothing; a plan whose node
moved since (a bundle activated by hand) is refused before any write, naming the project, environment and change;
a plan that does not fit the run (missing file, other projects, saved without --check) is refused too.

Two scenarios on copies of the session's promoted landscape (tests/support/landscape.py), whose build is the first
scenario: the plan of the first promotion saved, applied, applied again; then the refusals."""

# pylint: disable=redefined-outer-name
import os

from tests.support import landscape, sample_project
from tests.support.promotion import recap

KEY = sample_project.PROJECT_KEY
HOTFIX = "hotfix-by-hand"


def unchanged(result):
    counts = recap(result.output)
    return result.rc == 0 and counts and all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values())


def refused_plans_scenario(land):
    """A plan of the converged fleet, then someone activates another bundle on prod by hand (a hotfix imported
    there before the plan); the plan, and plans that do not fit the run, are refused."""
    seen = {"land": land, "bundle": land.bundle_id(), "promoted": land.built["promoted"], "hotfix": HOTFIX}
    design = land.client("dev").get_project(KEY)
    design.export_bundle(HOTFIX, release_notes="a hotfix made by hand")
    with design.get_exported_bundle_archive_stream(HOTFIX) as stream:
        land.client("prod").get_project(KEY).import_bundle_from_stream(stream.raw)
    seen["converged_plan"] = land.run("promote.yml", check=True, diff=True,
                                      extra_vars={"dss_plan_out": str(land.workdir) + "/converged.json"})
    land.client("prod").get_project(KEY).activate_bundle(HOTFIX)
    before = land.writes(), land.digests()
    seen["moved"] = land.run("promote.yml", extra_vars={"dss_plan": "converged.json"})
    # Refused: no plan file; a plan saved without --check; a plan made for other projects (FRAUD is new).
    seen["missing"] = land.run("promote.yml", extra_vars={"dss_plan": "no-such-plan.json"})
    seen["not_check"] = land.run("promote.yml", extra_vars={"dss_plan_out": "late.json"})
    land.describe((KEY, "FRAUD"))
    seen["other_projects"] = land.run("promote.yml", extra_vars={"dss_plan": "converged.json"})
    seen["refusals_wrote"] = (land.writes(), land.digests()) != before
    seen["late_exists"] = os.path.exists(os.path.join(land.workdir, "late.json"))
    seen["prod_active"] = land.active_bundle("prod")
    seen["leaked"] = land.leaked_keys()
    return seen


def test_check_mode_saves_the_plan_its_summary_and_applies_it_unchanged(tmp_path, tmp_path_factory):
    # The session's promoted landscape was built through a saved plan (landscape.plan_then_promote): its records are
    # the plan of the first promotion, its application and the plan applied again; its state is the one they left.
    land = landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory)
    scenario = dict(land.built, bundle=land.bundle_id(), applied=land.built["promoted"],
                    active_after_apply={env: land.active_bundle(env) for env in ("staging", "prod")},
                    certified_after_apply=land.certified("prod"))
    assert scenario["plan"].rc == 0, scenario["plan"].output[-4000:]
    assert not scenario["plan_wrote"]
    plan, bundle = scenario["plan_file"], scenario["bundle"]
    assert plan["format"] == "dataiku_gitops.dss/promotion-plan" and plan["version"] == 1
    assert plan["bundle_id"] == bundle and plan["plan_id"].startswith("sha256:")
    assert set(plan["environments"]) == {"dev", "staging", "prod"}
    dev, prod = plan["environments"]["dev"]["projects"][KEY], plan["environments"]["prod"]["projects"][KEY]
    assert dev["step"] == "%s: export %s" % (KEY, bundle) and dev["work"] is True
    assert prod["state"] == {"exists": False, "active_bundle": None, "bundles": [], "test_record": "none"}
    assert prod["digest"].startswith("sha256:") and prod["decisions"] == {} and prod["route"] == "direct"
    markdown = scenario["markdown"]
    assert "### DSS promotion plan `%s`" % plan["plan_id"][7:19] in markdown
    assert "| prod | %s | **deploy and test %s (active: none)** | no project |" % (KEY, bundle) in markdown

    # The saved plan applies unchanged, then changes nothing.
    applied, bundle = scenario["applied"], scenario["bundle"]
    assert applied.rc == 0, applied.output[-4000:]
    assert "Every node holds the state of plan %s" % scenario["plan_file"]["plan_id"] in applied.output
    assert scenario["active_after_apply"] == {"staging": bundle, "prod": bundle}
    assert scenario["certified_after_apply"]
    # Applying it again: every project already holds what the plan deploys.
    assert unchanged(scenario["again"]), scenario["again"].output[-4000:]
    assert not scenario["again_wrote"]


def test_a_plan_whose_node_moved_or_that_does_not_fit_the_run_is_refused(tmp_path, tmp_path_factory):
    scenario = refused_plans_scenario(landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory))
    assert scenario["promoted"].rc == 0 and unchanged(scenario["converged_plan"]), \
        scenario["converged_plan"].output[-4000:]
    moved = scenario["moved"]
    assert moved.rc != 0
    assert "The nodes no longer hold the state the plan %s/converged.json was made from; nothing was written." \
        % scenario["land"].workdir in moved.output
    assert "prod/%s: active bundle %s -> %s" % (KEY, scenario["bundle"], scenario["hotfix"]) in moved.output
    assert "staging/%s" % KEY not in moved.output.split("What moved:", 1)[1]
    assert not [t for t in moved.tasks if "Deploy" in t["task"] or "Export" in t["task"]]
    assert not scenario["refusals_wrote"] and scenario["prod_active"] == scenario["hotfix"]

    # Plans that do not fit the run.
    other = scenario["other_projects"]
    assert other.rc != 0
    assert "converged.json does not fit this run; nothing was written: the plan has no entry for dev/FRAUD, " \
        "prod/FRAUD, staging/FRAUD (it was made for other projects or environments)" in other.output
    missing = scenario["missing"]
    assert missing.rc != 0
    assert "No saved plan at %s/no-such-plan.json" % scenario["land"].workdir in missing.output
    not_check = scenario["not_check"]
    assert not_check.rc != 0 and "dss_plan_out saves the plan of a check-mode run; add --check" in not_check.output
    assert not scenario["late_exists"] and not scenario["refusals_wrote"]
    for run in (other, missing, not_check):
        assert "Traceback" not in run.output
    assert scenario["leaked"] == []
