"""Scenario runs and build jobs through the official client (docs/emulator-scenarios.md).

Outcomes follow the project's current content: a broken flow, a missing or unreachable (`.invalid` host)
connection, Python that fails when run, or a step's declared `emulatorOutcome`. Python itself (outcomes, the
`dataiku` package, recipes, cancelled fires) is tested in test_python_execution.py.
"""

import time

import pytest
from dataikuapi.dss.job import DSSJobWaiter
from dataikuapi.dss.scenario import DSSTriggerFire
from dataikuapi.utils import DataikuException

from tests.emulator.bundles_helpers import automation_remapping


def build_step(*datasets, **params):
    return {"type": "build_flowitem", "name": "Build " + "+".join(datasets),
            "params": dict({"builds": [{"type": "DATASET", "itemId": d} for d in datasets]}, **params)}


def python_step(script, name="Python"):
    return {"type": "custom_python", "name": name, "params": {"script": script}}


def flow_project(client, key, connection="filesystem_managed"):
    """raw (on `connection`) -> compute_clean (sync) -> clean (filesystem_managed)."""
    project = client.create_project(key, key.lower(), "admin")
    project.create_dataset("raw", "PostgreSQL", params={"connection": connection, "table": "raw"})
    project.create_dataset("clean", "Filesystem", params={"connection": "filesystem_managed", "path": "clean"})
    project.create_recipe({"type": "sync", "name": "compute_clean", "inputs": {"main": {"items": [{"ref": "raw"}]}},
                           "outputs": {"main": {"items": [{"ref": "clean"}]}}}, {})
    return project


def scenario_with(project, scenario_id, *steps):
    return project.create_scenario(scenario_id, "step_based",
                                   definition={"id": scenario_id, "params": {"steps": list(steps)}})


def failed_run(scenario):
    with pytest.raises(DataikuException, match=r"^Scenario run returned status FAILED$"):
        scenario.run_and_wait()
    run = scenario.get_last_finished_run()
    assert run.outcome == "FAILED"
    details = run.get_details()
    return run, details, details.first_error_details


def test_successful_run_trigger_fire_details_jobs_and_log(client):
    project = flow_project(client, "RUN_OK")
    scenario = scenario_with(project, "TEST_SMOKE", build_step("clean"), python_step("print('checked')"))

    started = time.time()
    run = scenario.run_and_wait()
    assert time.time() - started < 5
    assert run.outcome == "SUCCESS" and run.trigger["id"] == "manual"
    assert run.get_info()["scenario"] == {"projectKey": "RUN_OK", "id": "TEST_SMOKE", "name": "TEST_SMOKE",
                                          "type": "step_based", "markedAsTest": False}
    assert run.get_end_time() >= run.get_start_time()

    details = run.get_details()
    assert details["scenarioRun"]["runId"] == run.id and details.first_error_details is None
    steps = [(s["step"]["name"], s.outcome) for s in details.steps]
    assert steps == [("Build clean", "SUCCESS"), ("Python", "SUCCESS")]
    [job_id] = details.steps[0].job_ids
    assert details.steps[1].job_ids == []
    job = project.get_job(job_id)
    assert job.get_status()["baseStatus"]["state"] == "DONE"
    assert job_id in [j["def"]["id"] for j in project.list_jobs()]

    log = run.get_log()
    assert "Step 'Build clean' (build_flowitem) started" in log and "Scenario run ended with SUCCESS" in log
    step_log = run.get_log(step_id=details.steps[1]["step"]["id"])
    assert "Step 'Python'" in step_log and "Build clean" not in step_log
    assert scenario.get_run(run.id).outcome == "SUCCESS"


def test_run_reads_as_running_before_it_ends(client):
    project = flow_project(client, "RUNNING")
    scenario = scenario_with(project, "SLOWISH", build_step("clean"))
    started = time.time()
    fire = scenario.run()
    run = fire.get_scenario_run()  # read at once: the run exists but has no result yet
    status_running = scenario.get_status().running
    listed = [s["running"] for s in project.list_scenarios(as_type="listitems")]
    current = scenario.get_current_run()
    finished = scenario.get_last_runs(only_finished_runs=True)
    if time.time() - started > 0.15:
        pytest.skip("machine too slow to read within the run's 200 ms running window")
    raw = fire.get_raw()
    assert raw["trigger"]["id"] == "manual" and raw["runId"] and raw["cancelled"] is False
    assert run.running and run.get_info()["end"] == 0
    with pytest.raises(ValueError):
        run.outcome  # pylint: disable=pointless-statement
    assert status_running is True and listed == [True]
    assert current.id == run.id and finished == []
    assert fire.is_cancelled(refresh=True) is False
    run.wait_for_completion()
    assert run.outcome == "SUCCESS" and not scenario.get_status().running
    assert scenario.get_current_run() is None


