"""Per-bundle testing status and the last test-scenario runs report, through the official client, plus the
latency profile. Each scenario run counts for the bundle active when it ran (docs/emulator.md)."""

import time
import xml.etree.ElementTree as ET

import pytest
from dataikuapi.utils import DataikuException

from tests.support import sample_project as sample
from tests.support.emulator import EmulatorNode


def _deploy(design_project, automation_client, bundle_id, tmp_path):
    path = tmp_path / ("%s.zip" % bundle_id)
    design_project.export_bundle(bundle_id)
    design_project.download_exported_bundle_archive_to_file(bundle_id, str(path))
    project = automation_client.get_project(sample.PROJECT_KEY)
    with open(path, "rb") as archive:
        if sample.PROJECT_KEY in automation_client.list_project_keys():
            project.import_bundle_from_stream(archive)
        else:
            automation_client.create_project_from_bundle_archive(archive)
    project.activate_bundle(bundle_id)
    return project


def _run(project, scenario_id):
    try:
        project.get_scenario(scenario_id).run_and_wait()
    except DataikuException:
        pass  # a failing run raises; its outcome is read from the status


@pytest.fixture
def landscape(tmp_path):
    with EmulatorNode("design") as design, EmulatorNode("automation") as automation:
        design_client, auto_client = design.client(), automation.client()
        source = sample.seed_design_project(design_client)
        auto_client.create_connection("pg_dev", "PostgreSQL", params=sample.connection_params("dev"))
        yield source, auto_client, tmp_path


def test_status_and_report_belong_to_the_bundle_active_when_the_runs_ran(landscape):
    source, auto_client, tmp_path = landscape
    project = _deploy(source, auto_client, "b1", tmp_path)
    assert project.get_testing_status("b1").get_raw() == {"nbTotalRanScenarios": 0, "nbScenariosPerOutcome": {}}
    _run(project, sample.SMOKE_SCENARIO)
    ok = project.get_testing_status("b1")
    assert ok.nb_total_ran_scenarios == 1 and ok.nb_scenarios_per_outcome == {"SUCCESS": 1}

    sample.break_flow(source.client)
    _deploy(source, auto_client, "b2", tmp_path)
    assert project.get_testing_status().get_raw()["nbTotalRanScenarios"] == 0  # no bundleId: the active one, b2
    _run(project, sample.SMOKE_SCENARIO)
    assert project.get_testing_status("b2").nb_scenarios_per_outcome == {"FAILED": 1}
    assert project.get_testing_status().nb_scenarios_per_outcome == {"FAILED": 1}
    assert project.get_testing_status("b1").nb_scenarios_per_outcome == {"SUCCESS": 1}  # b1's record is kept
    assert project.get_testing_status("never-imported").get_raw()["nbTotalRanScenarios"] == 0

    report = ET.fromstring(project.get_last_test_scenario_runs_report("b2").content)
    case = report.find("testsuite/testcase")
    assert case.get("name") == sample.SMOKE_SCENARIO and case.find("failure") is not None
    passed = ET.fromstring(project.get_last_test_scenario_runs_report("b1").content)
    assert passed.find("testsuite").get("failures") == "0" and passed.find("testsuite/testcase/failure") is None


def test_only_test_scenarios_count_and_only_their_latest_run(landscape):
    source, auto_client, tmp_path = landscape
    project = _deploy(source, auto_client, "b1", tmp_path)
    steps = {"steps": [{"id": "s", "type": "custom_python", "name": "ok", "params": {"script": "pass"}}]}
    project.create_scenario("NIGHTLY", "step_based", definition={"id": "NIGHTLY", "params": steps})
    project.create_scenario("CHECK", "step_based", definition={"id": "CHECK", "markedAsTest": True, "params": steps})
    for scenario_id in ("NIGHTLY", "CHECK", "CHECK", sample.SMOKE_SCENARIO):
        _run(project, scenario_id)
    status = project.get_testing_status("b1")
    assert status.nb_total_ran_scenarios == 2 and status.nb_scenarios_per_outcome == {"SUCCESS": 2}


def test_unknown_project_is_not_found(landscape):
    _source, auto_client, _tmp = landscape
    with pytest.raises(DataikuException, match="NotFound"):
        auto_client.get_project("NOPE").get_testing_status("b1")


def test_latency_scale_delays_the_slow_operations_only():
    with EmulatorNode("design", latency_scale=0.02) as design:
        client = design.client()
        project = client.create_project("SLOW", "slow", "admin")
        started = time.time()
        project.export_bundle("b1")  # typical export: 20 s, times 0.02
        assert time.time() - started >= 0.4
        assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["b1"]
