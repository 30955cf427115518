"""Python run for real by the emulator, through the official client (docs/emulator-scenarios.md, "Python";
docs/emulator.md, "The dataiku package": each row of its table is exercised here).

Scenario steps and Python recipes run in a subprocess with the emulator's `dataiku` package: the outcome is what
the code does (an assert, an exit code, an exception), not what its text contains.
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
threshold = int(dataiku.get_custom_variables()["min_amount"])  # values are strings unless typed=True
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

    _python_recipe(project, "compute_secrets", "import dataiku\ndataiku.Dataset('secrets').get_writer().close()\n"
                   "dataiku.Dataset('totals', ignore_flow=True).iter_rows()\n", ["orders"], ["secrets"])
    # Declared, or undeclared with ignore_flow=True: fine.
    assert project.get_dataset("secrets").build().get_status()["baseStatus"]["state"] == "DONE"


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
        # Scripts working with DataFrames fork from the node's zygote (pandas already imported): same limit, same
        # failure reports and output.
        forked = scenario_with(project, "TEST_LONG_PANDAS", python_step(
            "import sys, time\nassert 'pandas' in sys.modules, 'not forked from the zygote'\ntime.sleep(30)\n"))
        error = failed_run(forked)[2]
        assert error["message"].startswith("Error in Python process: did not finish within 1 s"), error
        raising = scenario_with(project, "TEST_RAISE_PANDAS", python_step(
            "import pandas as pd\nprint('rows', len(pd.DataFrame({'a': [1]})))\nraise ValueError('bad rows')\n"))
        run, _details, error = failed_run(raising)
        assert error["message"] == "Error in Python process: At line 3: <class 'ValueError'>: bad rows"
        assert "rows 1" in run.get_log() and "ValueError: bad rows" in run.get_log()


# DSS's Python recipe template, as a new recipe from `orders` to `totals` starts, with its computation filled in.
TEMPLATE_RECIPE = """# -*- coding: utf-8 -*-
import dataiku
import pandas as pd, numpy as np
from dataiku import pandasutils as pdu

# Read recipe inputs
orders = dataiku.Dataset("orders")
orders_df = orders.get_dataframe()

# Compute recipe outputs from inputs
totals_df = orders_df.groupby("customer", as_index=False)["amount"].sum()
totals_df["share"] = np.round(totals_df["amount"] / totals_df["amount"].sum(), 2)
print(pdu.audit(totals_df)[["_a_variable", "_b_data_type"]].to_string(index=False))

# Write recipe outputs
totals = dataiku.Dataset("totals")
totals.write_with_schema(totals_df)
"""
SEED_ORDERS = """import dataiku, pandas as pd
orders = dataiku.Dataset("orders")
orders.write_with_schema(pd.DataFrame({"customer": ["ann", "bob", "ann", "cy"], "amount": [10, 5, 30, 55],
                                       "paid": [True, False, True, True]}))
"""
READ_API = """import dataiku
from dataiku import pandasutils as pdu
from dataiku.scenario import Scenario
Scenario().build_dataset("totals")
totals = dataiku.Dataset("totals")
assert totals.read_schema() == [{"name": "customer", "type": "string"}, {"name": "amount", "type": "bigint"},
                                {"name": "share", "type": "double"}], totals.read_schema()
assert [tuple(r) for r in totals.get_dataframe().itertuples(index=False)] == [
    ("ann", 40, 0.4), ("bob", 5, 0.05), ("cy", 55, 0.55)]
orders = dataiku.Dataset("orders")
df = orders.get_dataframe(columns=["amount", "customer"], limit=2)
assert list(df.columns) == ["amount", "customer"] and df["amount"].tolist() == [10, 5], df
assert len(orders.get_dataframe(sampling="random", ratio=0.5)) == 2
assert sorted(orders.get_dataframe(sampling="random-column", sampling_column="customer", ratio=1)["customer"]) == [
    "ann", "ann", "bob", "cy"]
assert [len(chunk) for chunk in orders.iter_dataframes(chunksize=3)] == [3, 1]
assert str(orders.get_dataframe(infer_with_pandas=False)["amount"].dtype) == "Int64"
assert list(orders.iter_tuples(columns=["customer", "paid"], limit=2)) == [("ann", True), ("bob", False)]
row = next(orders.iter_rows())
assert (row["customer"], row[1], row["paid"]) == ("ann", 10, True), dict(row)
train, valid = pdu.split_train_valid(orders.get_dataframe(), prop=0.75, seed=1)
assert (len(train), len(valid)) == (3, 1)
assert sorted(dataiku.Dataset.list()) == ["notes", "orders", "totals"]
notes = dataiku.Dataset("notes")
notes.write_schema([{"name": "note", "type": "string"}, {"name": "stars", "type": "int"}])
with notes.get_writer() as writer:
    writer.write_tuple(("fine", 4))
    writer.write_row_array(["good", 4])
    writer.write_row_dict({"note": "great", "stars": 5})
assert list(notes.iter_tuples()) == [("fine", 4), ("good", 4), ("great", 5)]
import pandas as pd
notes.write_dataframe(pd.DataFrame({"note": ["ok"], "stars": [3]}))
assert notes.read_schema()[1] == {"name": "stars", "type": "int"}  # kept: infer_schema=False
assert list(notes.iter_rows()) == [{"note": "ok", "stars": 3}]
try:
    dataiku.Dataset("no_such").get_dataframe()