def test_unknown_trigger_fire_and_run(client):
    project = flow_project(client, "UNKNOWN_RUN")
    scenario = scenario_with(project, "S1")
    fake = DSSTriggerFire(scenario, {"trigger": {"id": "manual"}, "runId": "no-such-fire", "cancelled": False})
    assert fake.get_scenario_run() is None
    with pytest.raises(DataikuException, match="NotFoundException"):
        fake.is_cancelled(refresh=True)
    with pytest.raises(DataikuException, match="NotFoundException: Scenario run UNKNOWN_RUN.S1/1999"):
        scenario.get_run("1999-01-01-00-00-00-000")
    with pytest.raises(DataikuException, match="NotFoundException: Scenario UNKNOWN_RUN.NOPE does not exist"):
        project.get_scenario("NOPE").run()


def test_broken_flow_fails_the_build_step(client):
    project = flow_project(client, "BROKEN")
    scenario = scenario_with(project, "TEST_SMOKE", build_step("clean"), python_step("print('after')"))
    assert scenario.run_and_wait().outcome == "SUCCESS"
    project.get_dataset("raw").delete()  # someone deleted the recipe's input on dev

    run, details, error = failed_run(scenario)
    assert error["message"] == "Broken flow: recipe BROKEN.compute_clean reads dataset BROKEN.raw, which does not exist"
    assert run.get_info()["result"]["thrown"]["message"] == error["message"]
    # The failed step stops the run: the next step (default run condition) does not execute.
    [step] = details.steps
    assert step.outcome == "FAILED" and step["result"]["thrown"]["title"].startswith("Job failed: Broken flow")
    [job_id] = step.job_ids
    assert step["additionalReportItems"][0]["outcome"] == "FAILED"
    assert project.get_job(job_id).get_status()["baseStatus"]["state"] == "FAILED"
    assert "ERROR" in run.get_log() and "Broken flow" in run.get_log()


def test_missing_dataset_and_missing_connection_fail(client):
    project = flow_project(client, "MISSING", connection="pg_nowhere")
    missing = scenario_with(project, "GHOST", build_step("ghost"))
    assert failed_run(missing)[2]["message"] == "Dataset MISSING.ghost does not exist"
    # Recursive builds (the step default) check the upstream dataset's connection too.
    no_conn = scenario_with(project, "NOCONN", build_step("raw"))
    assert failed_run(no_conn)[2]["message"] == (
        "Connection 'pg_nowhere' used by dataset MISSING.raw does not exist on this node")


def test_unreachable_connection_fails_and_recovers(client):
    client.create_connection("pg_down", "PostgreSQL", {"host": "db.staging.invalid", "port": 5432})
    project = flow_project(client, "UNREACH", connection="pg_down")
    scenario = scenario_with(project, "TEST_SMOKE", build_step("clean"))
    error = failed_run(scenario)[2]
    assert error["message"] == ("Cannot connect to connection 'pg_down' used by dataset UNREACH.raw: "
                                "host 'db.staging.invalid' does not resolve")
    assert error["clazz"] == "java.net.UnknownHostException"

    conn = client.get_connection("pg_down")
    settings = conn.get_settings()
    settings.get_raw()["params"]["host"] = "db.staging.example"
    settings.save()
    assert scenario.run_and_wait().outcome == "SUCCESS"  # runs follow the current content


def test_raise_in_python_step_and_python_scenario(client):
    project = flow_project(client, "PYRAISE")
    script = "rows = 0\nif rows == 0:\n    raise ValueError('bad input rows')\n"
    step_based = scenario_with(project, "STEPS", python_step(script))
    error = failed_run(step_based)[2]
    assert error["message"] == "Error in Python process: At line 3: <class 'ValueError'>: bad input rows"

    scripted = project.create_scenario("Scripted", "custom_python", definition={"id": "SCRIPTED"})
    settings = scripted.get_settings()
    settings.code = "from dataiku.scenario import Scenario\nScenario().build_dataset('clean')\n"
    settings.save()
    assert scripted.run_and_wait().outcome == "SUCCESS"
    settings.code += "raise Exception('smoke check failed: 0 rows')\n"
    settings.save()
    run, details, error = failed_run(scripted)
    assert error["message"].endswith("<class 'Exception'>: smoke check failed: 0 rows")
    assert [s.outcome for s in details.steps] == ["FAILED"] and run.outcome == "FAILED"


