"""dataiku_dataset, dataiku_recipe, dataiku_scenario, dataiku_connection and dataiku_code_env through real
ansible-playbook runs against emulator processes: one lifecycle per module (check-mode create, create, no-op with
zero writes, one-field change with an exact one-line diff, bad input failing before any write, delete). The five
lifecycles go step by step together on one node in one ansible-playbook run, a snapshot of the node between steps.
"""

# pylint: disable=redefined-outer-name
import os

import pytest

from tests.integration.test_dataiku_project import conn, diff_lines
from tests.support.playbook import run_playbook, save_state_task, snapshot_steps, snapshot_task
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


KINDS = sorted(CASES)


@pytest.fixture
def node(design_node):
    require_emulator(design_node)
    seed_project(design_node.client())
    return design_node


def task(node, case, title="content", **args):
    return {"name": title, case["module"]: dict(conn(node), **args)}


class Lifecycles:
    """Every module's lifecycle on one node in ONE ansible-playbook run: each step is a task per module (named
    "<step> content <kind>"), a snapshot task (the node's write count and digest, no module start) after each step,
    and the node's whole state saved after the create and the change, which the official client reads after the
    run."""

    def __init__(self, node, workdir):
        self.node, self.workdir = node, workdir
        self.tasks, self.steps, self.saved, self.reads = [snapshot_task("start", node)], [], [], {}
        self.result = None

    def step(self, name, args_of, check=False, diff=True, **options):
        for kind in KINDS:
            task_ = task(self.node, CASES[kind], "%s content %s" % (name, kind), **args_of(CASES[kind]))
            self.tasks.append(dict(task_, check_mode=check, diff=diff, **options))
        self.tasks.append(snapshot_task("after %s" % name, self.node))
        self.steps.append(name)

    def save(self, name):
        self.tasks.append(save_state_task("save %s" % name, self.node, os.path.join(self.workdir, "saved-" + name)))
        self.saved.append(name)

    def run(self):
        self.result = run_playbook(self.workdir, tasks=self.tasks, diff=True, name="lifecycles")
        client = self.node.client()
        for name in self.saved:  # what the node held after that step, through the official client
            self.node.restore(os.path.join(self.workdir, "saved-" + name))
            self.reads[name] = {kind: CASES[kind]["read"](client) for kind in KINDS}

    @property
    def results(self):
        return {name: self.result for name in self.steps}

    def record(self, name, kind):
        return self.result.task("%s content %s" % (name, kind))

    def output(self, name, kind):
        """What ansible-playbook printed for the task of ``kind`` in step ``name`` (its diff, its status)."""
        return self.result.output_of("%s content %s" % (name, kind))

    def wrote_nothing(self, name):
        previous = (["start"] + self.steps)[self.steps.index(name)]
        return self.result.snapshot("after %s" % name) == self.result.snapshot(
            previous if previous == "start" else "after %s" % previous)


def run_lifecycles(node, workdir):
    """Check-mode create, create, no-op, check-mode change, change, bad input, check-mode delete, delete, no-op."""
    run = Lifecycles(node, str(workdir))

    def changed(case):
        return dict(case["create"], **case["change"])

    run.step("check-create", lambda case: case["create"], check=True)
    run.step("create", lambda case: case["create"])
    run.save("create")
    run.step("again", lambda case: case["create"])
    run.step("check-change", changed, check=True)
    run.step("change", changed)
    run.save("change")
    run.step("bad", lambda case: dict(changed(case), **case["bad"]), diff=False, ignore_errors=True)
    run.step("check-delete", lambda case: case["delete"], check=True)
    run.step("delete", lambda case: case["delete"])
    run.step("gone", lambda case: case["delete"], diff=False)
    run.run()
    return run


