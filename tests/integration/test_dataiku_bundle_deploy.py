"""dataiku_bundle_deploy, dataiku_scenario_run and dataiku_bundle_certify through real ansible-playbook against
emulator nodes: exact check mode, zero-write re-runs, refusals before any write, kill -9 between steps, two
concurrent deployments of one project, and the one-call deployment (option tests: deploy, test, certify, retention,
lock release in one module start)."""

# pylint: disable=redefined-outer-name

import threading

import pytest
import yaml

from tests.support import sample_project as sample
from tests.support.playbook import run_cases, run_playbook, save_state_task, snapshot_task
from tests.support.real_node import real_node_or_none, require_emulator

KEY = sample.PROJECT_KEY
DEPLOY = "dataiku_gitops.dss.dataiku_bundle_deploy"
CERTIFY = "dataiku_gitops.dss.dataiku_bundle_certify"
STATE = "dataiku_gitops.dss.dataiku_bundle_state_info"
RUN = "dataiku_gitops.dss.dataiku_scenario_run"


def seed(design_node, automation_node):
    """CHURN on the design node with bundle b1 exported; the automation node has pg_staging."""
    require_emulator(automation_node)
    sample.seed_design_project(design_node.client())
    sample.seed_connection(automation_node.client(), "staging")
    export(design_node, "b1")
    return design_node, automation_node


def save_pair(folder, design, auto):
    """Both nodes saved into ``folder``: what ``restore_pair`` puts back."""
    design.snapshot(folder / "design")
    auto.snapshot(folder / "automation")
    return folder, {"design": (design.url, design.api_key), "automation": (auto.url, auto.api_key)}


def restore_pair(saved, design, auto):
    """The nodes of ``save_pair`` restored into ``design`` and ``auto`` (their URLs and keys rewritten)."""
    require_emulator(auto)
    folder, built = saved
    nodes = {"design": design, "automation": auto}
    replace = {}
    for name, node in nodes.items():
        replace.update({old: new for old, new in zip(built[name], (node.url, node.api_key)) if old != new})
    for name, node in nodes.items():
        node.restore(folder / name, replace)
    return design, auto


def pool_nodes(node_pool):
    """For a module-scoped fixture: the nodes of this process, checked out (reset) for it."""
    return (real_node_or_none("design") or node_pool.checkout("design"),
            real_node_or_none("automation") or node_pool.checkout("automation"))


@pytest.fixture(scope="module")
def seeded(node_pool, tmp_path_factory):
    """``seed`` once, both nodes saved: each test's ``nodes`` restores it (a few hundredths of a CPU second instead of
    a third of one)."""
    return save_pair(tmp_path_factory.mktemp("seeded"), *seed(*pool_nodes(node_pool)))


@pytest.fixture
def nodes(seeded, design_node, automation_node):
    """This test's nodes as ``seed`` leaves them (``seeded`` restored into them)."""
    return restore_pair(seeded, design_node, automation_node)


def module_nodes(node_pool, seeded):
    """For a module-scoped fixture: the nodes of ``nodes``, checked out (reset) and restored as seeded for it."""
    return restore_pair(seeded, *pool_nodes(node_pool))


@pytest.fixture(scope="module")
def certified_b1(node_pool, seeded, tmp_path_factory):
    """b1 promoted once (deployed, tested, certified, lock released: what a first promotion leaves), both nodes
    saved: the tests that start from there restore it (a few milliseconds) instead of running that promotion."""
    design, auto = module_nodes(node_pool, seeded)
    folder = tmp_path_factory.mktemp("certified-b1")
    built = run(lambda **kw: run_playbook(folder / "run", **kw), design, auto, promote(design, auto, "b1"))
    assert built.rc == 0 and built.task("certify")["result"]["certified"], built
    return save_pair(folder, design, auto)


@pytest.fixture
def certified(certified_b1, design_node, automation_node):
    """The nodes with b1 certified on the automation node (``certified_b1`` restored into this test's nodes)."""
    return restore_pair(certified_b1, design_node, automation_node)


