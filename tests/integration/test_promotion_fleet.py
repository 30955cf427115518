"""Projects as hosts, promoted independently and safely, through the real ansible-playbook against emulator nodes:
a project failing on staging does not hold the others back (unless dss_all_or_nothing), a node killed right after an
activation never leaves a green run with an untested bundle, and two concurrent promotions of one project never
certify the failing bundle.

Each test starts from a copy of one of the session's landscapes (tests/support/landscape.py), seeded or promoted."""

import concurrent.futures
import threading
import time

import pytest

from tests.support import landscape, sample_project
from tests.support.promotion import plan_mismatches, ran_in_both

KEY, OTHER = sample_project.PROJECT_KEY, "FRAUD"
DEPLOY = "dataiku_gitops.dss.bundle_deploy : Deploy, test and certify the bundle on "


def failure_message(result, host):
    failed = [t for t in result.tasks if t["host"] == host and t["status"] == "failed"]
    assert failed, "no failed task on %s\n%s" % (host, result.output[-4000:])
    return failed[-1]["result"].get("msg", "")


def export(land, bundle_id, project_key=KEY):
    """Export a bundle on dev directly (the design side of a run that is not under test)."""
    land.client("dev").get_project(project_key).export_bundle(bundle_id, release_notes="exported by the test")


@pytest.fixture
def fleet(tmp_path, tmp_path_factory):
    """CHURN and FRAUD, their first bundle promoted everywhere (built once per session, then restored; test_adopt.py
    adopts the same landscape)."""
    return landscape.restored(landscape.FLEET_PROMOTED, tmp_path, tmp_path_factory)


def test_a_project_failing_on_staging_does_not_hold_the_others_back(fleet):
    first = fleet.bundle_id()
    result = fleet.built["promoted"]  # the fleet's first promotion, both projects as hosts of one run
    assert result.rc == 0, result.output[-4000:]
    assert fleet.built["leaked"] == []
    for env in ("staging", "prod"):
        assert fleet.active_bundle(env, KEY) == first and fleet.active_bundle(env, OTHER) == first

    sample_project.change_variable(fleet.client("dev"), 45, KEY)
    sample_project.break_flow(fleet.client("dev"), OTHER)
    second = fleet.commit("CHURN: 45 days; FRAUD: drop the customers dataset")

    # All or nothing: CHURN passes on staging but waits, with FRAUD, for a fleet that passes everywhere.
    held = fleet.run("promote.yml", extra_vars={"dss_all_or_nothing": "true"})
    assert held.rc != 0
    assert fleet.active_bundle("staging", KEY) == second and fleet.certified("staging", KEY)
    assert fleet.active_bundle("staging", OTHER) == first  # rolled back
    assert fleet.active_bundle("prod", KEY) == first and fleet.active_bundle("prod", OTHER) == first
    assert "held back by dss_all_or_nothing" in failure_message(held, "prod-" + KEY)
    assert "for " + OTHER in failure_message(held, "prod-" + KEY)

    # Independent (the default): CHURN reaches prod, FRAUD fails on staging again and never reaches prod.
    prod_writes_before = fleet.writes()["prod"]
    check = fleet.run("promote.yml", check=True, diff=True)
    real = fleet.run("promote.yml", diff=True)
    assert real.rc != 0
    assert ran_in_both(check, real) and plan_mismatches(check, real) == []
    assert fleet.active_bundle("prod", KEY) == second and fleet.certified("prod", KEY)
    assert fleet.active_bundle("staging", OTHER) == first and fleet.active_bundle("prod", OTHER) == first
    assert fleet.writes()["prod"] > prod_writes_before
    message = failure_message(real, "staging-" + OTHER)
    assert second in message and sample_project.SMOKE_SCENARIO in message and first in message
    assert "not promoted past staging because it failed there" in failure_message(real, "prod-" + OTHER)
    # Held back by the playbook's gate before the deploy module starts (in the plan, staging's tests are predicted
    # to pass: the refusal is an assert in both runs, so the plan and the run agree on what changes).
    assert [t["status"] for t in real.tasks if t["host"] == "prod-" + OTHER and t["task"].startswith(DEPLOY)] == []
    assert fleet.leaked_keys() == []


