"""The preflight gates in promote.yml's plan: the planning play of each environment shows, per project, which gates
pass, warn or block and why (from the bulk reads, no request per project), and the deploy modules then decide exactly
that, in the plan (--check --diff) and in the real run. With dss_all_or_nothing, a project blocked on an environment
holds back the other projects deploying in that environment too, in the plan and in the run. One landscape, one plan
and one real run: the shipped fleet description (staging warns about Project Standards, prod prevents from MEDIUM and
requires release notes), FRAUD failing a MEDIUM check, CHURN passing."""

import pytest

from tests.integration.test_promotion_gates import CHECK, DEPLOY, reviewed_fleet_failing_a_check
from tests.support import sample_project
from tests.support.promotion import plan_mismatches, ran_in_both

KEY, OTHER = sample_project.PROJECT_KEY, "FRAUD"
GATES_TASK = "Decide what the preflight gates say for the projects that need work"
PLAN_TASK = "Show what this run does on %s"
HOLD_TASK = "Check the bundle to deploy, the gate environment and the rollout order"

pytestmark = pytest.mark.slow  # a whole promotion, as test_promotion_gates.py


def planned_gates(result, env):
    """{project key: the plan's gates} of the planning play of ``env``."""
    record = [t for t in result.tasks if t["task"] == GATES_TASK and t["host"].startswith(env + "-")]
    assert record, result.output[-3000:]
    return record[-1]["result"]["ansible_facts"]["promote_plan"]


def deployed(result, host):
    found = [t for t in result.tasks if t["host"] == host and t["task"].startswith(DEPLOY)]
    return found[-1] if found else None


def test_the_plan_shows_the_gates_and_the_run_decides_the_same(tmp_path, tmp_path_factory):
    land, bundle_id = reviewed_fleet_failing_a_check(tmp_path, tmp_path_factory)

    writes = land.writes()
    extra = {"dss_all_or_nothing": "true"}
    check = land.run("promote.yml", check=True, diff=True, extra_vars=extra)
    assert land.writes() == writes, "the plan wrote"
    real = land.run("promote.yml", diff=True, extra_vars=extra)
    assert check.rc != 0 and real.rc != 0
    assert ran_in_both(check, real) and plan_mismatches(check, real) == []

    for result in (check, real):
        staging, prod = planned_gates(result, "staging"), planned_gates(result, "prod")
        assert staging["gates"][OTHER]["decision"] == "warn" and staging["gates"][KEY]["decision"] == "pass"
        assert prod["gates"][OTHER]["decision"] == "block" and prod["gates"][KEY]["decision"] == "pass"
        assert staging["held"] == {} and list(prod["held"]) == [KEY]
        for plan in (staging, prod):
            assert all(g["deferred"] == [] for g in plan["gates"].values())
        # The plan's single table: every project's line, its gates and its hold, printed once per environment.
        table = result.task(PLAN_TASK % "prod")["result"]["msg"]
        blocked = [line for line in table if line.startswith("    gates block:")]
        assert len(blocked) == 1 and "project_standards: block - environment (policy prevent, MEDIUM or more): " \
            "failing %s (MEDIUM)" % CHECK in blocked[0], table
        assert "release_notes: pass - release notes: %s reviewed" % bundle_id in blocked[0]
        assert "    %s: held back by dss_all_or_nothing: the preflight gates block %s on prod" % (KEY, OTHER) in \
            "\n".join(table)
        warned = "\n".join(result.task(PLAN_TASK % "staging")["result"]["msg"])
        assert "    gates warn: project_standards: warn - environment (policy warn" in warned

        # The deploy modules decided what the plan said, gate by gate and reason by reason.
        for env, plan in (("staging", staging), ("prod", prod)):
            for key, gates in plan["gates"].items():
                record = deployed(result, "%s-%s" % (env, key))
                if key in plan["held"]:
                    assert record is None  # refused before its module starts
                    continue
                assert record["result"]["gates"] == {k: gates[k] for k in ("decision", "checks", "lines")}, key
        held = result.task(HOLD_TASK, host="prod-" + KEY)
        assert held["status"] == "failed" and held["result"]["msg"] == prod["held"][KEY]
        assert deployed(result, "prod-" + OTHER)["status"] == "failed"
    assert land.active_bundle("staging", KEY) == bundle_id and land.active_bundle("staging", OTHER) == bundle_id
    assert land.active_bundle("prod", KEY) is None and land.active_bundle("prod", OTHER) is None
