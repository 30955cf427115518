"""Python run for real by the emulator, through the official client (docs/emulator-scenarios.md, "Python").

Scenario steps and Python recipes run in a subprocess with the emulator's stand-in `dataiku` package: the outcome
is what the code does (an assert, an exit code, an exception), not what its text contains.
"""

import time

import pytest
from dataikuapi.utils import DataikuException

from tests.emulator.test_scenario_runs import failed_run, python_step, scenario_with
from tests.support.emulator import EmulatorNode

UNDECLARED = "cannot be used: declare it as input or output of your recipe"


def _project(client, key):
    project = client.create_project(key, key.lower(), "admin")
    for name in ("orders", "totals", "secrets"):
        project.create_dataset(name, "Filesystem", params={"connection": "filesystem_managed", "path": name})
    return project


def _python_recipe(project, name, code, inputs, outputs):
    builder = project.new_recipe("python", name)
    for dataset in inputs:
        builder.with_input(dataset)
    for dataset in outputs:
        builder.with_output(dataset)
    builder.with_script(code)
    return builder.create()


def test_outcomes_come_from_running_the_code(client):
    project = _project(client, "PY_OUTCOMES")
    assertion = scenario_with(project, "TEST_ASSERT", python_step("rows = 1 + 1\nassert rows == 3, 'rows: %d' % rows\n"))
    run, details, error = failed_run(assertion)
    assert error["message"] == "Error in Python process: At line 2: <class 'AssertionError'>: rows: 2"
    assert error["clazz"] == "com.dataiku.dip.exceptions.ExternalProcessFailedException"
    log = run.get_log()
    assert "Traceback (most recent call last)" in log and "AssertionError: rows: 2" in log
    assert [s.outcome for s in details.steps] == ["FAILED"]

    bare = scenario_with(project, "TEST_BARE", python_step("assert 1 == 2\n"))
    assert failed_run(bare)[2]["message"] == "Error in Python process: At line 1: <class 'AssertionError'>: "

    exited = scenario_with(project, "TEST_EXIT", python_step("import sys\nprint('checking')\nsys.exit(3)\n"))
    run, _details, error = failed_run(exited)
    assert error["message"] == "Error in Python process: At line 3: exited with code 3"
    assert "checking" in run.get_log()
    message = scenario_with(project, "TEST_EXIT_MSG", python_step("import sys\nsys.exit('no rows today')\n"))
    run, _details, error = failed_run(message)
    assert error["message"] == "Error in Python process: At line 2: exited with code 1: no rows today"

    dead_branch = scenario_with(project, "TEST_DEAD", python_step("if False:\n    raise ValueError('never')\n"),
                                python_step("import sys\nsys.exit(0)\n", "Clean exit"))
    run = dead_branch.run_and_wait()
    assert run.outcome == "SUCCESS" and [s.outcome for s in run.get_details().steps] == ["SUCCESS", "SUCCESS"]

    syntax = scenario_with(project, "TEST_SYNTAX", python_step("x = (\n"))
    assert "<class 'SyntaxError'>" in failed_run(syntax)[2]["message"]


def test_dataiku_package_reads_writes_and_calls_the_node(client):
    project = _project(client, "PY_DATA")
    variables = project.get_variables()
    variables["standard"]["min_amount"] = 10
    project.set_variables(variables)
    _python_recipe(project, "compute_totals", """import dataiku
threshold = dataiku.get_custom_variables()["min_amount"]
with dataiku.Dataset("totals").get_writer() as out:
    for row in dataiku.Dataset("orders").iter_rows():
        if int(row["amount"]) >= threshold:
            out.write_row_dict({"customer": row["customer"], "amount": row["amount"]})
""", ["orders"], ["totals"])
    seed = python_step("""import dataiku
writer = dataiku.Dataset("orders").get_writer()
for customer, amount in (("ann", 12), ("bob", 3), ("cy", 40)):
    writer.write_row_dict({"customer": customer, "amount": amount})
writer.close()
""", "Seed orders")
    check = python_step("""import dataiku
from dataiku.scenario import Scenario
Scenario().build_dataset("totals")
rows = list(dataiku.Dataset("totals").iter_tuples())
assert rows == [("ann", "12"), ("cy", "40")], rows
client = dataiku.api_client()
assert client.get_project(dataiku.default_project_key()).get_dataset("totals").exists()
""", "Build and check totals")
    run = scenario_with(project, "TEST_DATA", seed, check).run_and_wait()
    assert [s.outcome for s in run.get_details().steps] == ["SUCCESS", "SUCCESS"]
    job = project.list_jobs()[0]
    assert job["def"]["outputs"][0]["id"] == "totals" and job["state"] == "DONE"
    assert "Running Python recipe PY_DATA.compute_totals" in project.get_job(job["def"]["id"]).get_log()


def test_recipe_reading_an_undeclared_dataset_fails(client):
    project = _project(client, "PY_UNDECLARED")
    _python_recipe(project, "compute_totals", """import dataiku
rows = list(dataiku.Dataset("secrets").iter_rows())
dataiku.Dataset("totals").get_writer().close()
""", ["orders"], ["totals"])
    with pytest.raises(DataikuException, match=r"^Job run did not finish\. Status: FAILED$"):
        project.get_dataset("totals").build()
    status = project.get_job(project.list_jobs()[0]["def"]["id"]).get_status()["baseStatus"]
    assert status["state"] == "FAILED"
    assert status["thrown"]["message"] == ("Error in Python process: At line 2: <class 'Exception'>: "
                                           "Dataset secrets %s" % UNDECLARED)
    build = {"type": "build_flowitem", "name": "Build totals",
             "params": {"builds": [{"type": "DATASET", "itemId": "totals"}]}}
    error = failed_run(scenario_with(project, "TEST_BUILD", build))[2]
    assert error["message"].endswith("Dataset secrets %s" % UNDECLARED)

    _python_recipe(project, "compute_secrets", "import dataiku\ndataiku.Dataset('secrets').get_writer().close()\n",
                   ["orders"], ["secrets"])
    assert project.get_dataset("secrets").build().get_status()["baseStatus"]["state"] == "DONE"  # declared: fine


def test_manual_run_while_one_is_running_is_cancelled(client):
    project = _project(client, "PY_CANCEL")
    scenario = scenario_with(project, "TEST_SLOW", python_step("import time\ntime.sleep(2)\n"))
    first = scenario.run()
    second = scenario.run()
    assert first.get_raw()["cancelled"] is False and second.get_raw()["cancelled"] is True
    assert second.is_cancelled(refresh=True) is True and second.get_scenario_run() is None
    with pytest.raises(DataikuException, match="^Scenario run has been cancelled$"):
        second.wait_for_scenario_run()
    assert second.wait_for_scenario_run(no_fail=True) is None
    run = first.wait_for_scenario_run()
    run.wait_for_completion()
    assert run.outcome == "SUCCESS" and [r.id for r in scenario.get_last_runs()] == [run.id]
    assert scenario.run().get_raw()["cancelled"] is False  # once over, the next fire starts a run


def test_time_limit_fails_the_step(monkeypatch):
    monkeypatch.setenv("DSS_EMULATOR_PYTHON_TIMEOUT", "1")
    with EmulatorNode("design") as node:
        project = node.client().create_project("PY_LIMIT", "limit", "admin")
        scenario = scenario_with(project, "TEST_LONG", python_step("import time\ntime.sleep(30)\n"))
        started = time.time()
        error = failed_run(scenario)[2]
    assert error["message"].startswith("Error in Python process: did not finish within 1 s")
    assert time.time() - started < 15