except Exception as exc:
    assert str(exc) == "Dataset PY_API.no_such does not exist", exc
assert dataiku.default_project_key() == "PY_API"
assert dataiku.api_client().get_project("PY_API").get_dataset("totals").exists()
assert dataiku.get_custom_variables() == {"region": "emea", "limit": "3"}
assert dataiku.get_custom_variables(typed=True)["limit"] == 3
"""
FOLDER_AND_SCENARIO_API = """import dataiku, io
from dataiku.scenario import Scenario
folder = dataiku.Folder("reports")
assert folder.get_info()["name"] == "reports" and folder.get_info()["type"] == "Filesystem"
folder.upload_data("/daily/summary.txt", "3 customers")
folder.upload_stream("raw.bin", io.BytesIO(b"01"))
with open(folder.get_path() + "/local.txt", "w") as fp:
    fp.write("written through get_path")
assert folder.list_paths_in_partition() == ["/daily/summary.txt", "/local.txt", "/raw.bin"]
with folder.get_download_stream("/daily/summary.txt") as stream:
    assert stream.read() == b"3 customers"
folder.delete_path("/raw.bin")
assert folder.list_paths_in_partition() == ["/daily/summary.txt", "/local.txt"]
folder.upload_file("/copy.txt", folder.get_path() + "/local.txt")
assert folder.get_path_details("/copy.txt")["size"] == len("written through get_path")
folder.delete_path("/copy.txt")
assert folder.get_path_details("/copy.txt")["exists"] is False
Scenario().set_scenario_variables(checked_customers=3)
"""
NEXT_STEP = """from dataiku.scenario import Scenario
variables = Scenario().get_all_variables()
assert variables["checked_customers"] == "3" and variables["region"] == "emea", variables
Scenario().run_scenario("TEST_OTHER")
"""


def test_dss_recipe_template_and_the_dataset_api(client):
    project = client.create_project("PY_API", "py api", "admin")
    for name in ("orders", "totals", "notes"):
        project.create_dataset(name, "Filesystem", params={"connection": "filesystem_managed", "path": name})
    variables = project.get_variables()
    variables["standard"].update(region="emea", limit=3)
    project.set_variables(variables)
    _python_recipe(project, "compute_totals", TEMPLATE_RECIPE, ["orders"], ["totals"])
    project.create_managed_folder("reports", connection_name="filesystem_managed")
    scenario_with(project, "TEST_OTHER", python_step("print('other ran')"))
    scenario = scenario_with(project, "TEST_API", python_step(SEED_ORDERS, "Seed"), python_step(READ_API, "Read"),
                             python_step(FOLDER_AND_SCENARIO_API, "Folder"), python_step(NEXT_STEP, "Next"))
    run = scenario.run_and_wait(no_fail=True)
    details = run.get_details()
    assert [s.outcome for s in details.steps] == ["SUCCESS"] * 4, (details.first_error_details, run.get_log())
    job_log = project.get_job(project.list_jobs()[-1]["def"]["id"]).get_log()
    assert "amount        int64" in job_log and "share      float64" in job_log  # pdu.audit printed by the recipe
    assert project.get_scenario("TEST_OTHER").get_last_finished_run().outcome == "SUCCESS"
    assert [f["name"] for f in project.list_managed_folders()] == ["reports"]
    folder = project.get_managed_folder(project.list_managed_folders()[0]["id"])
    contents = folder.list_contents()["items"]
    assert [i["path"] for i in contents] == ["/daily/summary.txt", "/local.txt"]
    assert folder.get_file("/daily/summary.txt").content == b"3 customers"


def test_missing_apis_and_code_envs_fail_naming_them(client):
    project = _project(client, "PY_MISSING")
    missing = "is not provided by the DSS emulator's dataiku package"
    for code, name in (("import dataiku\ndataiku.Dataset('orders').get_location_info()\n",
                        "dataiku.Dataset.get_location_info"),
                       ("import dataiku\ndataiku.Model('m')\n", "dataiku.Model"),
                       ("import dataiku.spark\n", "dataiku.spark"),
                       ("from dataiku.scenario import Scenario\nScenario().get_trigger_type()\n",
                        "dataiku.scenario.Scenario.get_trigger_type")):
        error = failed_run(scenario_with(project, "TEST_MISSING", python_step(code)))[2]
        assert ("%s %s" % (name, missing)) in error["message"], error
        project.get_scenario("TEST_MISSING").delete()

    _python_recipe(project, "compute_totals", "import dataiku\n", ["orders"], ["totals"])
    recipe = project.get_recipe("compute_totals").get_settings()
    recipe.get_recipe_raw_definition()["params"]["envSelection"] = {"envMode": "EXPLICIT_ENV", "envName": "py_gone"}
    recipe.save()
    with pytest.raises(DataikuException, match=r"^Job run did not finish\. Status: FAILED$"):
        project.get_dataset("totals").build()
    status = project.get_job(project.list_jobs()[0]["def"]["id"]).get_status()["baseStatus"]
    assert status["thrown"]["message"] == "PYTHON env py_gone doesn't exist"
    client.create_code_env("PYTHON", "py_gone", "DESIGN_MANAGED")
    assert project.get_dataset("totals").build().get_status()["baseStatus"]["state"] == "DONE"
