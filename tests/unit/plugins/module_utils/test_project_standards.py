"""The Project Standards summary helper (plugins/module_utils/_bundle/project_standards.py) on reports an emulated
design node makes from real project state, read through dataikuapi; and on what an older client or DSS answers."""

# pylint: disable=redefined-outer-name,unused-import
import json

import pytest
import requests
from dataikuapi.dss.project import DSSProject
from dataikuapi.dss.projectdeployer import DSSProjectDeployerProject

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as ps
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import dss_error, emulated

KEY = "SCORES"
SPECS = ("emulator-standards_project-has-description", "emulator-standards_python-code-envs-exist",
         "emulator-standards_scenarios-have-triggers")


def _define_spec(node, element_type, body):
    session = node.mount(requests.Session())
    answer = session.post("%s/__emulator__/project-standards/check-specs/%s" % (node.url, element_type),
                          data=json.dumps(body), timeout=10)
    answer.raise_for_status()


def _configured(node, extra_specs=()):
    """Checks of the built-in specs (and `extra_specs`) in the default scope, and a project that fails two of them:
    no description (LOW), a Python recipe pinned to a missing code env (HIGH); its only scenario is a test one."""
    client = node.client()
    standards = client.get_project_standards()
    default = standards.get_default_scope()
    default.checks = [c.id for c in standards.create_checks(list(SPECS) + list(extra_specs))]
    default.save()
    project = client.create_project(KEY, "Scores", "admin")
    project.create_recipe({"type": "python", "name": "score", "params": {"envSelection": {
        "envMode": "EXPLICIT_ENV", "envName": "py_gpu"}}}, {"payload": "print(1)"})
    project.create_scenario("Smoke", "step_based", definition={"id": "TEST_SMOKE", "markedAsTest": True})
    return client, project


def test_project_last_report_summary_and_threshold(emulated):
    node = emulated("design")
    _define_spec(node, "acme_flaky", {"label": "Flaky", "result": {"status": "RUN_ERROR", "message": "timeout"}})
    client, project = _configured(node, ["acme_flaky"])
    assert ps.project_summary(client, KEY)["status"] == "NOT_EVALUATED"
    project.start_run_project_standards_checks().wait_for_result()

    summary = ps.project_summary(client, KEY)
    assert summary["status"] == "FAILED" and summary["available"] and summary["evaluated"]
    assert summary["scope"] == "DEFAULT" and summary["min_severity"] == "LOWEST"
    assert [(c["name"], c["severity"], c["severity_name"]) for c in summary["failures"]] == [
        ("Project has a description", 2, "LOW"), ("Python recipes use existing code envs", 4, "HIGH")]
    assert "py_gpu" in summary["failures"][1]["message"]
    assert [(c["name"], c["status"], c["message"]) for c in summary["warnings"]] == [("Flaky", "RUN_ERROR", "timeout")]
    assert summary["passed"] == [] and summary["not_applicable"] == ["Scenarios have triggers"]
    assert summary["message"] == (
        "Project Standards of project SCORES: 0 of 4 check(s) pass; failing: Project has a description (LOW), "
        "Python recipes use existing code envs (HIGH); warnings: Flaky (RUN_ERROR); not applicable: Scenarios have "
        "triggers")

    high = ps.project_summary(client, KEY, min_severity=4)  # a LOW issue is only a warning from HIGH up
    assert [c["name"] for c in high["failures"]] == ["Python recipes use existing code envs"]
    assert [c["name"] for c in high["warnings"]] == ["Flaky", "Project has a description"]  # by check id

    project.set_metadata(dict(project.get_metadata(), description="Scores customers"))
    project.start_run_project_standards_checks().wait_for_result()
    fixed = ps.project_summary(client, KEY, min_severity=4)
    assert fixed["passed"] == ["Project has a description"] and fixed["status"] == "FAILED"


