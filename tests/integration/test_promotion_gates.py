"""promote.yml with the preflight gates of the shipped fleet description (staging warns about Project Standards, prod
prevents from MEDIUM and requires release notes), through the real ansible-playbook against three emulator nodes: a
project failing a check goes to staging with a warning and is held back from prod, with the failing check named, in
the plan and in the real run alike; the other project goes on; the status table shows each recorded decision. The
landscape (CHURN and FRAUD seeded, nothing promoted) is a copy of the session's (tests/support/landscape.py)."""

import json
import urllib.request

import pytest

from tests.support import landscape, sample_project
from tests.support.promotion import plan_mismatches, ran_in_both

KEY, OTHER = sample_project.PROJECT_KEY, "FRAUD"
DEPLOY = "dataiku_gitops.dss.bundle_deploy : Deploy, test and certify the bundle on "
CHECK = "Datasets documented"

pytestmark = pytest.mark.slow  # a whole promotion, as test_promotion_fleet.py


def failing_check_for(node, project_key):
    """A Project Standards check (emulator control endpoint) that only ``project_key`` fails, severity 3 (MEDIUM),
    in the default scope of the design node."""
    body = {"label": CHECK, "result": {"severity": 0, "message": "documented"},
            "projects": {project_key: {"severity": 3, "message": "2 datasets without a description"}}}
    request = urllib.request.Request("%s/__emulator__/project-standards/check-specs/acme_docs" % node.url,
                                     data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    standards = node.client().get_project_standards()
    default = standards.get_default_scope()
    default.checks = [c.id for c in standards.create_checks(["acme_docs"])]
    default.save()


def reviewed_fleet_failing_a_check(tmp_path, tmp_path_factory):
    """(landscape, bundle id): the session's FLEET (CHURN and FRAUD seeded, nothing promoted) restored, FRAUD failing
    a Project Standards check, both projects' bundles exported with release notes before the plan, so that the plan
    reads their reports as the run does."""
    land = landscape.restored(landscape.FLEET, tmp_path, tmp_path_factory)
    failing_check_for(land.nodes["dev"], OTHER)
    bundle_id = land.bundle_id()
    for key in (KEY, OTHER):
        land.client("dev").get_project(key).export_bundle(bundle_id, release_notes="%s reviewed" % bundle_id)
    return land, bundle_id


def deploy_record(result, host):
    found = [t for t in result.tasks if t["host"] == host and t["task"].startswith(DEPLOY)]
    assert found, "no deployment of %s\n%s" % (host, result.output[-3000:])
    return found[-1]


def test_a_project_failing_a_check_is_held_back_from_prod_in_the_plan_and_the_run(tmp_path, tmp_path_factory):
    land, bundle_id = reviewed_fleet_failing_a_check(tmp_path, tmp_path_factory)

    prod_writes = land.writes()["prod"]
    check = land.run("promote.yml", check=True, diff=True)
    assert land.writes()["prod"] == prod_writes, "the plan wrote"
    real = land.run("promote.yml", diff=True)
    assert real.rc != 0 and check.rc != 0
    assert ran_in_both(check, real) and plan_mismatches(check, real) == []

    for result in (check, real):
        held = deploy_record(result, "prod-" + OTHER)
        assert held["status"] == "failed"
        msg = held["result"]["msg"]
        assert "Preflight gates hold bundle %s of %s back from" % (bundle_id, OTHER) in msg
        assert "project_standards: environment (policy prevent, MEDIUM or more): failing %s (MEDIUM)" % CHECK in msg
        assert "Nothing was changed" in msg
        warned = deploy_record(result, "staging-" + OTHER)
        assert warned["status"] == "changed" and any(CHECK in w for w in warned["result"].get("warnings") or [])
        through = deploy_record(result, "prod-" + KEY)["result"]
        assert through["gates"]["decision"] == "pass"
        assert "tested_on: pass - passing test record on staging" in through["diff"]["after"]["gates"]
    assert deploy_record(check, "prod-" + OTHER)["result"]["msg"] == deploy_record(real, "prod-" + OTHER)[
        "result"]["msg"]
    assert land.active_bundle("prod", KEY) == bundle_id and land.certified("prod", KEY)
    assert land.active_bundle("staging", OTHER) == bundle_id and land.active_bundle("prod", OTHER) is None

    status = land.run("status.yml")
    table = status.task("Print the status table")["result"]["msg"].splitlines()
    assert table[0].split()[-1] == "GATES"
    rows = {tuple(line.split()[:2]): line for line in table[1:]}
    assert rows[(KEY, "prod")].endswith(" pass") and rows[(OTHER, "staging")].endswith("warn (project_standards)")
    assert rows[(OTHER, "prod")].split()[2:4] == ["not", "deployed"]
