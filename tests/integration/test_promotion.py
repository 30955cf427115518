"""The shipped promotion (inventories/ through the fleet inventory plugin, playbooks/promote.yml, rollback.yml,
status.yml) through the real ansible-playbook against three emulator nodes: dev (design), staging and prod
(automation). Projects are hosts: dev-CHURN, staging-CHURN, prod-CHURN (plus FRAUD where a test seeds it).

Each kind of run that changes something is preceded once by `--check --diff`, which must write nothing and predict
the real run task by task (same changed status for every task that runs in both).

Each test starts from a copy of the session's promoted landscape (tests/support/landscape.py: CHURN's first bundle
promoted everywhere, restored in a fraction of a second); the first test asserts on that first promotion, built from
scratch through ansible-playbook (its --check --diff plan, then the real run) once per session, and on the re-run of
a copy (landscape.RERUN). Runs that several tests need are the build of a landscape too (INTERRUPTED: a new bundle
promoted after an interrupted run), whose recorded runs the tests assert on.
"""

import os

import pytest
import yaml

from tests.support import landscape, sample_project
from tests.support.collection import ROOT
from tests.support.playbook import snapshot_task
from tests.support.promotion import plan_mismatches, ran_in_both, recap

KEY = sample_project.PROJECT_KEY
SMOKE = sample_project.SMOKE_SCENARIO
DEPLOY = "Deploy, test and certify the bundle on "
# Modules that do the work of a project; a converged project must start none of them.
WORK_MODULES = ("dataiku_bundle_deploy", "dataiku_scenario_run", "dataiku_bundle_certify", "dataiku_bundle")


def interrupted_then_converged(land):
    """A run interrupted between import and activation, then converged (the build of the landscape INTERRUPTED):
    a new commit (CHURN after 90 days) whose bundle was exported and imported on staging by hand, not activated, then
    promote.yml planned and run on staging alone, then on every environment. Records each run, with its check run
    and whether that wrote, and the active bundles after each step."""
    records = {"first": land.bundle_id()}
    sample_project.change_variable(land.client("dev"), 90)
    records["second"] = second = land.commit("CHURN: churn after 90 days")
    # The run that was interrupted had exported the bundle and imported it on staging, not activated it.
    design = land.client("dev").get_project(KEY)
    design.export_bundle(second, release_notes="interrupted run")
    with design.get_exported_bundle_archive_stream(second) as stream:
        land.client("staging").get_project(KEY).import_bundle_from_stream(stream.raw)
    records["interrupted_staging"] = land.active_bundle("staging")
    for name, kwargs in (("staging", {"envs": ("staging",), "extra_vars": {"dss_bundle_id": second}}),
                         ("converged", {})):
        before = land.writes(), land.digests()
        records[name + "_plan"] = land.run("promote.yml", check=True, diff=True, **kwargs)
        records[name + "_plan_wrote"] = (land.writes(), land.digests()) != before
        records[name] = land.run("promote.yml", diff=True, **kwargs)
        records[name + "_active"] = [land.active_bundle(env) for env in ("staging", "prod")]
    records["leaked"] = land.leaked_keys()
    return records


# PROMOTED, then a new bundle that reached every environment through a run interrupted between import and activation
# and the runs after it: test_run_interrupted_between_import_and_activation_converges asserts on them, the roll-back
# and status.yml of test_promotion_rerun_new_commit_rollback_and_status start from there.
INTERRUPTED = landscape.Kind("promoted-interrupted-converged", landscape.seeded_landscape, interrupted_then_converged,
                             landscape.PROMOTED)


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    """The promoted landscape: CHURN's first bundle active and certified on staging and prod."""
    return landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory)


def assert_predicted(check, real, check_wrote):
    """The check run wrote nothing, succeeded and predicted the real run task by task."""
    assert not check_wrote, "check mode sent write requests or changed a node\n%s" % check.output[-3000:]
    assert check.rc == 0, check.output[-4000:]
    assert ran_in_both(check, real), "nothing to compare\n%s" % real.output[-3000:]
    assert plan_mismatches(check, real) == [], real.output[-4000:]