def test_declared_warning_outcome_and_run_conditions(client):
    project = flow_project(client, "WARN")
    warned = {"type": "exec_sql", "name": "Check row count", "params": {"emulatorOutcome": "WARNING"}}
    scenario = scenario_with(project, "TEST_WARN", warned, build_step("clean"))
    with pytest.raises(DataikuException, match=r"^Scenario run returned status WARNING$"):
        scenario.run_and_wait()
    run = scenario.run_and_wait(no_fail=True)
    assert run.outcome == "WARNING"
    assert [s.outcome for s in run.get_details().steps] == ["WARNING", "SUCCESS"]  # WARNING does not stop a run

    failing = {"type": "exec_sql", "name": "Declared failure", "params": {"emulatorOutcome": "FAILED"}}
    skipped = {"type": "exec_sql", "name": "Skipped"}
    always = {"type": "exec_sql", "name": "Cleanup", "runConditionType": "RUN_ALWAYS"}
    disabled = {"type": "exec_sql", "name": "Off", "runConditionType": "DISABLED",
                "params": {"emulatorOutcome": "FAILED"}}
    mixed = scenario_with(project, "MIXED", disabled, failing, skipped, always)
    run = mixed.run_and_wait(no_fail=True)
    assert run.outcome == "FAILED"
    steps = run.get_details().steps
    assert [(s["step"]["name"], s.outcome) for s in steps] == [("Declared failure", "FAILED"), ("Cleanup", "SUCCESS")]
    assert steps[0]["result"]["thrown"]["message"] == "Step declared to end with FAILED (emulatorOutcome)"

    bad = scenario_with(project, "BAD_DECL", {"type": "exec_sql", "params": {"emulatorOutcome": "MEH"}})
    assert "Invalid emulatorOutcome 'MEH'" in failed_run(bad)[2]["message"]


def test_last_runs_order_limit_and_only_finished(client):
    project = flow_project(client, "HISTORY")
    scenario = scenario_with(project, "TEST_H", build_step("clean"))
    other = scenario_with(project, "OTHER")
    first = scenario.run_and_wait()
    other.run_and_wait()
    project.get_dataset("raw").delete()
    second = scenario.run_and_wait(no_fail=True)
    settings = scenario.get_settings()  # the third run starts with a slow step: it is under way while read
    settings.get_raw()["params"]["steps"].insert(0, python_step("import time\ntime.sleep(2)\n", "Wait"))
    settings.save()
    running = scenario.run().get_scenario_run()
    runs = scenario.get_last_runs()
    finished = scenario.get_last_runs(only_finished_runs=True)

    assert [r.id for r in runs] == [running.id, second.id, first.id]  # newest first, this scenario only
    assert [r.outcome for r in runs[1:]] == ["FAILED", "SUCCESS"]
    assert [r.id for r in scenario.get_last_runs(limit=1)] == [running.id]
    assert runs[0].running and [r.id for r in finished] == [second.id, first.id]
    assert scenario.get_last_finished_run().id == second.id
    assert scenario.get_last_successful_run().id == second.id  # the client bug: last *finished* run
    running.wait_for_completion(no_fail=True)
    assert [r.id for r in scenario.get_last_runs(limit=2, only_finished_runs=True)] == [running.id, second.id]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert len(scenario.get_runs_by_date(today, "2999-01-01")) == 3


