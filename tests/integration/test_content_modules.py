"""dataiku_dataset, dataiku_recipe, dataiku_scenario, dataiku_connection and dataiku_code_env through real
ansible-playbook runs against emulator processes: one lifecycle per module (check-mode create, create, no-op with
zero writes, one-field change with an exact one-line diff, bad input failing before any write, delete).
"""

# pylint: disable=redefined-outer-name
import pytest

from tests.integration.test_dataiku_project import assert_clean_failure, conn, diff_lines
from tests.support.real_node import require_emulator

PROJECT = "SHOP"


def seed_project(client):
    project = client.create_project(PROJECT, "Shop", "admin")
    project.create_dataset("orders", "Filesystem", params={"connection": "filesystem_managed", "path": "/orders"})
    project.create_dataset("totals", "Filesystem", params={"connection": "filesystem_managed", "path": "/totals"})


# Per module: arguments to create, the one-field change and the diff lines it must print, a bad input and a
# fragment of its message, and how the object looks through the official client.
CASES = {
    "dataset": dict(
        module="dataiku_gitops.dss.dataiku_dataset",
        create=dict(project_key=PROJECT, name="scored", managed=True, connection="filesystem_managed",
                    format_type="csv", schema=[{"name": "id", "type": "bigint"}, {"name": "score", "type": "double"}]),
        change=dict(format_type="parquet"),
        lines=['-    "format_type": "csv",', '+    "format_type": "parquet",'],
        bad=dict(schema=[{"name": "id"}]),
        bad_msg="schema[0] needs a name and a type",
        delete=dict(project_key=PROJECT, name="scored", state="absent"),
        read=lambda c: c.get_project(PROJECT).get_dataset("scored").get_settings().get_raw()["formatType"],
        created="csv", changed="parquet",
    ),
    "recipe": dict(
        module="dataiku_gitops.dss.dataiku_recipe",
        create=dict(project_key=PROJECT, name="compute_totals", type="python", inputs=["orders"],
                    outputs=["totals"], payload="print('v1')\n"),
        change=dict(payload="print('v2')\n"),
        lines=['-    "payload": "print(\'v1\')\\n",', '+    "payload": "print(\'v2\')\\n",'],
        bad=dict(type="sync"),
        bad_msg="Cannot change type of the existing recipe SHOP.compute_totals (type is 'python', wanted 'sync')",
        delete=dict(project_key=PROJECT, name="compute_totals", state="absent"),
        read=lambda c: c.get_project(PROJECT).get_recipe("compute_totals").get_settings().str_payload,
        created="print('v1')\n", changed="print('v2')\n",
    ),
    "scenario": dict(
        module="dataiku_gitops.dss.dataiku_scenario",
        create=dict(project_key=PROJECT, id="NIGHTLY", name="Nightly", type="step_based", active=False,
                    steps=[{"id": "build", "type": "build_flowitem", "name": "Build totals",
                            "params": {"builds": [{"type": "DATASET", "itemId": "totals"}]}}],
                    triggers=[{"type": "temporal", "name": "Nightly", "active": True, "params": {"hour": 2}}]),
        change=dict(active=True),
        lines=['-    "active": false,', '+    "active": true,'],
        bad=dict(script="print(1)"),
        bad_msg="steps and script are mutually exclusive",
        delete=dict(project_key=PROJECT, id="NIGHTLY", state="absent"),
        read=lambda c: c.get_project(PROJECT).get_scenario("NIGHTLY").get_settings().active,
        created=False, changed=True,
    ),
    "connection": dict(
        module="dataiku_gitops.dss.dataiku_connection",
        create=dict(name="pg_prod", type="PostgreSQL", params={"host": "pg.prod.example.com", "port": 5432},
                    secret_params={"password": "s3cr3t-pg-password"}, usable_by="allowed",
                    allowed_groups=["data_team"]),
        change=dict(params={"host": "pg2.prod.example.com", "port": 5432}),
        lines=['-        "host": "pg.prod.example.com",', '+        "host": "pg2.prod.example.com",'],
        bad=dict(type="Snowflake"),
        bad_msg="Cannot change type of the existing connection pg_prod",
        delete=dict(name="pg_prod", state="absent"),
        read=lambda c: c.get_connection("pg_prod").get_settings().get_raw()["params"]["host"],
        created="pg.prod.example.com", changed="pg2.prod.example.com",
    ),
    "code_env": dict(
        module="dataiku_gitops.dss.dataiku_code_env",
        create=dict(name="py_scoring", packages=["pandas==2.2.2", "scikit-learn==1.5.1"]),
        change=dict(packages=["pandas==2.2.3", "scikit-learn==1.5.1"]),
        lines=['-        "pandas==2.2.2",', '+        "pandas==2.2.3",'],
        bad=dict(deployment_mode="DESIGN_NON_MANAGED"),
        bad_msg="Cannot change deployment_mode of the existing PYTHON code env py_scoring",
        delete=dict(name="py_scoring", state="absent"),
        # The installed list (not only the saved spec) follows: the env was updated.
        read=lambda c: c.get_code_env("PYTHON", "py_scoring").get_definition()["actualPackageList"],
        created="pandas==2.2.2\nscikit-learn==1.5.1", changed="pandas==2.2.3\nscikit-learn==1.5.1",
    ),
}


