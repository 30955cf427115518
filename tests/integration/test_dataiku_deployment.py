"""dataiku_deployment and dataiku_deployment_info through ansible-playbook against a design node (local deployer)
and an automation node: exact check mode, update and idempotence with zero writes, rollback, Govern gate, bad
input failing before any write with no key shown."""

# pylint: disable=redefined-outer-name
import pytest

from tests.integration.deployer_setup import (DEPLOYMENT, DEPLOYMENT_INFO, INFRA, active_bundle,
                                              assert_refused_each, deployer_ready, task)
from tests.integration.test_dataiku_project import assert_clean_failure, closed_port_url
from tests.support.emulator import WRITE_METHODS
from tests.support.playbook import PlaybookResult, save_state_task, stats_command
from tests.support.real_node import require_emulator

CREATE = dict(deployment_id="churn-prod", published_project_key="CHURN", infra_id="prod", bundle_id="v1",
              scenarios_to_activate={"TEST_SMOKE": True})


@pytest.fixture
def nodes(design_node, automation_node):
    require_emulator(design_node)
    return design_node, automation_node


def both_quiet(design, automation):
    return (design.writes(), design.digest(), automation.writes(), automation.digest())


def quiet_tasks(name, design, automation):
    """One task recording the stats of both nodes at this point of the run (snapshot_task's curl lookup, twice in one
    task: one worker, no module start): ``quiet_at(result, name)`` reads them like both_quiet."""
    commands = {"%s_stats_command" % role: stats_command(node)
                for role, node in (("design", design), ("automation", automation))}
    facts = {"%s_stats" % role: "{{ lookup('ansible.builtin.pipe', %s_stats_command) | from_json }}" % role
             for role in ("design", "automation")}
    return [{"name": "stats " + name, "vars": commands, "ansible.builtin.set_fact": facts}]


def stats_at(result, name, role):
    """The whole stats of the node ``role`` (design, automation) at the ``quiet_tasks`` task ``name``."""
    return result.task("stats " + name)["result"]["ansible_facts"][role + "_stats"]


def quiet_at(result, name):
    quiet = ()
    for role in ("design", "automation"):
        stats = stats_at(result, name, role)
        quiet += (sum(stats["requests"].get(method, 0) for method in WRITE_METHODS), stats["state_digest"])
    return quiet


def test_create_update_idempotent_upgrade_and_rollback(nodes, playbook, tmp_path):
    """The create, its re-run, the upgrade, the roll-back and the info reads in one run: snapshots of both nodes
    between them (no module start) tell what each wrote; the automation node saved after the create and after the
    upgrade is read through the client after the run."""
    design, automation = nodes
    deployer_ready(design, automation)
    deploy = task(DEPLOYMENT, design, "deploy", **CREATE)
    upgrade = dict(deployment_id="churn-prod", bundle_id="v2")
    upgraded = task(DEPLOYMENT, design, "upgrade", **upgrade)
    tasks = quiet_tasks("start", design, automation) + [dict(deploy, name="check", check_mode=True)]
    tasks += quiet_tasks("checked", design, automation) + [deploy, save_state_task("save v1", automation,
                                                                                   tmp_path / "v1")]
    tasks += quiet_tasks("deployed", design, automation) + [dict(deploy, name="again")]
    tasks += quiet_tasks("again", design, automation) + [dict(upgraded, name="check upgrade", check_mode=True)]
    tasks += quiet_tasks("upgrade checked", design, automation) + [upgraded, save_state_task(
        "save v2", automation, tmp_path / "v2")]
    tasks += [task(DEPLOYMENT, design, "rollback", deployment_id="churn-prod", bundle_id="v1"),
              task(DEPLOYMENT_INFO, design, "info", deployment_id="churn-prod", bundle_id="v2"),
              task(DEPLOYMENT_INFO, design, "none", deployment_id="ghost")]
    check = real = again = info = none = rollback = playbook(tasks=tasks, diff=True)
    predicted = check.task("check")["result"]
    assert predicted["changed"] and predicted["updated"] and predicted["previous_bundle_id"] is None, check
    assert predicted["diff"]["before"] == {} and predicted["diff"]["after"]["in_sync"] is True
    assert quiet_at(check, "checked") == quiet_at(check, "start")

    done = real.task("deploy")["result"]
    assert done["changed"] and done["diff"] == predicted["diff"], real
    assert done["health"] == "HEALTHY" and any("Activating bundle v1" in line for line in done["update_log"])

    assert again.task("again")["status"] == "ok", again
    assert quiet_at(again, "again") == quiet_at(again, "deployed")

    predicted = check.task("check upgrade")["result"]
    assert predicted["diff"]["before"]["bundle_id"] == "v1" and predicted["diff"]["after"]["bundle_id"] == "v2"
    assert quiet_at(check, "upgrade checked") == quiet_at(check, "again")
    done = real.task("upgrade")["result"]
    assert done["diff"] == predicted["diff"] and done["previous_bundle_id"] == "v1"

    assert rollback.task("rollback")["result"]["previous_bundle_id"] == "v2"
    assert active_bundle(automation) == "v1"

    result = info.task("info")["result"]
    assert result["exists"] and result["deployments"][0]["health"] == "HEALTHY"
    updates = result["deployments"][0]["updates"]
    assert [u["status"] for u in updates] == ["SUCCESS"] * 3 and updates[0]["requester"] == "admin"
    assert any("Activating bundle v1" in line for line in updates[0]["log"])
    assert result["governance"]["severity"] == "INFO" and result["governance"]["blocked"] is False
    assert none.task("none")["result"]["exists"] is False and none.task("none")["result"]["deployments"] == []

    automation.restore(tmp_path / "v2")  # as the upgrade left it
    assert active_bundle(automation) == "v2"
    automation.restore(tmp_path / "v1")  # as the create left it
    assert active_bundle(automation) == "v1"
    assert automation.client().get_project("CHURN").get_scenario("TEST_SMOKE").get_settings().get_raw()["active"]


