"""The sample CHURN project of the demo and the promotion tests, seeded through the official client and written
the way DSS users write projects: the recipe is DSS's Python recipe template (pandas, numpy, pandasutils) filled in,
the smoke test's Python step uses `dataiku.scenario` and writes a report into a managed folder.

Dev (design) gets the `pg_dev` connection and the project; staging and prod (automation) get `pg_staging` and
`pg_prod`, which the inventories map `pg_dev` to when a bundle is activated there.

    customers (PostgreSQL, pg_dev) -> compute_churn_scores (python) -> churn_scores (managed, pg_dev)
    churn_reports (managed folder, filesystem_managed)
    TEST_SMOKE: build churn_scores (fails when the flow or the connection is broken), then a Python check that
                asserts every score is within [0, 1] (fails when the scores are wrong) and reports to churn_reports

The customers rows are loaded on dev by the LOAD_CUSTOMERS scenario and travel in every bundle (additional data,
bundleExporterSettings.exportOptions.includedDatasetsData), so the recipe scores them on every node.
Broken variants (break_*): a removed input, a failing assert, a recipe pinned to a code env that does not exist.
"""

PROJECT_KEY = "CHURN"
SMOKE_SCENARIO = "TEST_SMOKE"
LOAD_SCENARIO = "LOAD_CUSTOMERS"
INPUT_DATASET = "customers"
OUTPUT_DATASET = "churn_scores"
REPORTS_FOLDER = "churn_reports"
RECIPE = "compute_churn_scores"
MISSING_CODE_ENV = "py_churn_gpu"  # the code env of break_code_env: no node has it
CONNECTIONS = {"dev": "pg_dev", "staging": "pg_staging", "prod": "pg_prod"}
RECIPE_TEMPLATE = """# -*- coding: utf-8 -*-
import dataiku
import pandas as pd, numpy as np
from dataiku import pandasutils as pdu

# Read recipe inputs
customers = dataiku.Dataset("customers")
customers_df = customers.get_dataframe()

# Compute recipe outputs from inputs
threshold = int(dataiku.get_custom_variables()["churn_threshold_days"])
late = customers_df["days_since_last_order"] > threshold
churn_scores_df = pd.DataFrame({"customer_id": customers_df["customer_id"],
                                "churn_score": np.where(late, %s, 0.0)})

# Write recipe outputs
churn_scores = dataiku.Dataset("churn_scores")
churn_scores.write_with_schema(churn_scores_df)
"""
RECIPE_CODE = RECIPE_TEMPLATE % "1.0"
BROKEN_RECIPE_CODE = RECIPE_TEMPLATE % "100.0"  # a percentage where a probability is expected
CHECK_CODE = """import dataiku
from dataiku.scenario import Scenario

scores = [row["churn_score"] for row in dataiku.Dataset("churn_scores").iter_rows()]
assert scores, "churn_scores is empty"
assert all(0.0 <= score <= 1.0 for score in scores), "churn scores must be within [0, 1]: %s" % scores
at_risk = sum(1 for score in scores if score >= 0.5)
report = "%d of %d customers at risk\\n" % (at_risk, len(scores))
dataiku.Folder("churn_reports").upload_data("smoke/at_risk.txt", report)
Scenario().set_scenario_variables(customers_at_risk=at_risk)
"""
LOAD_CODE = """import dataiku
customers = dataiku.Dataset("customers")
customers.write_schema([{"name": "customer_id", "type": "bigint"}, {"name": "days_since_last_order", "type": "int"}])
with customers.get_writer() as writer:
    for customer_id, days in ((1, 3), (2, 45), (3, 12), (4, 90)):
        writer.write_row_dict({"customer_id": customer_id, "days_since_last_order": days})
"""


def connection_params(env, reachable=True):
    """PostgreSQL params of the environment's connection; a `.invalid` host (RFC 6761) never resolves."""
    host = "pg-%s.example.com" % env if reachable else "pg-%s.invalid" % env
    return {"host": host, "port": 5432, "db": "analytics", "user": "dss_%s" % env}