def starting_point(auto):
    """The active bundle and its test outcomes on the automation node: ("b1", {"SUCCESS": 1}) once certified."""
    project = auto.client().get_project(KEY)
    active = project.get_summary()["activeBundleState"]["bundleId"]
    return active, project.get_testing_status(active).nb_scenarios_per_outcome


def export(design, bundle_id):
    design.client().get_project(KEY).export_bundle(bundle_id)


def conn(node):
    return {"url": node.url, "api_key": "{{ auto_key }}"}


def deploy_task(design, auto, bundle_id, owner="run-1", name="deploy", **extra):
    args = dict(conn(auto), project_key=KEY, bundle_id=bundle_id, lock_owner=owner,
                source={"url": design.url, "api_key": "{{ design_key }}"}, connections={"pg_dev": "pg_staging"})
    args.update(extra)
    return {"name": name, DEPLOY: args, "register": "deployed"}


def scenarios_task(auto, name="tests", **extra):
    return {"name": name, RUN: dict(conn(auto), project_key=KEY, prefix="TEST_", poll_interval=0.1), **extra}


def certify_task(auto, bundle_id, owner="run-1", name="certify", **extra):
    return {"name": name, CERTIFY: dict(conn(auto), project_key=KEY, bundle_id=bundle_id, lock_owner=owner, **extra)}


def promote(design, auto, bundle_id, owner="run-1", keep_last=None):
    certify = certify_task(auto, bundle_id, owner, **({"keep_last": keep_last} if keep_last else {}))
    return [deploy_task(design, auto, bundle_id, owner), scenarios_task(auto), certify]


def run(playbook, design, auto, tasks, **kwargs):
    """``playbook`` with the keys as extra vars (``tasks`` None: ``playbook`` takes no tasks, as run_cases)."""
    if tasks is not None:
        kwargs["tasks"] = tasks
    result = playbook(extra_vars={"auto_key": auto.api_key, "design_key": design.api_key}, **kwargs)
    assert auto.api_key not in result.output and design.api_key not in result.output
    return result


def one_call_task(design, auto, bundle_id, owner="run-1", name="deploy", **extra):
    """dataiku_bundle_deploy with tests: deploy, test, certify, retention and lock release in one module call."""
    return deploy_task(design, auto, bundle_id, owner, name, tests={"prefix": "TEST_", "poll_interval": 0.1}, **extra)


def state_task(auto, name="state"):
    return {"name": name, STATE: dict(conn(auto), project_keys=[KEY])}


def lock_in(result, name="state"):
    """The lock the state_task ``name`` of a run read on the node."""
    return result.task(name)["result"]["projects"][KEY]["lock"]


def _comparable(steps):
    return [{k: v for k, v in s.items() if k not in ("lock", "uploaded_bytes", "duration")} for s in steps]


def renamed(tasks, prefix, **keywords):
    """``tasks`` named "<prefix> <name>" with the task keywords ``keywords`` (check_mode=True: a plan in the run)."""
    return [dict(task, name="%s %s" % (prefix, task["name"]), **keywords) for task in tasks]