def test_bad_input_fails_before_any_write(nodes, playbook):
    design, automation = nodes
    deployer_ready(design, automation)
    quiet = both_quiet(design, automation)
    cases = [
        (dict(CREATE, infra_id="nowhere"), ["Infrastructure nowhere does not exist", "infrastructures: prod"]),
        (dict(CREATE, published_project_key="NOPE"), ["Published project NOPE does not exist"]),
        (dict(CREATE, bundle_id="v9"), ["Bundle v9 is not published in published project CHURN",
                                        "published bundles: v1, v2"]),
        (dict(deployment_id="churn-prod", bundle_id="v1"), ["does not exist: set published_project_key, infra_id"]),
        (dict(CREATE, scenarios_to_activate={"TEST_SMOKE": "maybe"}), ["must be true or false"]),
    ]
    tasks = [(task(DEPLOYMENT, design, "x", **args), fragments) for args, fragments in cases]
    tasks.append((task(DEPLOYMENT, automation, "x", **CREATE), ["is a AUTOMATION node"]))
    assert_refused_each(playbook, tasks, automation.api_key, design.api_key)
    assert both_quiet(design, automation) == quiet


def assert_clean_refusal(result, name, node, *fragments):
    """The task ``name`` (ignore_errors) failed with a short message: assert_clean_failure's checks (the fragments
    present, no traceback, the API key nowhere in the run's output) for a task that is not the run's last."""
    record = result.task(name)
    assert record["status"] == "ignored", result
    alone = PlaybookResult(2, result.output, [dict(record, status="failed")], result.playbook_path)
    return assert_clean_failure(alone, node, *fragments)


def infra_task(design, title, **settings):
    """The prod infrastructure's settings changed in the run (dataiku_deployer_infra), between two deployments."""
    return task(INFRA, design, title, infra_id="prod", **settings)


