"""Saved plans of playbooks/promote.yml through the real ansible-playbook against three emulator nodes (dev, staging,
prod): `--check --diff -e dss_plan_out=FILE -e dss_plan_markdown=FILE` saves the plan and its Markdown summary and
writes nothing to DSS; `-e dss_plan=FILE` applies exactly that plan, and again changes nothing; a plan whose node
moved since (a bundle activated by hand) is refused before any write, naming the project, environment and change;
a plan that does not fit the run (missing file, other projects, saved without --check) is refused too.

One promotion scenario (module-scoped, in order) serves every assert, to keep the runs few."""

# pylint: disable=redefined-outer-name
import json
import os

import pytest

from tests.support import sample_project
from tests.support.promotion import Landscape, recap

KEY = sample_project.PROJECT_KEY


def unchanged(result):
    counts = recap(result.output)
    return result.rc == 0 and counts and all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values())


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Every run of the scenario, with what the nodes held around them."""
    seen = {}
    with Landscape(tmp_path_factory.mktemp("plans")) as land:
        seen["land"] = land
        seen["bundle"] = land.bundle_id()
        before = land.writes(), land.digests()
        seen["plan"] = land.run("promote.yml", check=True, diff=True,
                                extra_vars={"dss_plan_out": "plan.json", "dss_plan_markdown": "plan.md"})
        seen["plan_wrote"] = (land.writes(), land.digests()) != before
        seen["plan_file"] = json.loads(open(os.path.join(land.workdir, "plan.json"), encoding="utf-8").read())
        seen["markdown"] = open(os.path.join(land.workdir, "plan.md"), encoding="utf-8").read()
        seen["applied"] = land.run("promote.yml", diff=True, extra_vars={"dss_plan": "plan.json"})
        seen["active_after_apply"] = {env: land.active_bundle(env) for env in ("staging", "prod")}
        seen["certified_after_apply"] = land.certified("prod")
        before = land.writes(), land.digests()
        seen["again"] = land.run("promote.yml", extra_vars={"dss_plan": "plan.json"})
        seen["again_wrote"] = (land.writes(), land.digests()) != before

        # A second bundle everywhere, then a plan of the converged fleet; someone activates the first bundle on prod
        # by hand before the apply.
        seen["second"] = land.commit("CHURN: second version")
        seen["promoted"] = land.run("promote.yml")
        seen["converged_plan"] = land.run("promote.yml", check=True, diff=True,
                                          extra_vars={"dss_plan_out": str(land.workdir) + "/converged.json"})
        land.client("prod").get_project(KEY).activate_bundle(seen["bundle"])
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
        yield seen


def test_check_mode_saves_the_plan_and_its_summary_without_writing(scenario):
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


def test_a_saved_plan_applies_unchanged_then_changes_nothing(scenario):
    applied, bundle = scenario["applied"], scenario["bundle"]
    assert applied.rc == 0, applied.output[-4000:]
    assert "Every node holds the state of plan %s" % scenario["plan_file"]["plan_id"] in applied.output
    assert scenario["active_after_apply"] == {"staging": bundle, "prod": bundle}
    assert scenario["certified_after_apply"]
    # Applying it again: every project already holds what the plan deploys.
    assert unchanged(scenario["again"]), scenario["again"].output[-4000:]
    assert not scenario["again_wrote"]


def test_a_plan_whose_node_moved_is_refused_before_any_write(scenario):
    assert scenario["promoted"].rc == 0 and unchanged(scenario["converged_plan"]), \
        scenario["converged_plan"].output[-4000:]
    moved = scenario["moved"]
    assert moved.rc != 0
    assert "The nodes no longer hold the state the plan %s/converged.json was made from; nothing was written." \
        % scenario["land"].workdir in moved.output
    assert "prod/%s: active bundle %s -> %s" % (KEY, scenario["second"], scenario["bundle"]) in moved.output
    assert "staging/%s" % KEY not in moved.output.split("What moved:", 1)[1]
    assert not [t for t in moved.tasks if "Deploy" in t["task"] or "Export" in t["task"]]
    assert not scenario["refusals_wrote"] and scenario["prod_active"] == scenario["bundle"]


def test_a_plan_that_does_not_fit_the_run_is_refused(scenario):
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