def assert_lifecycle(run, kind):
    case, api_key = CASES[kind], run.node.api_key
    check = run.record("check-create", kind)
    assert run.results["check-create"].rc == 0, run.results["check-create"]
    assert check["changed"] is True
    assert check["result"]["diff"]["before"] == {}
    assert run.wrote_nothing("check-create")

    real = run.record("create", kind)
    assert run.results["create"].rc == 0, run.results["create"]
    assert real["result"]["diff"] == check["result"]["diff"]
    assert run.reads["create"][kind] == case["created"]

    assert run.record("again", kind)["status"] == "ok", run.results["again"]
    assert diff_lines(run.output("again", kind)) == []
    assert run.wrote_nothing("again")

    check = run.record("check-change", kind)
    assert check["changed"] is True, run.results["check-change"]
    assert diff_lines(run.output("check-change", kind)) == case["lines"]
    assert run.wrote_nothing("check-change")
    real = run.record("change", kind)
    assert real["result"]["diff"] == check["result"]["diff"]
    assert diff_lines(run.output("change", kind)) == case["lines"]
    assert run.reads["change"][kind] == case["changed"]

    # the bad input fails (ignore_errors lets the other modules' tasks run) with a short message, before any write
    bad = run.record("bad", kind)
    assert bad["status"] == "ignored", bad
    msg = bad["result"]["msg"]
    assert case["bad_msg"] in msg, msg
    assert "Traceback" not in msg and "File \"/" not in msg, msg
    assert api_key not in run.results["bad"].output
    assert run.wrote_nothing("bad")

    check = run.record("check-delete", kind)
    assert check["changed"] is True and check["result"]["diff"]["after"] == {}
    assert run.wrote_nothing("check-delete")
    real = run.record("delete", kind)
    assert real["changed"] is True
    assert real["result"]["diff"] == check["result"]["diff"]
    assert run.record("gone", kind)["status"] == "ok"
    assert run.wrote_nothing("gone")


def test_lifecycle_of_every_module(node, tmp_path):
    run = run_lifecycles(node, tmp_path)
    failed = {}
    for kind in KINDS:  # every module checked, each failure reported under its module's name
        try:
            assert_lifecycle(run, kind)
        except AssertionError as error:
            failed[kind] = str(error)
    assert not failed, "\n\n".join("%s: %s" % item for item in sorted(failed.items()))


def test_connection_secrets_policy_and_no_leak(node, tmp_path):
    """The create, the rotation's plan (check mode) and the rotation in one -v run, snapshots between them."""
    case = CASES["connection"]
    secret = case["create"]["secret_params"]["password"]
    rotate = {**case["create"], "secret_params": {"password": "rotated-pg-password"}, "update_secrets": "always"}
    created = check = rotated = run_playbook(tmp_path, tasks=snapshot_steps(
        node, task(node, case, "created", **case["create"]),
        save_state_task("save created", node, tmp_path / "created"),
        dict(task(node, case, "check", **rotate), check_mode=True), task(node, case, "rotated", **rotate)),
        diff=True, args=["-v"])
    assert created.rc == 0, created
    assert created.task("created")["result"]["diff"]["after"]["secret_params"] == {"password": "(secret, written)"}

    assert check.task("check")["changed"] is True
    diff = check.task("check")["result"]["diff"]
    assert diff["before"]["secret_params"] == {"password": "(secret, not readable)"}
    assert diff["after"]["secret_params"] == {"password": "(secret, written)"}
    assert {k: v for k, v in diff["before"].items() if k != "secret_params"} == {
        k: v for k, v in diff["after"].items() if k != "secret_params"}  # nothing else differs
    assert check.snapshot("after check") == check.snapshot("after save created")  # the plan wrote nothing
    assert rotated.task("rotated")["changed"] is True
    now = node.client().get_connection("pg_prod").get_settings().get_raw()["params"]["password"]
    node.restore(tmp_path / "created")  # the node as the create left it
    stored = node.client().get_connection("pg_prod").get_settings().get_raw()["params"]["password"]
    assert stored.startswith("e:AES:")
    assert now != stored
    assert secret not in created.output and "rotated-pg-password" not in created.output