def test_unreachable_automation_node_and_failed_update(nodes, playbook):
    """The create, the update refused while the infrastructure names a closed port, then the update failing on the
    automation node (no connection remapping) in one run; the infrastructure is changed by dataiku_deployer_infra
    between them."""
    design, automation = nodes
    deployer_ready(design, automation)
    upgrade = task(DEPLOYMENT, design, "unreachable", deployment_id="churn-prod", bundle_id="v2")
    ok = result = failed = playbook(tasks=[
        task(DEPLOYMENT, design, "deploy", **CREATE),
        infra_task(design, "close the automation node", automation_node_url=closed_port_url(),
                   check_automation_node=False)]
        + quiet_tasks("closed", design, automation) + [dict(upgrade, ignore_errors=True)]
        + quiet_tasks("unreachable", design, automation) + [
        infra_task(design, "drop the remapping", automation_node_url=automation.url, connections={}),
        dict(upgrade, name="deploy v2")])
    assert ok.task("deploy")["status"] == "changed", ok
    assert_clean_refusal(result, "unreachable", automation, "cannot be reached", "nothing was changed")
    assert quiet_at(result, "unreachable") == quiet_at(result, "closed")

    msg = assert_clean_failure(failed, automation, "The update of deployment churn-prod to bundle v2 failed",
                               "pg_dev")
    record = failed.task("deploy v2")["result"]
    assert record["health"] == "ERROR" and record["previous_bundle_id"] == "v1"
    assert any(line.startswith("ERROR: ") for line in record["update_log"]), msg
    assert active_bundle(automation) == "v1"


def test_govern_gate_prevent_and_warn(nodes, playbook):
    """The refused creation, the creation (policy NO_CHECK), the refused upgrade in check mode and for real with the
    gate's read (PREVENT), then the warning refused and let through (WARN) in one run: the infrastructure's policy is
    changed by dataiku_deployer_infra between them, snapshots of both nodes tell what the refusals wrote."""
    design, automation = nodes
    deployer_ready(design, automation, policy="PREVENT")
    upgrade = dict(deployment_id="churn-prod", bundle_id="v2")
    first = info = refusals = warned = through = playbook(tasks=quiet_tasks("start", design, automation) + [
        dict(task(DEPLOYMENT, design, "first", **CREATE), ignore_errors=True),
        task(DEPLOYMENT_INFO, design, "none", deployment_id="churn-prod")]
        + quiet_tasks("refused", design, automation) + [
        infra_task(design, "no check", govern_check_policy="NO_CHECK"),
        task(DEPLOYMENT, design, "create", **CREATE),
        infra_task(design, "prevent", govern_check_policy="PREVENT")]
        + quiet_tasks("prevent", design, automation) + [
        # The refusal in check mode, the gate's read and the refusal for real.
        dict(task(DEPLOYMENT, design, "check", **upgrade), check_mode=True, ignore_errors=True),
        task(DEPLOYMENT_INFO, design, "gate", deployment_id="churn-prod", bundle_id="v2"),
        dict(task(DEPLOYMENT, design, "deploy", **upgrade), ignore_errors=True)]
        + quiet_tasks("refusals", design, automation) + [
        infra_task(design, "warn", govern_check_policy="WARN"),
        # The warning refused, then let through (ignore_warnings).
        dict(task(DEPLOYMENT, design, "warned", **upgrade), ignore_errors=True),
        task(DEPLOYMENT, design, "through", ignore_warnings=True, **upgrade)])
    assert_clean_refusal(first, "first", automation,
                         "Bundle v1 of CHURN is not approved in Govern (governance status: PENDING)",
                         "Nothing was created")
    none = first.task("none")["result"]
    assert none["exists"] is False and first.task("first")["result"]["changed"] is False
    # DSS answers Govern's status only for an existing deployment: the creation request is the check, the one write
    # request of the refusal, refused whole (same digests).
    design_writes, design_digest, auto_writes, auto_digest = quiet_at(first, "start")
    assert quiet_at(first, "refused") == (design_writes + 1, design_digest, auto_writes, auto_digest)
    created = stats_at(first, "start", "design")["routes"].get("POST /project-deployer/deployments")
    calls = stats_at(first, "refused", "design")["routes"]["POST /project-deployer/deployments"]["calls"]
    assert calls == (created or {}).get("calls", 0) + 1

    assert first.task("create")["status"] == "changed", first

    assert_clean_refusal(refusals, "deploy", automation, "Govern refuses bundle v2 for deployment churn-prod",
                         "governance status: PENDING", "Nothing was changed")
    for name in ("check", "deploy"):
        refused = refusals.task(name)
        assert refused["status"] in ("ignored", "failed") and refused["result"]["governance"]["blocked"] is True
        msg = refused["result"]["msg"]
        assert "Govern refuses bundle v2 for deployment churn-prod" in msg and "governance status: PENDING" in msg
        assert "Nothing was changed" in msg and "Traceback" not in msg, msg
    assert quiet_at(refusals, "refusals") == quiet_at(refusals, "prevent")
    assert info.task("gate")["result"]["governance"]["approved"] is False

    refused = warned.task("warned")
    assert refused["status"] == "ignored" and "Govern warns about bundle v2" in refused["result"]["msg"], refused
    assert "Set ignore_warnings=true" in refused["result"]["msg"] and "Traceback" not in refused["result"]["msg"]
    assert automation.api_key not in warned.output
    result = through.task("through")["result"]
    assert result["health"] == "WARNING" and result["update_messages"][0]["severity"] == "WARNING", through
    assert active_bundle(automation) == "v2"