def test_first_deployment_plan_is_exact_then_certified_then_a_rerun_writes_nothing(nodes, playbook):
    """The plan, the real promotion, the re-run and a state read in one run: snapshots between them (no module
    start) tell what each wrote."""
    design, auto = nodes
    read = {"name": "state", STATE: dict(conn(auto), project_keys=[KEY, "NOPE"], bundle_ids={KEY: "b1"})}
    tasks = [snapshot_task("start", auto)]
    tasks += renamed(promote(design, auto, "b1", keep_last=1), "plan", check_mode=True)
    tasks += [snapshot_task("after the plan", auto)] + promote(design, auto, "b1", keep_last=1)
    tasks += [snapshot_task("after the real run", auto), deploy_task(design, auto, "b1", owner="run-2", name="again"),
              certify_task(auto, "b1", owner="run-2", name="certify again", keep_last=1),
              snapshot_task("after the re-run", auto), read]
    real = plan = again = run(playbook, design, auto, tasks, diff=True)
    assert plan.rc == 0, plan
    assert plan.snapshot("after the plan") == plan.snapshot("start")
    predicted = plan.task("plan deploy")["result"]

    assert real.rc == 0, real
    done = real.task("deploy")["result"]
    assert done["changed"] is predicted["changed"] is True
    assert _comparable(done["steps"]) == _comparable(predicted["steps"])
    assert [s["name"] for s in done["steps"] if s["changed"]] == ["import", "remap", "activate"]
    assert done["diff"] == predicted["diff"]
    assert done["project_created"] and done["previous_bundle_id"] is None and not done["certified"]
    assert done["lock"]["owner"] == "run-1"
    certified = real.task("certify")["result"]
    assert certified["certified"] and certified["lock_released"] and certified["tests"]["outcomes"] == {"SUCCESS": 1}
    assert real.task("certify")["changed"] is plan.task("plan certify")["changed"] is False

    assert again.rc == 0, again
    rerun = [again.task(name) for name in ("again", "certify again")]
    assert [t["changed"] for t in rerun] == [False, False] and again.task("again")["result"]["certified"]
    assert again.snapshot("after the re-run") == again.snapshot("after the real run")

    state = again
    projects = state.task("state")["result"]["projects"]
    bundles = projects[KEY].pop("bundles")
    assert projects[KEY] == {"exists": True, "active_bundle_id": "b1", "bundle_ids": ["b1"], "certified": True,
                             "target_certified": True, "lock": None, "gates": None}
    assert [b["bundle_id"] for b in bundles] == ["b1"] and bundles[0]["imported_on"]
    assert projects["NOPE"]["exists"] is False
    assert (auto.digest(), auto.writes()) == again.snapshot("after the re-run")


def test_failing_bundle_is_not_certified_keeps_the_rollback_target_and_rolls_back(certified, playbook, tmp_path):
    """From b1 certified: b2 fails its tests and is not certified; the roll-back to b1 in the same run (the
    automation node saved between them, read through the client after the run)."""
    design, auto = certified
    assert starting_point(auto) == ("b1", {"SUCCESS": 1})
    sample.break_flow(design.client())
    export(design, "b2")
    tasks = [deploy_task(design, auto, "b2"), dict(scenarios_task(auto), ignore_errors=True),
             dict(certify_task(auto, "b2", keep_last=1), ignore_errors=True),
             save_state_task("save the failed state", auto, tmp_path / "failed")]
    # Roll back under the same lock owner (re-entrant), re-test, certify b1: retention now removes b2.
    tasks += renamed(promote(design, auto, "b1", keep_last=1), "back")
    failed = back = run(playbook, design, auto, tasks)
    certify = failed.task("certify")
    assert certify["status"] == "ignored"
    assert "Bundle b2 of project CHURN" in certify["result"]["msg"] and "FAILED x1" in certify["result"]["msg"]
    project = auto.client().get_project(KEY)
    assert back.rc == 0, back
    assert back.task("back deploy")["result"]["previous_bundle_id"] == "b2"
    assert back.task("back certify")["result"]["deleted_bundle_ids"] == ["b2"]
    assert project.get_summary()["activeBundleState"]["bundleId"] == "b1"
    auto.restore(tmp_path / "failed")
    assert [b["bundleId"] for b in project.list_imported_bundles()["bundles"]] == ["b1", "b2"]  # b1 kept


BAD_INPUT = [
    ({"bundle_id": "b1#x"}, "is not a valid bundle id"),
    ({"connections": {"pg_dev": "pg_nowhere"}}, "pg_nowhere"),
    ({"lock_owner": ""}, "lock_owner must be a non-empty run id"),
    ({"source": {"url": "http://127.0.0.1:9", "api_key": "{{ design_key }}"}}, "Could not connect"),
    ({"keep_last": 1}, "missing parameter(s) required by 'keep_last': tests"),
    ({"tests": {"junit_xml": "/dev/null/CHURN.xml"}}, "tests.junit_xml /dev/null/CHURN.xml: /dev/null is not a directory"),
    ({"tests": {"scenarios": ["TEST_A"], "prefix": "TEST_"}}, "mutually exclusive: scenarios|prefix"),
    ({"tests": {"scenario_timeout": 0}, "keep_last": 0}, "tests.scenario_timeout must be a positive number"),
]