def test_bundle_reports_on_the_design_node_and_the_deployer(emulated):
    node = emulated("design")
    client, project = _configured(node)
    project.export_bundle("v1")
    project.export_bundle("v2", evaluate_project_standards_checks=False)
    entries = {b["bundleId"]: b for b in project.list_exported_bundles()["bundles"]}
    exported = ps.exported_bundle_summary(entries["v1"], KEY)
    assert exported["status"] == "FAILED" and len(exported["failures"]) == 2
    assert exported["message"].startswith("Project Standards of bundle v1 of SCORES: 0 of 3 check(s) pass")
    assert ps.exported_bundle_summary(entries["v2"], KEY) == ps.not_evaluated("bundle v2 of SCORES")
    assert ps.exported_bundle_summary(None, KEY)["status"] == "NOT_EVALUATED"

    project.publish_bundle("v1")
    project.publish_bundle("v2")
    assert ps.published_bundle_summary(client, KEY, "v1") == exported
    assert ps.published_bundle_summary(client, KEY, "v2")["status"] == "NOT_EVALUATED"
    # Another DSS spelling of the entry's field is read too.
    renamed = {"bundleId": "v1", "projectStandardsRunReport": entries["v1"]["projectStandardsReport"]}
    assert ps.exported_bundle_summary(renamed, KEY) == exported

    node.reset()  # a fresh node: no check, an empty default scope
    assert client.get_project_standards().list_checks() == []
    assert client.get_project_standards().get_default_scope().checks == []


def test_older_clients_and_dss_versions_are_not_available(emulated, monkeypatch):
    node = emulated("design")
    client, project = _configured(node)
    project.export_bundle("v1")
    project.publish_bundle("v1")
    node.faults.answer("GET", r"/project-standards-report$", 404, dss_error(
        "No API endpoint for GET", "com.dataiku.dip.server.controllers.NotFoundException", 404))
    old_dss = ps.published_bundle_summary(client, KEY, "v1")
    assert old_dss["status"] == "NOT_AVAILABLE" and not old_dss["available"]
    assert "No API endpoint for GET" in old_dss["message"]
    node.faults.answer("GET", r"/last-report$", 200, {"unexpected": True})
    node.faults.rewrite_answer("GET", r"/project-standards-report$", lambda _report: ["not", "a", "report"])
    assert "are a NoneType, not an object" in ps.project_summary(client, KEY)["message"]
    assert "is a list, not an object" in ps.published_bundle_summary(client, KEY, "v1")["message"]

    monkeypatch.delattr(DSSProjectDeployerProject, "get_project_standards_report")
    monkeypatch.delattr(DSSProject, "get_project_standards_last_report")
    for summary in (ps.published_bundle_summary(client, KEY, "v1"), ps.project_summary(client, KEY)):
        assert summary["status"] == "NOT_AVAILABLE"
        assert summary["message"] == ("Project Standards are not available: this dataikuapi version cannot read "
                                      "Project Standards reports")


@pytest.mark.parametrize("raw, status, field", [
    ({"bundleChecksRunInfo": {"a": {"check": {"name": "A"}, "result": {"status": "RUN_SUCCESS"}}}}, "WARNING",
     "warnings"),  # ran, but no severity: cannot be called a pass
    ({"bundleChecksRunInfo": {"a": "garbage"}}, "WARNING", "warnings"),
    ({"bundleChecksRunInfo": {"a": {"result": {"status": "RUN_SUCCESS", "severity": True}}}}, "WARNING", "warnings"),
    ({"bundleChecksRunInfo": []}, "NOT_AVAILABLE", None),
    ({}, "NOT_AVAILABLE", None),
    ({"bundleChecksRunInfo": {}}, "PASSED", None),  # a scope without checks
])
def test_odd_shapes_never_pass_silently(raw, status, field):
    summary = ps.summarize(raw, "bundle x of K")
    assert summary["status"] == status
    if field:
        assert summary[field][0]["id"] == "a" and summary["passed"] == []


def test_min_severity_validation():
    assert ps.min_severity_error(1) is None and ps.min_severity_error(5) is None
    for bad in (0, 6, "3", True, None):
        assert "must be 1 (LOWEST) to 5 (CRITICAL)" in ps.min_severity_error(bad)