def test_deployer_route_on_failure_policies_in_one_run(nodes, playbook):
    """dataiku_deployment with tests: a failing first deployment with on_failure=delete_project deletes the deployment
    and the project; a good bundle is certified by its test record; on_failure=keep leaves the failing bundle active;
    the plan then names the roll-back target; on_failure=rollback (the failing bundle already active) updates the
    deployment back to the last certified bundle and re-tests it; a re-run changes nothing."""
    from tests.support.sample_project import break_flow  # pylint: disable=import-outside-toplevel
    design, automation = nodes
    deployer_ready(design, automation, bundle_ids=("v1",))
    break_flow(design.client())
    project = design.client().get_project("CHURN")
    project.export_bundle("v2")
    project.publish_bundle("v2")
    route = dict(deployment_id="churn-prod", published_project_key="CHURN", infra_id="prod",
                 automation={"url": automation.url, "api_key": automation.api_key},
                 tests={"prefix": "TEST_", "poll_interval": 0.1})
    tasks = [
        dict(task(DEPLOYMENT, design, "first", bundle_id="v2", on_failure="delete_project", **route), ignore_errors=True),
        task(DEPLOYMENT, design, "good", bundle_id="v1", on_failure="rollback", **route),
        dict(task(DEPLOYMENT, design, "keep", bundle_id="v2", on_failure="keep", **route), ignore_errors=True),
        dict(task(DEPLOYMENT, design, "plan", bundle_id="v2", on_failure="rollback", **route), check_mode=True),
        dict(task(DEPLOYMENT, design, "rollback", bundle_id="v2", on_failure="rollback", **route), ignore_errors=True),
        task(DEPLOYMENT, design, "converged", bundle_id="v1", on_failure="rollback", **route),
    ]
    result = playbook(tasks=tasks)
    assert [result.task(name)["status"] for name in ("first", "keep", "rollback")] == ["ignored"] * 3
    first = result.task("first")["result"]
    assert first["project_created"] and first["project_deleted"] and first["error"], first
    assert "First deployment: the project this run created was deleted" in first["msg"], first["msg"]
    good = result.task("good")["result"]
    assert good["route"] == "deployer" and good["certified"] and good["tests"]["summary"]["success"] == 1, good
    keep = result.task("keep")["result"]
    assert keep["active_bundle_id"] == "v2" and not keep["rolled_back"] and "on_failure=keep" in keep["msg"], keep
    plan = result.task("plan")["result"]
    assert plan["rollback_bundle_id"] == "v1" and plan["previous_bundle_id"] == "v2" and plan["changed"], plan
    back = result.task("rollback")["result"]
    assert back["rolled_back"] and back["active_bundle_id"] == "v1" and back["previous_bundle_id"] == "v2", back
    assert "Rolled back to bundle v1, the last bundle with a passing test record" in back["msg"], back["msg"]
    assert result.task("converged")["status"] == "ok", result.task("converged")
    assert active_bundle(automation) == "v1"
    # The same steps as the direct route reports (what the deploy_steps callback prints): the ones done before a
    # failure, the planned ones in check mode (the deployment already on v2 after keep: only the tests and the
    # certification to do), only the update (unchanged) when converged.
    steps = dict((name, [(s["name"], s["changed"]) for s in result.task(name)["result"]["steps"]])
                 for name in ("good", "keep", "plan", "converged"))
    assert steps == {"good": [("update", True), ("tests", True), ("certify", True)], "keep": [("update", True)],
                     "plan": [("update", False), ("tests", True), ("certify", True)],
                     "converged": [("update", False)]}, steps