@pytest.fixture
def node(design_node):
    require_emulator(design_node)
    seed_project(design_node.client())
    return design_node


def task(node, case, title="content", **args):
    return {"name": title, case["module"]: dict(conn(node), **args)}


def assert_no_write(node, before):
    writes, digest = before
    assert node.writes() == writes and node.digest() == digest


def mark(node):
    return node.writes(), node.digest()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_lifecycle(kind, node, playbook):
    case = CASES[kind]
    client = node.client()

    before = mark(node)
    check = playbook(tasks=[task(node, case, **case["create"])], check=True, diff=True)
    assert check.rc == 0, check
    assert check.task("content")["changed"] is True
    assert check.task("content")["result"]["diff"]["before"] == {}
    assert_no_write(node, before)

    real = playbook(tasks=[task(node, case, **case["create"])], diff=True)
    assert real.rc == 0, real
    assert real.task("content")["result"]["diff"] == check.task("content")["result"]["diff"]
    assert case["read"](client) == case["created"]

    before = mark(node)
    again = playbook(tasks=[task(node, case, **case["create"])], diff=True)
    assert again.task("content")["status"] == "ok", again
    assert diff_lines(again.output) == []
    assert_no_write(node, before)

    changed_args = dict(case["create"], **case["change"])
    check = playbook(tasks=[task(node, case, **changed_args)], check=True, diff=True)
    assert check.task("content")["changed"] is True, check
    assert diff_lines(check.output) == case["lines"]
    assert_no_write(node, before)
    real = playbook(tasks=[task(node, case, **changed_args)], diff=True)
    assert real.task("content")["result"]["diff"] == check.task("content")["result"]["diff"]
    assert diff_lines(real.output) == case["lines"]
    assert case["read"](client) == case["changed"]

    before = mark(node)
    bad = playbook(tasks=[task(node, case, **dict(changed_args, **case["bad"]))])
    assert_clean_failure(bad, node, case["bad_msg"])
    assert_no_write(node, before)

    check = playbook(tasks=[task(node, case, **case["delete"])], check=True, diff=True)
    assert check.task("content")["changed"] is True and check.task("content")["result"]["diff"]["after"] == {}
    assert_no_write(node, before)
    real = playbook(tasks=[task(node, case, **case["delete"])], diff=True)
    assert real.task("content")["changed"] is True
    assert real.task("content")["result"]["diff"] == check.task("content")["result"]["diff"]
    before = mark(node)
    gone = playbook(tasks=[task(node, case, **case["delete"])])
    assert gone.task("content")["status"] == "ok"
    assert_no_write(node, before)


def test_connection_secrets_policy_and_no_leak(node, playbook):
    case = CASES["connection"]
    secret = case["create"]["secret_params"]["password"]
    created = playbook(tasks=[task(node, case, **case["create"])], diff=True, args=["-v"])
    assert created.rc == 0, created
    assert created.task("content")["result"]["diff"]["after"]["secret_params"] == {"password": "(secret, written)"}
    stored = node.client().get_connection("pg_prod").get_settings().get_raw()["params"]["password"]
    assert stored.startswith("e:AES:")

    rotate = {**case["create"], "secret_params": {"password": "rotated-pg-password"}, "update_secrets": "always"}
    before = mark(node)
    check = playbook(tasks=[task(node, case, **rotate)], check=True, diff=True)
    assert check.task("content")["changed"] is True
    diff = check.task("content")["result"]["diff"]
    assert diff["before"]["secret_params"] == {"password": "(secret, not readable)"}
    assert diff["after"]["secret_params"] == {"password": "(secret, written)"}
    assert {k: v for k, v in diff["before"].items() if k != "secret_params"} == {
        k: v for k, v in diff["after"].items() if k != "secret_params"}  # nothing else differs
    assert_no_write(node, before)
    rotated = playbook(tasks=[task(node, case, **rotate)], diff=True, args=["-v"])
    assert rotated.task("content")["changed"] is True
    assert node.client().get_connection("pg_prod").get_settings().get_raw()["params"]["password"] != stored
    for result in (created, check, rotated):
        assert secret not in result.output and "rotated-pg-password" not in result.output
