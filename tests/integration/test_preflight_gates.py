"""The preflight gates of both deploy routes through real ansible-playbook against emulator nodes: each gate alone and
all of them failing together, blocked before any write with every reason in one message, a warn policy letting the
bundle through with a warning, and the plan (check mode) predicting the real run exactly. One run per mode and route:
the cases are hosts of one run (tests/support/playbook.run_cases)."""

# pylint: disable=redefined-outer-name

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import state_read
from tests.integration.deployer_setup import deployer_ready
from tests.support import sample_project as sample
from tests.support.playbook import run_cases
from tests.support.real_node import require_emulator

KEY = sample.PROJECT_KEY
DEPLOY = "dataiku_gitops.dss.dataiku_bundle_deploy"
DEPLOYMENT = "dataiku_gitops.dss.dataiku_deployment"
# The sample project has a description (passes) and a scenario without trigger, LOAD (fails, severity 3 MEDIUM).
SPECS = ["emulator-standards_project-has-description", "emulator-standards_scenarios-have-triggers"]
FAILING = "Scenarios have triggers (MEDIUM)"


@pytest.fixture
def run_cases_in(tmp_path):
    """``run_cases_in(task name, module, cases, check=..., diff=...)``: the cases as hosts of one run."""
    count = []

    def _run(task_name, module, cases, **kwargs):
        count.append(1)
        return run_cases(tmp_path, task_name, module, cases, name="cases%d" % len(count), **kwargs)

    return _run


def scope_checks(client):
    standards = client.get_project_standards()
    default = standards.get_default_scope()
    default.checks = [c.id for c in standards.create_checks(SPECS)]
    default.save()


def statuses(result):
    return {c["gate"]: c["status"] for c in result["gates"]["checks"]}


def untested_on(node):
    """A previous environment whose node has no passing test record of the bundle (the design node: no test ran)."""
    return {"env": "staging", "url": node.url, "api_key": node.api_key}


def run_both(run, cases, node_pair):
    """The plan then the real run of the same cases; the plan writes nothing. Returns (plan, real)."""
    before = [(n.digest(), n.writes()) for n in node_pair]
    plan = run(cases, check=True, diff=True)
    assert [(n.digest(), n.writes()) for n in node_pair] == before, "the plan wrote"
    return plan, run(cases, diff=True)


def assert_blocked(plan, real, task, host, *fragments):
    for result in (plan, real):
        record = result.task(task, host=host)
        msg = record["result"]["msg"]
        assert record["status"] == "failed", (host, record)
        assert "Preflight gates hold bundle" in msg and "Nothing was changed" in msg, msg
        assert all(f in msg for f in fragments), (host, msg)
        assert "Traceback" not in msg and "\n" not in msg.strip()
        assert record["result"]["gates"]["decision"] == "block"
    assert plan.task(task, host=host)["result"]["gates"] == real.task(task, host=host)["result"]["gates"]