def kill_after_activation(node, stop):
    """kill -9 the node as soon as it has answered an activation: its answers, not the calls it received (a call is
    logged when it arrives, before its work is done). Polled every 0.1 s until the bundle arrives, then every 0.01 s,
    as the tests start right after the activation."""
    while not stop.is_set():
        try:
            stats = node.stats()
        except OSError:
            return
        if any(answer["method"] == "POST" and answer["path"].endswith("/actions/activate") and answer["status"] < 300
               for answer in stats["responses"]):
            node.kill()
            return
        imported = any(call.startswith("POST") and ("/projectsFromBundle" in call or "importFromStream" in call)
                       for call in stats["calls"])
        time.sleep(0.01 if imported else 0.1)


def test_node_killed_after_activation_is_never_left_green_untested(tmp_path, tmp_path_factory):
    land = landscape.restored(landscape.SEEDED, tmp_path, tmp_path_factory)
    staging = land.nodes["staging"]
    first = land.bundle_id()
    # The commit's bundle is exported beforehand, so each run is staging alone (the environment whose node is
    # killed), reading the design node from DSS_DEV_URL.
    export(land, first)
    staging_only = {"envs": ("staging",), "extra_vars": {"dss_bundle_id": first}}
    stop = threading.Event()
    killer = threading.Thread(target=kill_after_activation, args=(staging, stop))
    killer.start()
    try:
        crashed = land.run("promote.yml", **staging_only)
    finally:
        stop.set()
        killer.join()
    assert crashed.rc != 0, crashed.output[-3000:]
    assert staging.proc is None, "the node was not killed"
    staging.start()
    assert land.active_bundle("staging") == first and not land.certified("staging")

    # The dead run's lock is still there: the re-run fails clearly instead of going green.
    locked = land.run("promote.yml", **staging_only)
    assert locked.rc != 0
    message = failure_message(locked, "staging-" + KEY)
    assert "break_lock=true" in message, message
    assert not land.certified("staging")

    # Releasing the stale lock (the documented way): the active bundle is tested again and certified.
    again = land.run("promote.yml", envs=("staging",), extra_vars={"dss_bundle_id": first, "dss_break_lock": "true"})
    assert again.rc == 0, again.output[-4000:]
    # One module call: nothing to import or activate, the untested active bundle is tested and certified.
    deployed = [t for t in again.tasks if t["task"] == DEPLOY + KEY]
    assert [t["status"] for t in deployed] == ["changed"]
    steps = {step["name"]: step["changed"] for step in deployed[0]["result"]["steps"]}
    assert steps["activate"] is False and steps["tests"] is True
    assert land.active_bundle("staging") == first and land.certified("staging")
    assert land.leaked_keys() == []


def test_concurrent_promotions_never_certify_the_failing_bundle(tmp_path, tmp_path_factory):
    land = landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory)
    first = land.bundle_id()
    assert land.built["promoted"].rc == 0 and land.active_bundle("staging") == first
    sample_project.change_variable(land.client("dev"), 60)
    export(land, "good-bundle")
    sample_project.break_flow(land.client("dev"))
    export(land, "bad-bundle")

    def promote(bundle_id):
        return land.run("promote.yml", envs=("staging",), extra_vars={"dss_bundle_id": bundle_id})

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        good, bad = pool.map(promote, ["good-bundle", "bad-bundle"])
    assert bad.rc != 0, bad.output[-3000:]
    # The module that tests and certifies never succeeded for the failing bundle.
    certified_bad = [t for t in bad.tasks if t["task"] == DEPLOY + KEY and t["status"] in ("ok", "changed")]
    assert certified_bad == [], "the failing bundle was certified"
    active = land.active_bundle("staging")
    assert active in (first, "good-bundle") and land.certified("staging")
    if good.rc == 0:
        assert active == "good-bundle"
    else:
        assert "held by" in failure_message(good, "staging-" + KEY)
    assert land.leaked_keys() == []
