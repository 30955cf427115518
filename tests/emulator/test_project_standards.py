"""Project Standards through the official client (dataikuapi 15.2): check specs, checks and scopes, runs on a project
and its last report, the report kept with an exported bundle (entry, archive, published copy, uploaded copy), the
control endpoint that defines check specs, and the infrastructure policy a deployment update applies."""

import io
import json
import urllib.request
import zipfile

import pytest
import requests
from dataikuapi.dss.project_standards import DSSProjectStandardsRunReport

from tests.emulator.bundles_helpers import expect_dss_error
from tests.emulator.deployer_helpers import make_infra
from tests.support.emulator import EmulatorNode
from tests.support.sample_project import break_code_env, seed_design_project

DESCRIPTION = "emulator-standards_project-has-description"
CODE_ENVS = "emulator-standards_python-code-envs-exist"
TRIGGERS = "emulator-standards_scenarios-have-triggers"


def control(node, element_type, body=None, method=None):
    """The emulator-only control endpoint of check specs (GET, POST a definition, DELETE)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("%s/__emulator__/project-standards/check-specs/%s" % (node.url, element_type),
                                 data=data, method=method or ("POST" if body is not None else "GET"))
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def use_checks(client, element_types):
    """Fresh checks of these specs, all in the default scope (other scopes removed): the state each test starts
    from, whatever an earlier test of the module configured."""
    standards = client.get_project_standards()
    for scope in standards.list_scopes(as_type="objects"):
        if not scope.is_default:
            scope.delete()
    for check in standards.list_checks():
        check.to_check().delete()
    checks = standards.create_checks(element_types, as_type="objects")
    default = standards.get_default_scope()
    default.checks = [c.id for c in checks]
    default.save()
    return {c.check_element_type: c for c in checks}


def results(report):
    """{check name: (status, severity)} of a DSSProjectStandardsRunReport."""
    return {info.check.name: (info.result.status, info.result.severity) for info in report.checks_run_info.values()}


def test_checks_scopes_and_their_refusals(design, client):
    standards = client.get_project_standards()
    specs = standards.list_check_specs(as_type="objects")
    assert {s.element_type for s in specs} >= {DESCRIPTION, CODE_ENVS, TRIGGERS}
    assert all(s.owner_plugin_id == "emulator-standards" and s.label for s in specs)
    checks = use_checks(client, [DESCRIPTION, TRIGGERS])
    described = checks[DESCRIPTION]
    assert described.id == "Projecthasadescription" and described.check_params == {"severity": 2}
    again = standards.create_checks([DESCRIPTION])[0]  # one spec, several checks with their own params
    assert again.id == "Projecthasadescription2"
    check = standards.get_check(again.id)
    check.name, check.check_params, check.tags = "Described (critical)", {"severity": 5}, ["prod"]
    saved = check.save()
    assert saved == standards.get_check(again.id) and saved.check_params == {"severity": 5}
    expect_dss_error("Unknown check spec(s) nope", standards.create_checks, ["nope"])

    tagged = client.create_project("PS_SCOPES", "Scopes", "admin", description="scoped")
    tagged.set_metadata(dict(tagged.get_metadata(), tags=["finance"]))
    client.create_project("PS_OTHER", "Other", "admin")
    by_tag = standards.create_scope("finance", checks=[again.id], selection_method="BY_TAG", items=["finance"])
    by_key = standards.create_scope("pinned", description="one project", checks=[described.id], items=["PS_OTHER"])
    assert by_tag.selected_tags == ["finance"] and by_key.selected_projects == ["PS_OTHER"]
    assert [s.name for s in standards.list_scopes(as_type="objects")] == ["finance", "pinned", "DEFAULT"]
    by_key.reorder(0)
    assert [s["name"] for s in standards.list_scopes()] == ["pinned", "finance", "DEFAULT"]
    assert client.get_project("PS_SCOPES").get_project_standards_scope() == "finance"
    assert client.get_project("PS_OTHER").get_project_standards_scope() == "pinned"
    assert standards.get_scope("finance") == by_tag
    expect_dss_error("already exists", standards.create_scope, "pinned")
    expect_dss_error("Unknown check(s) ghost", standards.create_scope, "bad", checks=["ghost"])
    expect_dss_error("selectionMethod must be one of", standards.create_scope, "bad", selection_method="ANY")
    answer = requests.delete(design.url + "/dip/publicapi/project-standards/scopes/DEFAULT", auth=(design.api_key, ""),
                             timeout=30)
    assert answer.status_code == 400 and "cannot be deleted" in answer.json()["message"]
    with pytest.raises(Exception, match="Default scope cannot be deleted"):
        standards.get_default_scope().delete()  # the client refuses before asking

    standards.get_check(again.id).delete()  # leaves the scopes that listed it
    assert standards.get_scope("finance").checks == []
    by_tag.delete()
    assert client.get_project("PS_SCOPES").get_project_standards_scope() == "DEFAULT"
    expect_dss_error("check Projecthasadescription2 does not exist", standards.get_check, again.id)


def test_runs_on_the_real_project_state_and_the_last_report(design, client):
    checks = use_checks(client, [DESCRIPTION, CODE_ENVS, TRIGGERS])
    project = seed_design_project(client, "PS_RUN")
    assert project.get_project_standards_last_report() is None
    report = project.start_run_project_standards_checks().wait_for_result()
    assert isinstance(report, DSSProjectStandardsRunReport)
    assert report.project_key == "PS_RUN" and report.scope == "DEFAULT" and report.requester == "admin"
    assert results(report) == {
        "Project has a description": ("RUN_SUCCESS", 0),
        "Python recipes use existing code envs": ("RUN_SUCCESS", 0),  # the built-in env
        "Scenarios have triggers": ("RUN_SUCCESS", 3),  # LOAD_CUSTOMERS (TEST_SMOKE is a test scenario)
    }
    info = report.checks_run_info[checks[TRIGGERS].id]
    assert "LOAD_CUSTOMERS" in info.result.message and info.result.severity_category == "MEDIUM"
    assert info.expanded_check_params == {"severity": 3, "ignoreTestScenarios": True}
    assert project.get_project_standards_last_report().data == report.data

    break_code_env(client, "PS_RUN")
    scenario = project.get_scenario("LOAD_CUSTOMERS").get_settings()
    scenario.get_raw()["triggers"] = [{"id": "daily", "type": "temporal", "params": {"frequency": "Daily"}}]
    scenario.save()
    only = project.start_run_project_standards_checks(check_ids=[checks[CODE_ENVS].id]).wait_for_result()
    assert results(only) == {"Python recipes use existing code envs": ("RUN_SUCCESS", 4)}
    assert "py_churn_gpu" in only.checks_run_info[checks[CODE_ENVS].id].result.message
    assert project.get_project_standards_last_report().data == report.data  # explicit checks: not saved
    rerun = project.start_run_project_standards_checks().wait_for_result()
    assert results(rerun)["Scenarios have triggers"] == ("RUN_SUCCESS", 0)
    assert project.get_project_standards_last_report().data == rerun.data
    expect_dss_error("check ghost does not exist", project.start_run_project_standards_checks, ["ghost"])
    expect_dss_error("Project NOPE does not exist", client.get_project("NOPE").get_project_standards_last_report)

    design.kill()  # kill -9: checks, scopes and reports were committed before the answers
    design.start()
    assert project.get_project_standards_last_report().data == rerun.data
    assert client.get_project_standards().get_default_scope().checks == [c.id for c in checks.values()]


def test_defined_check_specs_through_the_control_endpoint(design, client):
    fixed = control(design, "acme_docs", {"label": "Datasets documented", "result": {"severity": 1, "message": "2 "
                    "datasets undocumented"}, "projects": {"PS_CTRL": {"status": "RUN_ERROR", "message": "boom"}}})
    assert fixed["ownerPluginId"] == "emulator-defined" and control(design, "acme_docs") == fixed
    assert "acme_docs" in [s["elementType"] for s in client.get_project_standards().list_check_specs()]
    checks = use_checks(client, ["acme_docs", DESCRIPTION])
    for key in ("PS_CTRL", "PS_CTRL2"):
        client.create_project(key, key, "admin", description="described")
    ctrl = client.get_project("PS_CTRL").start_run_project_standards_checks().wait_for_result()
    other = client.get_project("PS_CTRL2").start_run_project_standards_checks().wait_for_result()
    assert results(ctrl)["Datasets documented"] == ("RUN_ERROR", None)
    assert results(other)["Datasets documented"] == ("RUN_SUCCESS", 1)
    assert other.checks_run_info[checks["acme_docs"].id].result.message == "2 datasets undocumented"

    assert control(design, "acme_docs", method="DELETE")["deleted"] is True
    gone = client.get_project("PS_CTRL2").start_run_project_standards_checks().wait_for_result()
    assert results(gone)["Datasets documented"] == ("RUN_ERROR", None)  # as a check whose plugin was removed
    for body in ({"result": {"severity": 9}}, {"result": {"status": "MAYBE"}}):
        with pytest.raises(urllib.error.HTTPError) as info:
            control(design, "acme_bad", body)
        assert info.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        control(design, DESCRIPTION, {"result": {}})  # built-in specs cannot be redefined


def test_bundle_report_at_export_publish_and_upload(design, client, tmp_path):
    use_checks(client, [DESCRIPTION, TRIGGERS])
    project = seed_design_project(client, "PS_BUNDLE")
    project.export_bundle("checked")  # the client evaluates by default
    project.export_bundle("unchecked", evaluate_project_standards_checks=False)
    entries = {b["bundleId"]: b for b in project.list_exported_bundles()["bundles"]}
    report = entries["checked"]["projectStandardsReport"]
    assert report["bundleId"] == "checked" and report["projectKey"] == "PS_BUNDLE"
    assert results(DSSProjectStandardsRunReport(client, report))["Scenarios have triggers"] == ("RUN_SUCCESS", 3)
    assert "projectStandardsReport" not in entries["unchecked"]
    assert project.get_project_standards_last_report() is None  # a bundle's run is not the project's report

    archive = tmp_path / "checked.zip"
    project.download_exported_bundle_archive_to_file("checked", str(archive))
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("project-standards-report.json")) == report

    for bundle_id in ("checked", "unchecked"):
        project.publish_bundle(bundle_id)
    published = client.get_projectdeployer().get_project("PS_BUNDLE")
    assert published.get_project_standards_report("checked", as_type="dict") == report
    assert published.get_project_standards_report("unchecked") is None
    assert all("projectStandardsReport" not in b for b in published.get_status().get_bundles())
    expect_dss_error("Bundle nope does not exist", published.get_project_standards_report, "nope")

    with EmulatorNode("deployer") as standalone:
        deployer = standalone.client().get_projectdeployer()
        with open(archive, "rb") as fp:
            deployer.upload_bundle(io.BytesIO(fp.read()))
        assert deployer.get_project("PS_BUNDLE").get_project_standards_report("checked", as_type="dict") == report


def test_infrastructure_policy_applied_by_updates(design, client, automation):
    use_checks(client, [DESCRIPTION, TRIGGERS])
    project = seed_design_project(client, "PS_DEPLOY")
    project.export_bundle("v1")  # Scenarios have triggers: MEDIUM issue
    project.publish_bundle("v1")
    deployer = client.get_projectdeployer()
    policies = {"ps-prevent": ("PREVENT", 1), "ps-warn": ("WARN", 1), "ps-high": ("PREVENT", 4),
                "ps-none": ("NO_CHECK", 1)}
    for infra_id, (policy, min_severity) in policies.items():
        settings = make_infra(deployer, infra_id, automation).get_settings()
        raw = settings.get_raw()
        assert raw["projectStandardsCheckPolicy"] == "NO_CHECK" and raw["projectStandardsMinSeverity"] == 1
        raw.update(projectStandardsCheckPolicy=policy, projectStandardsMinSeverity=min_severity)
        settings.save()
    bad = deployer.get_infra("ps-none").get_settings()
    bad.get_raw()["projectStandardsCheckPolicy"] = "BLOCK"
    expect_dss_error("projectStandardsCheckPolicy must be one of NO_CHECK, WARN, PREVENT", bad.save)

    def update(infra_id):
        dep = deployer.create_deployment("%s-dep" % infra_id, "PS_DEPLOY", infra_id, "v1",
                                         deployed_project_key="PS_%s" % infra_id.upper().replace("-", "_"))
        return dep, dep.start_update()

    dep, future = update("ps-prevent")
    error = expect_dss_error("(projectStandardsCheckPolicy PREVENT) refuses it", future.wait_for_result)
    assert "Bundle v1 of PS_DEPLOY fails 1 Project Standards check(s) of severity LOWEST or more: Scenarios have " \
           "triggers (MEDIUM)" in error
    assert dep.get_update().get_raw()["status"] == "FAILED"
    assert "PS_PS_PREVENT" not in automation.client().list_project_keys()  # refused before any call to the node

    _dep, future = update("ps-warn")
    report = future.wait_for_result()
    assert report["warning"] and not report["error"]
    assert [m["code"] for m in report["messages"]] == ["WARN_DEPLOYER_PROJECT_STANDARDS_CHECKS_FAILED"]
    assert "Scenarios have triggers (MEDIUM)" in report["messages"][0]["message"]

    for infra_id in ("ps-high", "ps-none"):  # below the minimum severity, or not checked: deployed, no message
        _dep, future = update(infra_id)
        assert future.wait_for_result()["messages"] == []