def test_direct_route_gates(design_node, automation_node, run_cases_in):
    require_emulator(automation_node)
    design, auto = design_node, automation_node
    scope_checks(design.client())
    sample.seed_design_project(design.client())
    sample.seed_connection(auto.client(), "staging")
    design.client().get_project(KEY).export_bundle("b1")  # no release notes, fails "Scenarios have triggers"
    base = dict(url=auto.url, api_key=auto.api_key, project_key=KEY, bundle_id="b1", lock_owner="run-1",
                source={"url": design.url, "api_key": design.api_key}, connections={"pg_dev": "pg_staging"})
    cases = {
        "standards": dict(base, gates={"project_standards": "prevent"}),
        "notes": dict(base, gates={"release_notes": "prevent"}),
        "tested": dict(base, gates={"tested_on": untested_on(design)}),
        "every": dict(base, gates={"project_standards": "prevent", "release_notes": "prevent",
                                   "tested_on": untested_on(design)}),
        "above": dict(base, gates={"project_standards": "prevent", "min_severity": "HIGH",
                                   "tested_on": {"env": "staging", "result": {
                                       "bundle_id": "b1", "active_bundle_id": "b1", "certified": True}}}),
    }

    def run(chosen, **kwargs):
        return run_cases_in("deploy", DEPLOY, chosen, **kwargs)

    plan, real = run_both(run, cases, (design, auto))
    assert_blocked(plan, real, "deploy", "standards", "project_standards:", FAILING)
    assert_blocked(plan, real, "deploy", "notes", "release_notes: the bundle has no release notes")
    assert_blocked(plan, real, "deploy", "tested", "tested_on: bundle b1 is not promoted past staging because",
                   "no test scenario has run while bundle b1 was active")
    assert_blocked(plan, real, "deploy", "every", FAILING, "release_notes:", "tested_on:")
    everything = statuses(real.task("deploy", host="every")["result"])
    assert everything == {"project_standards": "block", "govern": "skip", "tested_on": "block",
                          "release_notes": "block"}
    # Below the minimum severity and tested on the previous environment (this run's result): through.
    for result in (plan, real):
        above = result.task("deploy", host="above")
        assert above["status"] == "changed", above
        assert statuses(above["result"]) == {"project_standards": "pass", "govern": "skip", "tested_on": "pass",
                                             "release_notes": "skip"}
        assert above["result"]["diff"]["after"]["gates"] == above["result"]["gates"]["lines"]
    assert sample_active(auto) == "b1"  # the only case let through deployed

    # A warn policy lets the same failing bundle through with the failing check named in a warning.
    warned_cases = {"warn": dict(base, bundle_id="b1", gates={"project_standards": "warn"}, lock_owner="run-2",
                                 break_lock=True)}
    auto.client().get_project(KEY).get_variables()  # the node answers
    plan, real = run_both(run, warned_cases, (design, auto))
    for result in (plan, real):
        warn = result.task("deploy", host="warn")
        assert warn["status"] in ("ok", "changed") and statuses(warn["result"])["project_standards"] == "warn"
        assert FAILING in " ".join(warn["result"].get("warnings") or []), warn
    assert "Traceback" not in real.output and auto.api_key not in real.output + plan.output
    # The decision went with the lock (no write of its own); the bulk read of the status table reads it back.
    assert state_read.project_state(auto.client(), KEY, True)["gates"] == {
        "bundle_id": "b1", "decision": "warn", "warned": ["project_standards"]}


def sample_active(auto):
    return (auto.client().get_project(KEY).get_summary().get("activeBundleState") or {}).get("bundleId")


def test_deployer_route_gates(design_node, automation_node, run_cases_in):
    require_emulator(automation_node)
    design, auto = design_node, automation_node
    scope_checks(design.client())
    deployer = deployer_ready(design, auto, bundle_ids=("v1",))
    base = dict(url=design.url, api_key=design.api_key, published_project_key=KEY, infra_id="prod", bundle_id="v1")
    cases = {
        "standards": dict(base, deployment_id="d-standards", gates={"project_standards": "prevent"}),
        "every": dict(base, deployment_id="d-all", gates={
            "project_standards": "prevent", "release_notes": "prevent", "tested_on": untested_on(design)}),
        "warn": dict(base, deployment_id="d-warn", gates={"project_standards": "warn"}),
    }

    def run(chosen, **kwargs):
        return run_cases_in("deployment", DEPLOYMENT, chosen, **kwargs)

    plan, real = run_both(run, cases, (design, auto))
    assert_blocked(plan, real, "deployment", "standards", "back from infrastructure prod", FAILING)
    assert_blocked(plan, real, "deployment", "every", FAILING, "release_notes:", "tested_on:")
    for result in (plan, real):
        warn = result.task("deployment", host="warn")
        assert warn["status"] == "changed", warn
        assert statuses(warn["result"])["project_standards"] == "warn"
        assert FAILING in " ".join(warn["result"].get("warnings") or [])
    assert sorted(d.id for d in deployer.list_deployments()) == ["d-warn"]

    # The infrastructure's own policy (what DSS applies in the update) and Govern, predicted before any write.
    infra = deployer.get_infra("prod").get_settings()
    infra.get_raw().update(projectStandardsCheckPolicy="PREVENT", governCheckPolicy="PREVENT")
    infra.save()
    design.client().get_project(KEY).export_bundle("v2")
    design.client().get_project(KEY).publish_bundle("v2")
    update = {"infra": dict(base, deployment_id="d-warn", bundle_id="v2", gates={"project_standards": "warn"})}
    plan, real = run_both(run, update, (design, auto))
    assert_blocked(plan, real, "deployment", "infra", "infrastructure (policy prevent, LOWEST or more)", FAILING,
                   "govern: Govern refuses bundle v2 for deployment d-warn")
    assert statuses(real.task("deployment", host="infra")["result"])["project_standards"] == "block"
