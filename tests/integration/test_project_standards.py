"""dataiku_bundle state=exported with Project Standards, through real ansible-playbook against a design node: the
checks evaluated at export (or not), the summary of the report stored with each bundle, check mode predicting the
real run without writing, a second export of an existing id changing nothing, and a misplaced option refused."""

from tests.support.real_node import require_emulator

KEY = "STANDARDS"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
SPECS = ["emulator-standards_project-has-description", "emulator-standards_python-code-envs-exist",
         "emulator-standards_scenarios-have-triggers"]


def _seed(node):
    """Checks of the emulator's built-in specs in the default scope, and a project failing two of them (no
    description; a Python recipe pinned to a code env the node does not have) and passing the third."""
    client = node.client()
    standards = client.get_project_standards()
    default = standards.get_default_scope()
    default.checks = [c.id for c in standards.create_checks(SPECS)]
    default.save()
    project = client.create_project(KEY, "Standards", "admin")
    project.create_recipe({"type": "python", "name": "score", "params": {"envSelection": {
        "envMode": "EXPLICIT_ENV", "envName": "py_gpu"}}}, {"payload": "print(1)"})
    project.create_scenario("Nightly", "step_based", definition={"id": "NIGHTLY", "triggers": [
        {"id": "t", "type": "temporal", "params": {"frequency": "Daily"}}]})


def _task(name, node, ignore_errors=False, **args):
    task = {"name": name, BUNDLE: dict(project_key=KEY, url=node.url, api_key=node.api_key, **args)}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def test_export_evaluates_project_standards(design_node, playbook):
    require_emulator(design_node)
    _seed(design_node)
    tasks = [
        _task("evaluated", design_node, bundle_id="v1", state="exported", evaluate_project_standards=True),
        _task("not evaluated", design_node, bundle_id="v2", state="exported", evaluate_project_standards=False),
        _task("default", design_node, bundle_id="v3", state="exported"),
        _task("again", design_node, bundle_id="v1", state="exported", evaluate_project_standards=False),
        _task("misplaced", design_node, ignore_errors=True, bundle_id="v1", state="absent",
              evaluate_project_standards=True),
    ]
    before = (design_node.digest(), design_node.writes())
    checked = playbook(tasks=tasks, check=True, diff=True)
    assert checked.rc == 0, checked
    assert (design_node.digest(), design_node.writes()) == before, "check mode wrote to the node"
    real = playbook(tasks=tasks, diff=True)
    assert real.rc == 0, real
    # Check mode cannot see the bundles exported by the tasks before, so only the first diff is comparable.
    assert checked.task("evaluated")["result"]["diff"] == real.task("evaluated")["result"]["diff"]
    for task in tasks[:3]:
        predicted, done = checked.task(task["name"]), real.task(task["name"])
        assert predicted["changed"] and done["changed"], (predicted, done)
        assert predicted["result"]["project_standards"] is None  # nothing to read before the export

    evaluated = real.task("evaluated")["result"]["project_standards"]
    assert evaluated["status"] == "FAILED" and evaluated["scope"] == "DEFAULT"
    assert [(c["name"], c["severity_name"]) for c in evaluated["failures"]] == [
        ("Project has a description", "LOW"), ("Python recipes use existing code envs", "HIGH")]
    assert evaluated["passed"] == ["Scenarios have triggers"]
    assert "score (code env py_gpu)" in evaluated["failures"][1]["message"]
    assert real.task("not evaluated")["result"]["project_standards"]["status"] == "NOT_EVALUATED"
    assert real.task("default")["result"]["project_standards"]["failures"] == evaluated["failures"]
    again = real.task("again")  # an existing bundle: not exported again, its stored report summarised
    assert not again["changed"] and again["result"]["project_standards"] == evaluated
    for run in (checked, real):
        misplaced = run.task("misplaced")
        assert misplaced["status"] == "ignored"
        assert misplaced["result"]["msg"] == ("evaluate_project_standards is only used with state=exported (state is "
                                              "absent).")
    assert [b["bundleId"] for b in design_node.client().get_project(KEY).list_exported_bundles()["bundles"]] == [
        "v1", "v2", "v3"]
    assert "Traceback" not in real.output and design_node.api_key not in real.output + checked.output