def seed_connection(client, env):
    """Create the environment's PostgreSQL connection (once)."""
    name = CONNECTIONS[env]
    if name not in client.list_connections_names("all"):
        client.create_connection(name, "PostgreSQL", params=connection_params(env))
    return name


def break_connection(client, env):
    """Point the environment's connection at a host that does not resolve (scenario builds on it then fail)."""
    connection = client.get_connection(CONNECTIONS[env])
    settings = connection.get_settings()
    settings.get_raw()["params"]["host"] = connection_params(env, reachable=False)["host"]
    settings.save()


def seed_design_project(client, project_key=PROJECT_KEY):
    """The CHURN project (or a copy under another key) on the dev design node: datasets on pg_dev, a python recipe
    and TEST_SMOKE."""
    connection = seed_connection(client, "dev")
    project = client.create_project(project_key, "Churn prediction", "admin",
                                    description="Scores customers by churn risk; promoted by dataiku_gitops.dss")
    project.create_dataset(INPUT_DATASET, "PostgreSQL",
                           params={"connection": connection, "mode": "table", "schema": "crm", "table": "customers"})
    builder = project.new_recipe("python", RECIPE)
    builder.with_input(INPUT_DATASET)
    builder.with_new_output_dataset(OUTPUT_DATASET, connection)
    builder.with_script(RECIPE_CODE)
    builder.create()
    project.create_managed_folder(REPORTS_FOLDER, connection_name="filesystem_managed")
    variables = project.get_variables()
    variables["standard"]["churn_threshold_days"] = 30
    project.set_variables(variables)
    project.create_scenario(SMOKE_SCENARIO, "step_based", definition={
        "id": SMOKE_SCENARIO,
        "name": "Smoke test: build the churn scores",
        "markedAsTest": True,
        "params": {"steps": [{
            "id": "build_scores", "type": "build_flowitem", "name": "Build churn_scores",
            "params": {"builds": [{"type": "DATASET", "itemId": OUTPUT_DATASET}], "jobType": "RECURSIVE_BUILD"},
        }, {
            "id": "check_scores", "type": "custom_python", "name": "Check the churn scores",
            "params": {"script": CHECK_CODE},
        }]},
    })
    load = project.create_scenario(LOAD_SCENARIO, "step_based", definition={
        "id": LOAD_SCENARIO, "name": "Load the sample customers",
        "params": {"steps": [{"id": "load", "type": "custom_python", "name": "Load customers",
                              "params": {"script": LOAD_CODE}}]},
    })
    load.run_and_wait()
    settings = project.get_settings()
    exporter = settings.get_raw().setdefault("bundleExporterSettings", {})
    exporter.setdefault("exportOptions", {})["includedDatasetsData"] = [{"name": INPUT_DATASET}]
    settings.save()
    return project


def change_variable(client, value, project_key=PROJECT_KEY):
    """A harmless change on dev (what a data scientist's commit would carry)."""
    project = client.get_project(project_key)
    variables = project.get_variables()
    variables["standard"]["churn_threshold_days"] = value
    project.set_variables(variables)


def break_flow(client, project_key=PROJECT_KEY):
    """A breaking change on dev: delete the dataset the recipe reads (the flow no longer builds)."""
    client.get_project(project_key).get_dataset(INPUT_DATASET).delete()


def break_scores(client, project_key=PROJECT_KEY):
    """A breaking change on dev: the recipe now writes percentages, so TEST_SMOKE's assert fails."""
    recipe = client.get_project(project_key).get_recipe(RECIPE)
    settings = recipe.get_settings()
    settings.set_code(BROKEN_RECIPE_CODE)
    settings.save()


def break_code_env(client, project_key=PROJECT_KEY):
    """A breaking change on dev: the recipe now runs in a code env that does not exist (its job cannot start)."""
    settings = client.get_project(project_key).get_recipe(RECIPE).get_settings()
    settings.get_recipe_raw_definition()["params"]["envSelection"] = {"envMode": "EXPLICIT_ENV",
                                                                      "envName": MISSING_CODE_ENV}
    settings.save()