@pytest.fixture(scope="module")
def bad_input_run(node_pool, seeded, tmp_path_factory):
    """The BAD_INPUT cases in one ansible-playbook run (one host per case). Gives (result, the automation node's
    digest and writes before, after)."""
    design, auto = module_nodes(node_pool, seeded)
    before = (auto.digest(), auto.writes())
    cases = {}
    for index, (extra, _fragment) in enumerate(BAD_INPUT):
        cases["case_%d" % index] = dict(deploy_task(design, auto, "b1")[DEPLOY], **extra)
    result = run(lambda **kw: run_cases(tmp_path_factory.mktemp("bad-input"), "deploy", DEPLOY, cases, **kw),
                 design, auto, None)
    return result, before, (auto.digest(), auto.writes())


@pytest.mark.parametrize("extra,fragment", BAD_INPUT)
def test_bad_input_fails_before_any_write(bad_input_run, extra, fragment):
    result, before, after = bad_input_run
    failed = result.task("deploy", host="case_%d" % BAD_INPUT.index((extra, fragment)))
    assert failed["status"] == "failed" and fragment in failed["result"]["msg"], failed
    assert "Traceback" not in failed["result"]["msg"]
    assert after == before


def test_kill_after_activation_then_rerun_retests_or_refuses_clearly(deployed_b1, playbook):
    design, auto = deployed_b1  # b1 deployed (its run asserted by deployed_b1), not tested yet
    assert starting_point(auto) == ("b1", {})
    auto.kill()  # the automation node dies between activation and tests
    auto.start()
    # The refused re-run and, after it, the re-run that breaks the lock in one run (a snapshot between them).
    tasks = promote(design, auto, "b1", owner="run-2")
    tasks[0][DEPLOY]["break_lock"] = True
    refusal = dict(deploy_task(design, auto, "b1", owner="run-2", name="refused"), ignore_errors=True)
    tasks = [snapshot_task("start", auto), state_task(auto), refusal, snapshot_task("after the refusal", auto)] + tasks
    refused = rerun = run(playbook, design, auto, tasks)
    view = refused.task("state")["result"]["projects"][KEY]
    assert view["active_bundle_id"] == "b1" and view["certified"] is False and view["lock"]["owner"] == "run-1"

    message = refused.task("refused")["result"]["msg"]
    assert refused.task("refused")["status"] == "ignored" and "held by run-1" in message and "break_lock=true" in message
    assert refused.snapshot("after the refusal")[0] == refused.snapshot("start")[0]

    assert rerun.rc == 0, rerun
    assert rerun.task("deploy")["changed"] is False and rerun.task("deploy")["result"]["lock"]["owner"] == "run-2"
    assert rerun.task("certify")["result"]["certified"] is True


