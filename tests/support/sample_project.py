"""The sample CHURN project of the demo and the promotion tests, seeded through the official client.

Dev (design) gets the `pg_dev` connection and the project; staging and prod (automation) get `pg_staging` and
`pg_prod`, which the inventories map `pg_dev` to when a bundle is activated there.

    customers (PostgreSQL, pg_dev) -> compute_churn_scores (python) -> churn_scores (managed, pg_dev)
    TEST_SMOKE: one build_flowitem step that builds churn_scores (fails when the flow or the connection is broken)
"""

PROJECT_KEY = "CHURN"
SMOKE_SCENARIO = "TEST_SMOKE"
INPUT_DATASET = "customers"
OUTPUT_DATASET = "churn_scores"
RECIPE = "compute_churn_scores"
CONNECTIONS = {"dev": "pg_dev", "staging": "pg_staging", "prod": "pg_prod"}
RECIPE_CODE = """import dataiku
customers = dataiku.Dataset("customers").get_dataframe()
customers["churn_score"] = (customers["days_since_last_order"] > 30).astype(float)
dataiku.Dataset("churn_scores").write_with_schema(customers)
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
        }]},
    })
    return project


def change_variable(client, value, project_key=PROJECT_KEY):
    """A harmless change on dev (what a data scientist's commit would carry)."""
    project = client.get_project(project_key)
    variables = project.get_variables()
    variables["standard"]["churn_threshold_days"] = value
    project.set_variables(variables)


def break_flow(client, project_key=PROJECT_KEY):
    """A breaking change on dev: delete the recipe's input dataset (the flow no longer builds)."""
    client.get_project(project_key).get_dataset(INPUT_DATASET).delete()