def test_dataset_build_jobs(client):
    client.create_connection("pg_gone", "PostgreSQL", {"host": "db.invalid."})
    project = flow_project(client, "JOBS")
    job = project.get_dataset("clean").build()
    assert job.get_status()["baseStatus"]["state"] == "DONE"
    assert "Job %s ended: DONE" % job.id in job.get_log()
    project.create_dataset("remote", "PostgreSQL", params={"connection": "pg_gone", "table": "t"})
    with pytest.raises(DataikuException, match=r"^Job run did not finish\. Status: FAILED$"):
        project.get_dataset("remote").build()
    failed = project.list_jobs()[0]
    assert failed["def"]["outputs"][0]["id"] == "remote"
    status = project.get_job(failed["def"]["id"]).get_status()["baseStatus"]
    assert status["state"] == "FAILED" and "host 'db.invalid' does not resolve" in status["thrown"]["message"]
    begin = time.time()
    started = project.new_job("NON_RECURSIVE_FORCED_BUILD").with_output("clean").start()
    state = started.get_status()["baseStatus"]["state"]
    running = [j["def"]["id"] for j in project.list_running_jobs()]
    if time.time() - begin < 0.15:  # within the job's 200 ms running window
        assert state == "RUNNING" and running == [started.id]
    assert DSSJobWaiter(started).wait() == "DONE" and project.list_running_jobs() == []


def test_reads_leave_the_digest_alone_runs_change_it(design, client):
    project = flow_project(client, "DIGEST")
    scenario = scenario_with(project, "TEST_D", build_step("clean"))
    before = design.digest()
    fire = scenario.run()
    run = fire.wait_for_scenario_run()
    assert design.digest() != before  # a run is state
    run.wait_for_completion()
    settled, writes = design.digest(), design.writes()
    job_id = run.get_details().steps[0].job_ids[0]
    assert fire.get_scenario_run().outcome == "SUCCESS" and fire.is_cancelled(refresh=True) is False
    scenario.get_last_runs(only_finished_runs=True)
    scenario.get_last_finished_run().get_details()
    run.get_log()
    run.refresh()
    scenario.get_status()
    project.list_scenarios()
    project.get_job(job_id).get_status()
    project.get_job(job_id).get_log()
    project.list_jobs()
    scenario.abort()  # nothing is running: a POST that changes nothing
    assert design.digest() == settled and design.writes() == writes + 1


def test_abort_ends_a_running_run_and_kills_its_python(client, tmp_path):
    project = flow_project(client, "ABORT")
    marker = tmp_path / "step-finished"
    slow = "import time\ntime.sleep(3)\nopen(%r, 'w').close()\n" % str(marker)
    scenario = scenario_with(project, "TEST_A", build_step("clean"), python_step(slow), python_step("pass", "P2"))
    fire = scenario.run()
    scenario.abort()
    run = fire.wait_for_scenario_run()
    assert run.outcome == "ABORTED" and len(run.get_details().steps) < 2
    assert run.get_info()["result"]["thrown"]["message"] == "Scenario run aborted by admin"
    assert not scenario.get_status().running and scenario.run().get_raw()["cancelled"] is False
    scenario.abort()
    time.sleep(3.5)
    assert not marker.exists()  # the sleeping step's process was killed, not left to finish


def test_run_on_automation_after_bundle_activation(design, automation, tmp_path):
    dclient, aclient = design.client(), automation.client()
    if "pg_dev" not in dclient.list_connections():
        dclient.create_connection("pg_dev", "PostgreSQL", {"host": "dev-db"})
    dproject = flow_project(dclient, "PROMOTED", connection="pg_dev")
    smoke = scenario_with(dproject, "TEST_SMOKE", build_step("clean"), python_step("print('rows ok')"))
    assert smoke.run_and_wait().outcome == "SUCCESS"
    dproject.export_bundle("v1")
    archive = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(archive))

    aclient.create_connection("pg_prod", "PostgreSQL", {"host": "prod-db.invalid"})  # prod database unreachable
    with open(archive, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("PROMOTED")
    automation_remapping(aproject, connections={"pg_dev": "pg_prod"})
    aproject.activate_bundle("v1")
    ascenario = aproject.get_scenario("TEST_SMOKE")
    error = failed_run(ascenario)[2]
    assert "connection 'pg_prod' used by dataset PROMOTED.raw" in error["message"]

    settings = aclient.get_connection("pg_prod").get_settings()
    settings.get_raw()["params"]["host"] = "prod-db.example"
    settings.save()
    run = ascenario.run_and_wait()
    assert run.outcome == "SUCCESS" and run.get_info()["scenario"]["projectKey"] == "PROMOTED"
    # The automation node has its own history: the design node's runs did not travel in the bundle.
    assert [r.outcome for r in ascenario.get_last_runs()] == ["SUCCESS", "FAILED"]
    assert [r.id for r in ascenario.get_last_runs()][0] == run.id