def plan_then_apply(land, playbook="promote.yml", **kwargs):
    """--check --diff (zero writes, same state digests), then the real run with --diff; the check must predict it.
    Returns the real run's PlaybookResult, with the check run's as ``.plan``."""
    digests, writes = land.digests(), land.writes()
    check = land.run(playbook, check=True, diff=True, **kwargs)
    assert land.writes() == writes, "check mode sent write requests\n%s" % check.output[-3000:]
    assert land.digests() == digests
    real = land.run(playbook, diff=True, **kwargs)
    assert_predicted(check, real, False)
    real.plan = check
    return real


def failure_message(result, host):
    failed = [t for t in result.tasks if t["host"] == host and t["status"] == "failed"]
    assert failed, "no failed task on %s\n%s" % (host, result.output[-4000:])
    result = failed[-1]["result"]
    # A looped task fails with "One or more items failed": the messages are the items'.
    return " ".join([result.get("msg", "")] + [item.get("msg", "") for item in result.get("results", [])
                                               if item.get("failed")])


def statuses(result, host, task_suffix):
    """Statuses of the runs of a task on a host (role tasks are recorded as "role : name")."""
    return [t["status"] for t in result.tasks if t["host"] == host and t["task"].endswith(task_suffix)]


def status_rows(result):
    """{(project, environment): [bundle, ...rest of the row]} from status.yml's table."""
    lines = result.task("Print the status table")["result"]["msg"].splitlines()
    assert lines[0].split()[:3] == ["PROJECT", "ENVIRONMENT", "BUNDLE"]
    return {tuple(line.split()[:2]): line.split()[2:] for line in lines[1:]}


def rollback_twice(land, first, then):
    """A playbook (in the work directory) running rollback.yml to the bundle ``first``, a snapshot of prod (the task
    "the named roll-back ended", on the hosts the first roll-back left going), then rollback.yml to ``then``."""
    rollback = os.path.join(ROOT, "playbooks", "rollback.yml")
    path = os.path.join(land.workdir, "rollback-twice.yml")
    with open(path, "w", encoding="utf-8") as out:
        yaml.safe_dump([{"import_playbook": rollback, "vars": {"dss_rollback_to": first}},
                        {"name": "Between the roll-backs", "hosts": "dss_automation", "gather_facts": False,
                         "tasks": [snapshot_task("the named roll-back ended", land.nodes["prod"])]},
                        {"import_playbook": rollback, "vars": {"dss_rollback_to": then}}], out, sort_keys=False)
    return path


def assert_no_key_leaked(land):
    assert land.leaked_keys() == []


