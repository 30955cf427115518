"""The role dataiku_gitops.dss.deployer_deploy through ansible-playbook, one inventory host per (environment,
project): staging deploy + tests, idempotent re-run, the Govern gate on prod (refused, then signed off), the
automatic rollback to the last certified bundle when the tests fail on prod, also when the failing bundle is already
the active one (left by a run that did not test it)."""

# pylint: disable=redefined-outer-name
import pytest

from tests.support import landscape
from tests.support.emulator import WRITE_METHODS
from tests.support.promotion import recap
from tests.support.sample_project import PROJECT_KEY, break_flow

STAGING, PROD = "staging-%s" % PROJECT_KEY, "prod-%s" % PROJECT_KEY


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    """A copy of the session's deployer landscape (tests/support/landscape.py): the infrastructures name this copy's
    automation nodes (URLs and keys rewritten at the restore), the inventory is written for them."""
    return landscape.restored(landscape.DEPLOYER, tmp_path, tmp_path_factory)


def result_fact(run, host):
    facts = [t["result"]["ansible_facts"]["deployer_deploy_result"] for t in run.tasks
             if t["host"] == host and "deployer_deploy_result" in (t["result"].get("ansible_facts") or {})]
    return facts[-1]


def failed_task(run, host):
    return [t for t in run.tasks if t["host"] == host and t["status"] == "failed"][-1]


def failed_msg(run, host):
    return failed_task(run, host)["result"]["msg"]


def write_routes(land):
    """{node: {"METHOD route": calls}} of the write requests each node answered so far (its stats' totals)."""
    return {name: {route: totals["calls"] for route, totals in node.stats()["routes"].items()
                   if route.split(" ", 1)[0] in WRITE_METHODS} for name, node in land.nodes.items()}


def writes_since(land, before):
    """{node: {"METHOD route": calls}} of the write requests each node answered since ``before``."""
    now = write_routes(land)
    return {name: {route: calls - before[name].get(route, 0) for route, calls in routes.items()
                   if calls != before[name].get(route, 0)} for name, routes in now.items()}


def test_staging_then_govern_gate_then_prod_then_rollback(land):
    land.export("v1")
    quiet = land.quiet()
    plan = land.deploy("staging", "v1", check=True, diff=True)
    assert plan.rc == 0, plan
    assert land.quiet() == quiet

    staged = land.deploy("staging", "v1")
    assert staged.rc == 0, staged
    result = result_fact(staged, STAGING)
    assert result["route"] == "deployer" and result["active_bundle_id"] == "v1" and result["certified"] is True
    assert result["previous_bundle_id"] is None and result["tests"]["failed_scenarios"] == []
    assert land.active("staging") == "v1"

    # The re-run on staging (converged: no change, no write) and the first deployment to prod, refused by Govern, in
    # one run: the refused creation on dev is the run's one write request (writes_since below).
    quiet = land.quiet()
    digests, before = {env: node.digest() for env, node in land.nodes.items()}, write_routes(land)
    again = refused = land.deploy("staging:prod", "v1")
    assert recap(again.output)[STAGING]["failed"] == 0 and again.changed_count() == 0, again
    assert land.quiet()["staging"] == quiet["staging"]

    assert refused.rc != 0
    msg = failed_msg(refused, PROD)
    assert "Bundle v1 of CHURN is not approved in Govern (governance status: PENDING)" in msg, msg
    # DSS answers Govern's status only for an existing deployment: the creation request is the check, its one write
    # request, refused whole by the deployer. Nothing changed anywhere, and the task says so.
    assert "Nothing was created" in msg and failed_task(refused, PROD)["result"]["changed"] is False, msg
    assert writes_since(land, before) == {"dev": {"POST /project-deployer/deployments": 1}, "staging": {},
                                          "prod": {}}
    assert {env: node.digest() for env, node in land.nodes.items()} == digests
    assert land.active("prod") is None
    assert result_fact(refused, PROD)["error"]
    for node in land.nodes.values():
        assert node.api_key not in refused.output

    land.sign_off("v1")
    shipped = land.deploy("prod", "v1")
    assert shipped.rc == 0, shipped
    assert land.active("prod") == "v1" and result_fact(shipped, PROD)["certified"] is True

    # v2 breaks the flow: signed off, deployed on prod, its tests fail, prod goes back to v1.
    break_flow(land.nodes["dev"].client())
    land.export("v2")
    before = write_routes(land)
    gated = land.deploy("prod", "v2")
    assert "Govern refuses bundle v2 for deployment CHURN-on-prod" in failed_msg(gated, PROD)
    # The deployment exists: the module asks Govern before any write; only the publication of v2 wrote.
    assert writes_since(land, before) == {"dev": {"POST /projects/<key>/bundles/<bundle_id>/publish": 1},
                                          "staging": {}, "prod": {}}
    assert "governance status: PENDING" in failed_msg(gated, PROD)
    assert land.active("prod") == "v1"
    land.sign_off("v2")
    broken = land.deploy("prod", "v2")
    assert broken.rc != 0
    msg = failed_msg(broken, PROD)
    assert "failed at 'tests'" in msg and "Rolled back to bundle v1, the last bundle with a passing test record" in msg
    assert msg.endswith("Known state: active bundle v1."), msg
    result = result_fact(broken, PROD)
    assert result["rolled_back"] is True and result["active_bundle_id"] == "v1" and result["certified"] is False
    assert result["tests"]["failed_scenarios"] and result["rollback_bundle_id"] == "v1" and result["route"] == "deployer"
    assert land.active("prod") == "v1"

    # A run that did not test (dss_run_tests=false, or one killed before its tests) leaves v2 active on prod. The
    # next run finds the deployment in sync on v2 but v2 without a passing test record: it tests v2, which fails,
    # and rolls back to v1, the last certified bundle (not to "the bundle before", which is v2 itself).
    assert land.deploy("prod", "v2", dss_run_tests=False).rc == 0
    assert land.active("prod") == "v2"
    plan = land.deploy("prod", "v2", check=True)
    assert plan.rc == 0 and result_fact(plan, PROD)["rollback_bundle_id"] == "v1", plan
    again = land.deploy("prod", "v2")
    assert again.rc != 0
    result = result_fact(again, PROD)
    assert result["rolled_back"] is True and result["previous_bundle_id"] == "v2", result
    assert "Rolled back to bundle v1" in failed_msg(again, PROD)
    assert land.active("prod") == "v1"
    converged = land.deploy("prod", "v1")
    assert converged.rc == 0 and converged.changed_count() == 0, converged