def test_two_concurrent_deployments_of_one_project(certified, tmp_path):
    design, auto = certified
    assert starting_point(auto) == ("b1", {"SUCCESS": 1})
    sample.change_variable(design.client(), 45)
    export(design, "b2")
    export(design, "b3")
    results = {}

    def go(owner, bundle_id):
        tasks = promote(design, auto, bundle_id, owner=owner)
        tasks.insert(1, {"name": "hold", "ansible.builtin.pause": {"seconds": 2}})
        results[owner] = run(lambda **kw: playbook_in(tmp_path / owner, **kw), design, auto, tasks)

    threads = [threading.Thread(target=go, args=(owner, bundle)) for owner, bundle in (("A", "b2"), ("B", "b3"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [owner for owner, result in results.items() if result.rc == 0]
    assert len(winners) == 1, results
    loser = results["B" if winners == ["A"] else "A"]
    assert "lock" in str([t["result"].get("msg") for t in loser.tasks if t["status"] == "failed"])
    bundle = {"A": "b2", "B": "b3"}[winners[0]]
    project = auto.client().get_project(KEY)
    assert project.get_summary()["activeBundleState"]["bundleId"] == bundle
    assert project.get_testing_status(bundle).nb_scenarios_per_outcome == {"SUCCESS": 1}


def playbook_in(workdir, **kwargs):
    return run_playbook(workdir, **kwargs)


REFUSED_AFTER_DEPLOY = [
    ({CERTIFY: {"bundle_id": "b9"}}, "it is not the active bundle (the active bundle is b1)"),
    ({CERTIFY: {"keep_last": 0}}, "keep_last must be 1 or more"),
    ({STATE: {"project_keys": ["churn"]}}, "is not a valid DSS project key"),
]


@pytest.fixture(scope="module")
def refused_after_deploy(node_pool, seeded, tmp_path_factory):
    """One run: deploy b1 (without tests: b1 active, not certified, the lock kept by run-1, its lease an hour),
    save the automation node (``deployed_b1``), then each REFUSED_AFTER_DEPLOY task (ignore_errors) between two
    snapshots. Gives (result, the saved folder, the automation node's URL and key when saved)."""
    design, auto = module_nodes(node_pool, seeded)
    folder = tmp_path_factory.mktemp("refused")
    tasks = [deploy_task(design, auto, "b1", lock_timeout=3600),
             save_state_task("save the deployed state", auto, folder / "deployed"), snapshot_task("before", auto)]
    for index, (task, _fragment) in enumerate(REFUSED_AFTER_DEPLOY):
        (module, options), = task.items()
        args = dict(conn(auto), **options)
        if module == CERTIFY:
            args = dict(dict(conn(auto), project_key=KEY, bundle_id="b1", lock_owner="run-1"), **options)
        tasks.append({"name": "bad %d" % index, module: args, "ignore_errors": True})
    tasks.append(snapshot_task("after", auto))
    result = run(lambda **kw: run_playbook(folder / "run", **kw), design, auto, tasks)
    return result, folder / "deployed", (auto.url, auto.api_key)


@pytest.fixture
def deployed_b1(refused_after_deploy, nodes):
    """``nodes`` with b1 deployed on the automation node by a run that is gone (the state ``refused_after_deploy``
    saved, restored into this test's node): b1 active, not tested, the lock held by run-1."""
    design, auto = nodes
    result, folder, saved_by = refused_after_deploy
    assert result.task("deploy")["status"] == "changed", result
    auto.restore(folder, {old: new for old, new in zip(saved_by, (auto.url, auto.api_key)) if old != new})
    return design, auto


@pytest.mark.parametrize("task,fragment", REFUSED_AFTER_DEPLOY)
def test_certify_and_state_info_refuse_bad_input_before_any_write(refused_after_deploy, task, fragment):
    result = refused_after_deploy[0]
    assert result.task("deploy")["status"] == "changed", result
    failed = result.task("bad %d" % REFUSED_AFTER_DEPLOY.index((task, fragment)))
    assert failed["status"] == "ignored" and fragment in failed["result"]["msg"], failed
    assert result.snapshot("after") == result.snapshot("before")


def test_one_call_plan_is_exact_then_it_tests_certifies_applies_retention_and_releases_the_lock(nodes, playbook):
    """b1's plan and deployment, b2's (plan and deployment in the same run) and the converged re-run with its check
    in one run: snapshots between them tell what each wrote."""
    design, auto = nodes
    sample.change_variable(design.client(), 45)
    export(design, "b2")  # b2 exported up front: b1's archive is already on the design node
    task_b2 = one_call_task(design, auto, "b2", keep_last=1, name="deploy b2")
    converged = one_call_task(design, auto, "b2", owner="run-2", keep_last=1, name="converged")
    plan_b1 = dict(one_call_task(design, auto, "b1", keep_last=1, name="plan"), check_mode=True)
    tasks = [snapshot_task("start", auto), plan_b1,
             snapshot_task("after the plan", auto), one_call_task(design, auto, "b1", keep_last=1), state_task(auto),
             dict(task_b2, name="plan b2", check_mode=True), task_b2, snapshot_task("before the re-run", auto),
             dict(converged, name="check", check_mode=True), converged, snapshot_task("after the re-run", auto)]
    plan = real = again = run(playbook, design, auto, tasks, diff=True)
    assert plan.rc == 0, plan
    assert plan.snapshot("after the plan") == plan.snapshot("start")
    assert real.rc == 0, real
    predicted, done = plan.task("plan")["result"], real.task("deploy")["result"]
    assert [s["name"] for s in done["steps"]] == ["lock", "preflight", "import", "remap", "activate", "tests", "certify"]
    assert [(s["name"], s["changed"]) for s in done["steps"]] == [(s["name"], s["changed"]) for s in predicted["steps"]]
    assert done["changed"] is predicted["changed"] is True and done["diff"] == predicted["diff"]
    assert done["tests"]["summary"]["success"] == 1 and done["tests"]["failed_scenarios"] == []
    assert done["certified"] is predicted["certified"] is True and done["lock"] is None
    assert done["steps"][-1]["lock_released"] and done["steps"][-1]["record"]["outcomes"] == {"SUCCESS": 1}
    assert lock_in(real) is None

    # A new bundle: the plan predicts that retention deletes b1 (keep_last=1), and the real run does so (the plan
    # is the same task in check mode, in the same run).
    assert real.rc == 0, real
    predicted, done = real.task("plan b2")["result"], real.task("deploy b2")["result"]
    assert predicted["deleted_bundle_ids"] == done["deleted_bundle_ids"] == ["b1"]
    assert [(s["name"], s["changed"]) for s in done["steps"]] == [(s["name"], s["changed"]) for s in predicted["steps"]]
    assert done["diff"] == predicted["diff"] and done["diff"]["after"]["bundle_ids"] == ["b2"]
    assert done["previous_bundle_id"] == "b1" and done["active_bundle_id"] == "b2"

    # Converged: no test runs again, nothing changes, zero writes; check mode says the same.
    for name in ("check", "converged"):
        assert again.rc == 0 and again.task(name)["changed"] is False, again
        result = again.task(name)["result"]
        assert result["tests"] is None and result["certified"] is True and result["lock"] is None
        assert result["steps"][-2]["skipped"] == "bundle b2 already has a passing test record"
    assert again.snapshot("after the re-run") == again.snapshot("before the re-run")


def test_one_call_failing_tests_keep_the_lock_and_the_rollback_target(certified, playbook, tmp_path):
    """From b1 certified: b2's plan and failing deployment, then the roll-back in the same run (the automation node
    saved between them, read through the client after the run)."""
    design, auto = certified
    assert starting_point(auto) == ("b1", {"SUCCESS": 1})
    sample.break_flow(design.client())
    export(design, "b2")
    junit = tmp_path / "reports" / "CHURN-b2.xml"
    task = one_call_task(design, auto, "b2", keep_last=1)
    task[DEPLOY]["tests"]["junit_xml"] = str(junit)
    # The roll-back under the same owner re-enters the lock, re-tests b1, certifies it, deletes b2, releases (the
    # lock read before and after it, in its run).
    tasks = [dict(task, name="plan", check_mode=True, ignore_errors=True), dict(task, ignore_errors=True),
             save_state_task("save the failed state", auto, tmp_path / "failed"), state_task(auto, "lock kept"),
             one_call_task(design, auto, "b1", keep_last=1, name="back"), state_task(auto)]
    plan = failed = back = run(playbook, design, auto, tasks)
    assert failed.task("deploy")["status"] == "ignored"
    result = failed.task("deploy")["result"]
    assert result["changed"] is plan.task("plan")["changed"] is True  # the plan predicts the failing run's status
    assert result["tests"]["failed_scenarios"] == [sample.SMOKE_SCENARIO] and sample.SMOKE_SCENARIO in result["msg"]
    assert "lock is kept" in result["msg"] and result["tests"]["junit_xml"] == str(junit) and junit.exists()
    assert result["previous_bundle_id"] == "b1" and result["lock"]["owner"] == "run-1"

    assert lock_in(back, "lock kept")["owner"] == "run-1"
    assert back.rc == 0, back
    result = back.task("back")["result"]
    assert result["previous_bundle_id"] == "b2" and result["deleted_bundle_ids"] == ["b2"] and result["certified"]
    project = auto.client().get_project(KEY)
    assert project.get_summary()["activeBundleState"]["bundleId"] == "b1"
    assert lock_in(back) is None
    auto.restore(tmp_path / "failed")
    assert [b["bundleId"] for b in project.list_imported_bundles()["bundles"]] == ["b1", "b2"]  # nothing deleted


def test_a_plan_fails_like_the_real_run_for_a_bundle_the_design_node_has_not_exported(certified, playbook, tmp_path):
    """The role alone (as docs/awx.md runs it with -e dss_bundle_id=<id>) for an id the design node never exported:
    --check fails with the real run's message, and the message does not claim a restore it never needed. One run: the
    plan of the module alone first (a host of its own), then the role's plan and real run (a host each)."""
    design, auto = certified
    assert starting_point(auto) == ("b1", {"SUCCESS": 1})
    inventory = tmp_path / "hosts.yml"
    hosts = {host: {"ansible_connection": "local", "role_check": host == "check"}
             for host in ("predicted", "check", "real")}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    # A plan whose design play exports the bundle first (promote.yml) still predicts the import.
    predict = {"name": "predict", "hosts": "predicted", "gather_facts": False, "check_mode": True,
               "tasks": [deploy_task(design, auto, "b9", expect_export=True)]}
    role = {"name": "deploy", "hosts": "check:real", "gather_facts": False, "check_mode": "{{ role_check }}", "tasks": [
        {"name": "Deploy", "ansible.builtin.include_role": {"name": "dataiku_gitops.dss.bundle_deploy"}}],
        "vars": {"dss_url": auto.url, "dss_api_key": auto.api_key, "dss_project_key": KEY, "dss_bundle_id": "b9",
                 "dss_bundle_source": {"url": design.url, "api_key": design.api_key},
                 "dss_connections": {"pg_dev": "pg_staging"}, "dss_tests": {"prefix": "TEST_"}}}
    digest, writes = auto.digest(), auto.writes()
    result = predicted = run(lambda **kw: playbook(playbook=[predict, role], inventory=str(inventory), **kw),
                             design, auto, None)
    messages = []
    for host in ("check", "real"):
        task = result.task("dataiku_gitops.dss.bundle_deploy : Deploy, test and certify the bundle on CHURN", host)
        assert result.rc != 0 and task["status"] == "failed", result
        messages.append(task["result"]["msg"])
    assert messages[0] == messages[1], messages
    assert "source: bundle b9 is not exported in project CHURN" in messages[0]
    assert messages[0].endswith("Nothing to restore: this run failed before its first write. Known state: active "
                                "bundle b1."), messages[0]
    assert (auto.digest(), auto.writes()) == (digest, writes)
    task = predicted.task("deploy", "predicted")
    assert task["status"] in ("ok", "changed") and task["result"]["imported"] is True, predicted


LOCK = "dataiku_gitops.dss.dataiku_deploy_lock"


def lock_task(auto, name, owner, **extra):
    return {"name": name, LOCK: dict(conn(auto), project_key=KEY, lock_owner=owner, **extra), "ignore_errors": True}


def test_on_failure_policies_and_the_lock_module_in_one_run(nodes, playbook):
    """One playbook: a failing first deployment with on_failure=delete_project deletes the project it created; a
    good one leaves no creation claim in the description; a failing bundle with delete_project on an existing
    project (plan first: it names the roll-back target) rolls back to b1, re-tests it and releases the lock; with
    keep it stays active and the lock is kept; then the lock module refuses, leaves alone, breaks, takes and
    releases the lock."""
    design, auto = nodes
    sample.break_flow(design.client())
    export(design, "b2")
    failing = dict(tests={"prefix": "TEST_", "poll_interval": 0.1}, on_failure="delete_project")
    tasks = [
        dict(one_call_task(design, auto, "b2", name="first", on_failure="delete_project"), ignore_errors=True),
        one_call_task(design, auto, "b1", name="good", on_failure="rollback"),
        dict(deploy_task(design, auto, "b2", name="plan", **failing), check_mode=True),
        dict(deploy_task(design, auto, "b2", name="rollback", **failing), ignore_errors=True),
        dict(one_call_task(design, auto, "b2", name="keep", on_failure="keep"), ignore_errors=True),
        lock_task(auto, "refused", "run-2"),
        lock_task(auto, "left alone", "run-2", state="absent"),
        dict(lock_task(auto, "break plan", "run-2", state="absent", break_lock=True), check_mode=True),
        lock_task(auto, "break", "run-2", state="absent", break_lock=True),
        lock_task(auto, "take", "run-3", lock_timeout=60),
        lock_task(auto, "take again", "run-3", lock_timeout=60),
        lock_task(auto, "release", "run-3", state="absent"),
        state_task(auto),
    ]
    result = run(playbook, design, auto, tasks)

    assert [result.task(name)["status"] for name in ("first", "rollback", "keep", "refused")] == ["ignored"] * 4
    first = result.task("first")["result"]
    assert first["project_created"] and first["project_deleted"] and first["error"], first
    assert "First deployment: the project this run created was deleted (on_failure=delete_project)." in first["msg"]
    assert first["msg"].endswith("Known state: the project does not exist on the node."), first["msg"]

    good = result.task("good")["result"]
    assert good["certified"] and good["route"] == "direct" and good["error"] is None and good["project_created"]
    plan = result.task("plan")["result"]
    assert plan["changed"] and plan["rollback_bundle_id"] == "b1" and plan["certified"], plan

    back = result.task("rollback")["result"]
    assert back["rolled_back"] and back["active_bundle_id"] == "b1" and back["lock"] is None
    assert back["error"] and sample.SMOKE_SCENARIO in back["error"] and back["tests"]["failed_scenarios"]
    assert back["rollback"]["tests"]["summary"]["success"] == 1 and not back["project_deleted"], back
    assert "Rolled back to bundle b1, the last bundle with a passing test record: its tests pass again" in back["msg"]
    assert back["msg"].endswith("Known state: active bundle b1."), back["msg"]
    keys = ("route", "project_key", "bundle_id", "previous_bundle_id", "active_bundle_id", "rollback_bundle_id",
            "tests", "certified", "rolled_back", "error", "steps", "lock", "project_created")
    assert [k for k in keys if k not in good or k not in back] == []  # one result shape, success or failure

    keep = result.task("keep")["result"]
    assert not keep["rolled_back"] and keep["active_bundle_id"] == "b2"
    assert keep["lock"]["owner"] == "run-1" and "on_failure=keep" in keep["msg"], keep

    assert "held by run-1" in result.task("refused")["result"]["msg"]
    assert not result.task("left alone")["changed"] and result.task("left alone")["result"]["lock"]["owner"] == "run-1"
    assert result.task("break plan")["changed"] and result.task("break plan")["result"]["lock"] is None
    assert result.task("break")["changed"] and result.task("break")["result"]["previous_lock"]["owner"] == "run-1"
    assert result.task("take")["changed"] and result.task("take")["result"]["lock"]["owner"] == "run-3"
    assert not result.task("take again")["changed"]
    assert result.task("release")["changed"] and result.task("release")["result"]["lock"] is None
    assert lock_in(result) is None
    project = auto.client().get_project(KEY)
    assert "dataiku_gitops_lock" not in (project.get_metadata().get("description") or "")
    assert project.get_summary()["activeBundleState"]["bundleId"] == "b2"