def test_promotion_rerun_new_commit_rollback_and_status(tmp_path, tmp_path_factory):
    # The re-run of a restored copy, and its --check --diff: the build of landscape.RERUN, which
    # test_landscape_cache.py asserts on too (first: its build restores PROMOTED into this process's nodes).
    rerun = landscape.records(landscape.RERUN, tmp_path_factory)
    land = landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory)
    first = land.bundle_id()
    # The first promotion, from scratch (the landscape cache's build): planned exactly, then done.
    real, plan = land.built["promoted"], land.built["plan"]
    assert_predicted(plan, real, land.built["plan_wrote"])
    assert real.rc == 0, real.output[-4000:]
    assert land.active_bundle("staging") == first and land.active_bundle("prod") == first
    assert real.changed_count() > 0 and plan.changed_count() > 0
    assert land.built["leaked"] == []

    # Converged: a re-run without a new commit changes nothing and writes nothing, and starts no module for the
    # project: each node receives exactly the requests of one bulk read (as many as status.yml's read).
    real = rerun["rerun"]
    assert real.rc == 0, real.output[-4000:]
    noop_requests = rerun["rerun_requests"]
    assert {host: counts["changed"] for host, counts in recap(real.output).items()} == {
        "dev-CHURN": 0, "staging-CHURN": 0, "prod-CHURN": 0}
    assert set(rerun["rerun_writes"].values()) == {0}
    assert [t for t in real.tasks if t["action"].endswith(WORK_MODULES) and t["status"] != "skipped"] == []
    # The only modules a converged no-op starts are the three bulk reads, one per node, and every converged host
    # ends right after them (the requests they sent are compared with status.yml's below).
    started = [t["action"] for t in real.tasks if t["action"].startswith("dataiku_gitops.") and t["status"] != "skipped"]
    assert started == ["dataiku_gitops.dss.dataiku_bundle_state_info"] * 3
    assert [t["task"] for t in real.tasks if t["task"].startswith(("Deploy, test and certify", "Export bundle"))] == []
    assert plan_mismatches(rerun["rerun_check"], real) == []

    # A new commit (with a change on dev) is a new bundle, promoted everywhere: the landscape where the runs of
    # test_run_interrupted_between_import_and_activation_converges promoted CHURN after 90 days (planned there on
    # staging and on prod, over a certified bundle; test_prod_test_failure_rolls_prod_back plans it on both too).
    land = landscape.restored(INTERRUPTED, tmp_path / "new-commit", tmp_path_factory)
    second = land.bundle_id()
    assert second != first and land.built["first"] == first
    real = land.built["converged"]
    assert real.rc == 0, real.output[-4000:]
    for env in ("staging", "prod"):
        assert land.active_bundle(env) == second
        variables = land.client(env).get_project(KEY).get_variables()
        assert variables["standard"]["churn_threshold_days"] == 90

    # rollback.yml on prod: back to the bundle imported before the active one, then the tests run on it.
    real = plan_then_apply(land, "rollback.yml", envs=("prod",))
    assert real.rc == 0, real.output[-4000:]
    assert land.active_bundle("prod") == first and land.active_bundle("staging") == second
    assert real.task("Activate the restored bundle, run its test scenarios and certify it")["status"] == "changed"
    assert real.task("Activate the restored bundle, run its test scenarios and certify it")["result"]["tests"]["summary"]["success"] >= 1
    # ... or to a named bundle (the same tasks as the plan above predicted, with another bundle chosen), then to a
    # bundle prod does not hold: one run of rollback.yml twice, a snapshot of prod between them.
    real = unknown = land.run(rollback_twice(land, second, "g000000000000"), envs=("prod",))
    named = real.tasks[:real.tasks.index(real.task("the named roll-back ended", "prod-CHURN"))]
    assert not [t for t in named if t["status"] == "failed"] and land.active_bundle("prod") == second
    assert unknown.rc != 0 and "g000000000000" in failure_message(unknown, "prod-CHURN")
    assert land.active_bundle("prod") == second
    assert land.nodes["prod"].digest() == unknown.snapshot("the named roll-back ended")[0]  # the refusal wrote nothing

    # status.yml: one row per project and environment, read-only.
    writes, requests = land.writes(), land.requests()
    status = land.run("status.yml")
    assert status.rc == 0, status.output[-3000:]
    status_requests = {env: count - requests[env] for env, count in land.requests().items()}
    assert {t["action"] for t in status.tasks if t["action"].startswith("dataiku_gitops.")} == {
        "dataiku_gitops.dss.dataiku_bundle_state_info"}
    # The converged re-run above sent each automation node exactly the requests of this bulk read (their number does
    # not depend on how many bundles a node holds); the design node's bulk read there also settled the design commit
    # check (docs/project-git.md: reads of the project's git, on every run).
    assert {env: noop_requests[env] for env in ("staging", "prod")} == {
        env: status_requests[env] for env in ("staging", "prod")}
    assert noop_requests["dev"] > status_requests["dev"]
    rows = status_rows(status)
    assert set(rows) == {(KEY, "dev"), (KEY, "staging"), (KEY, "prod")}
    assert rows[(KEY, "dev")][0] == second and rows[(KEY, "staging")][0] == second
    assert rows[(KEY, "prod")][0] == second
    assert land.git("rev-parse", "HEAD")[:12] in " ".join(rows[(KEY, "prod")])
    assert land.writes() == writes

    # With prod down, the table still shows what dev and staging run, marks prod as not read, and the run fails
    # naming it. Under the shipped ansible.cfg the table prints as text lines, not a list of quoted strings.
    land.nodes["prod"].kill()
    down = land.run("status.yml", env={"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg")})
    assert down.rc != 0, down.output[-3000:]
    rows = status_rows(down)
    assert rows[(KEY, "dev")][0] == second and rows[(KEY, "staging")][0] == second
    assert rows[(KEY, "prod")][:3] == ["node", "not", "read"]
    table = down.task("Print the status table")["result"]["msg"].splitlines()
    assert all("        " + line in down.output.splitlines() for line in table), down.output[-3000:]
    assert "prod could not be read: " in failure_message(down, "dev-" + KEY)
    assert_no_key_leaked(land)
    assert rerun["leaked"] == []


def test_breaking_change_rolls_staging_back_and_never_reaches_prod(land):
    first = land.bundle_id()
    sample_project.break_flow(land.client("dev"))
    second = land.commit("CHURN: drop the customers dataset")
    prod_digest, prod_writes = land.nodes["prod"].digest(), land.nodes["prod"].writes()

    real = plan_then_apply(land)
    assert real.rc != 0
    assert land.active_bundle("staging") == first
    assert land.nodes["prod"].digest() == prod_digest and land.nodes["prod"].writes() == prod_writes
    assert not [t for t in real.tasks if t["host"] == "prod-CHURN" and t["action"].endswith(WORK_MODULES)
                and t["status"] != "skipped"], "a module worked on prod"
    # The only staging host failed, so the run ends before the prod play (tests/integration/test_promotion_fleet.py
    # covers prod's gate when other projects go on).
    message = failure_message(real, "staging-CHURN")
    for expected in (second, SMOKE, first, "Known state: active bundle " + first):
        assert expected in message, message
    assert land.certified("staging")  # the restored bundle was re-tested
    assert_no_key_leaked(land)


def test_prod_test_failure_rolls_prod_back(land):
    first = land.bundle_id()
    sample_project.break_connection(land.client("prod"), "prod")  # pg_prod's host now ends with .invalid
    sample_project.change_variable(land.client("dev"), 60)
    second = land.commit("CHURN: churn after 60 days")

    real = plan_then_apply(land)
    assert real.rc != 0
    assert land.active_bundle("staging") == second
    assert land.active_bundle("prod") == first
    message = failure_message(real, "prod-CHURN")
    for expected in (second, SMOKE, first):
        assert expected in message, message
    assert_no_key_leaked(land)


def test_run_interrupted_between_import_and_activation_converges(tmp_path, tmp_path_factory):
    land = landscape.restored(INTERRUPTED, tmp_path, tmp_path_factory)
    first, second, built = land.built["first"], land.built["second"], land.built
    assert second == land.bundle_id() and second != first
    # The run that was interrupted had exported the bundle and imported it on staging, not activated it.
    assert built["interrupted_staging"] == first

    # One environment at a time: staging alone, the design node from DSS_DEV_URL / DSS_DEV_API_KEY.
    real = built["staging"]
    assert_predicted(built["staging_plan"], real, built["staging_plan_wrote"])
    assert real.rc == 0, real.output[-4000:]
    assert built["staging_active"] == [second, first]
    assert statuses(real, "staging-CHURN", DEPLOY + KEY) == ["changed"]
    steps = {step["name"]: step["changed"] for step in real.task(
        "dataiku_gitops.dss.bundle_deploy : " + DEPLOY + KEY)["result"]["steps"]}
    # Already imported, activated now, then tested and certified in the same module call.
    assert steps == {"lock": False, "preflight": False, "import": False, "remap": False, "activate": True,
                     "tests": True, "certify": False}

    real = built["converged"]
    assert_predicted(built["converged_plan"], real, built["converged_plan_wrote"])
    assert real.rc == 0, real.output[-4000:]
    assert built["converged_active"] == [second, second]
    assert recap(real.output)["staging-CHURN"]["changed"] == 0
    assert built["leaked"] == []
