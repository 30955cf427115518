"""dataiku_scenario_run through real ansible-playbook against emulator nodes.

Setup with the official client, project QA: two flows, a_raw -> a_clean (sound) and b_src -> b_out whose input
b_src is deleted afterwards (broken flow); c_remote on a connection whose host ends in `.invalid` (unreachable).
Scenarios build those datasets or run Python, which gives each outcome the emulator derives from the project
(docs/emulator-scenarios.md): SUCCESS, FAILED (broken flow, unreachable connection, `raise`), WARNING (the step
param `emulatorOutcome`).
"""

# pylint: disable=redefined-outer-name

import xml.etree.ElementTree as ET

import pytest

from tests.support.real_node import require_emulator

KEY = "QA"
RUN = "dataiku_gitops.dss.dataiku_scenario_run"


def _build(dataset, **extra):
    params = {"builds": [{"type": "DATASET", "itemId": dataset}], "jobType": "RECURSIVE_BUILD"}
    params.update(extra)
    return {"type": "build_flowitem", "name": "Build %s" % dataset, "params": params}


def _scenario(project, scenario_id, steps=None, script=None, marked=False):
    if script is not None:
        scenario = project.create_scenario(scenario_id.title(), "custom_python", {"id": scenario_id, "markedAsTest": marked})
        settings = scenario.get_settings()
        settings.code = script
        settings.save()
        return scenario
    return project.create_scenario(scenario_id.title(), "step_based",
                                   {"id": scenario_id, "markedAsTest": marked, "params": {"steps": steps}})


def _qa_project(node):
    client = node.client()
    client.create_connection("pg_gone", "PostgreSQL", params={"host": "db.example.invalid"})
    project = client.create_project(KEY, "QA", "admin")
    for name in ("a_raw", "a_clean", "b_src", "b_out"):
        project.create_dataset(name, "Filesystem", params={"connection": "filesystem_managed", "path": name})
    project.create_dataset("c_remote", "PostgreSQL", params={"connection": "pg_gone", "table": "t"})
    project.new_recipe("sync", "compute_a_clean").with_input("a_raw").with_existing_output("a_clean").create()
    project.new_recipe("sync", "compute_b_out").with_input("b_src").with_existing_output("b_out").create()
    project.get_dataset("b_src").delete()
    return project


@pytest.fixture
def qa(automation_node):
    require_emulator(automation_node)  # outcomes come from the emulator's rules
    project = _qa_project(automation_node)
    _scenario(project, "TEST_1_OK", [_build("a_clean")], marked=True)
    _scenario(project, "TEST_2_BROKEN", [_build("b_out")])
    _scenario(project, "TEST_3_UNREACHABLE", [_build("c_remote")])
    _scenario(project, "TEST_4_RAISE", script="import dataiku\nraise ValueError('row count is 0')\n")
    _scenario(project, "TEST_5_PYTHON_OK", script="print('fine')\n", marked=True)
    _scenario(project, "SMOKE_WARN", [_build("a_clean", emulatorOutcome="WARNING")])
    return automation_node


def _args(node, **options):
    # The key as a variable: on a failed task ansible-core 2.19 prints the task's source lines.
    return dict(url=node.url, api_key="{{ dss_api_key }}", project_key=KEY, **options)


def _run(playbook, node, tasks, **kwargs):
    result = playbook(tasks=tasks, extra_vars={"dss_api_key": node.api_key}, **kwargs)
    assert node.api_key not in result.output
    return result


def _runs(node, scenario_id):
    return node.client().get_project(KEY).get_scenario(scenario_id).get_last_runs()


def test_failures_fail_the_task_after_all_ran_with_messages_and_junit(qa, playbook, tmp_path):
    report = tmp_path / "reports" / "qa.xml"
    result = _run(playbook, qa, [
        {"name": "tests", "ignore_errors": True, RUN: _args(qa, junit_xml=str(report), poll_interval=0.5)},
        {"name": "stop early", "ignore_errors": True, RUN: _args(qa, stop_on_failure=True)},
    ])
    task = result.task("tests")
    assert task["status"] == "ignored" and task["changed"] is True, task
    res = task["result"]
    assert [(r["scenario_id"], r["outcome"]) for r in res["results"]] == [
        ("TEST_1_OK", "SUCCESS"), ("TEST_2_BROKEN", "FAILED"), ("TEST_3_UNREACHABLE", "FAILED"),
        ("TEST_4_RAISE", "FAILED"), ("TEST_5_PYTHON_OK", "SUCCESS")], res["results"]
    assert res["failed_scenarios"] == ["TEST_2_BROKEN", "TEST_3_UNREACHABLE", "TEST_4_RAISE"]
    assert res["summary"] == {"total": 5, "success": 2, "warning": 0, "failed": 3, "aborted": 0, "not_run": 0}
    rows = {r["scenario_id"]: r for r in res["results"]}
    broken = rows["TEST_2_BROKEN"]
    assert broken["failure_message"] == "Broken flow: recipe QA.compute_b_out reads dataset QA.b_src, which does not exist"
    assert broken["steps"] == [{"name": "Build b_out", "type": "build_flowitem", "outcome": "FAILED",
                                "message": broken["failure_message"]}]
    assert broken["run_id"] and broken["duration_seconds"] >= 0
    assert "db.example.invalid" in rows["TEST_3_UNREACHABLE"]["failure_message"]
    assert "row count is 0" in rows["TEST_4_RAISE"]["failure_message"]
    msg = res["msg"]
    assert msg.startswith("3 of 5 scenario(s) of project QA on %s did not pass: " % qa.url)
    assert "TEST_2_BROKEN FAILED: Broken flow: recipe QA.compute_b_out" in msg
    assert "; TEST_3_UNREACHABLE FAILED: " in msg and "; TEST_4_RAISE FAILED: " in msg
    assert "Traceback" not in result.output and "SMOKE_WARN" not in msg
    assert _runs(qa, "SMOKE_WARN") == []  # not selected by the default TEST_ prefix
    assert len(_runs(qa, "TEST_5_PYTHON_OK")) == 1  # ran after the failures (then skipped by "stop early")

    assert res["junit_xml"] == str(report)
    root = ET.parse(str(report)).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == KEY and (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "0")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [r["scenario_id"] for r in res["results"]]
    assert cases["TEST_1_OK"].find("failure") is None and float(cases["TEST_1_OK"].get("time")) >= 0
    assert cases["TEST_2_BROKEN"].find("failure").get("message") == broken["failure_message"]
    assert cases["TEST_2_BROKEN"].find("failure").get("type") == "FAILED"

    early = result.task("stop early")["result"]
    assert [r["outcome"] for r in early["results"]] == ["SUCCESS", "FAILED", None, None, None]
    assert early["summary"]["not_run"] == 3
    assert "Not run (stop_on_failure): TEST_3_UNREACHABLE, TEST_4_RAISE, TEST_5_PYTHON_OK." in early["msg"]
    assert len(_runs(qa, "TEST_3_UNREACHABLE")) == 1


def test_warning_is_acceptable_unless_warning_is_failure(qa, playbook):
    result = _run(playbook, qa, [
        {"name": "lenient", RUN: _args(qa, scenarios=["SMOKE_WARN"])},
        {"name": "strict", "ignore_errors": True, RUN: _args(qa, scenarios=["SMOKE_WARN"], warning_is_failure=True)},
    ])
    lenient = result.task("lenient")
    assert lenient["status"] == "changed"
    assert lenient["result"]["results"][0]["outcome"] == "WARNING"
    assert lenient["result"]["summary"]["warning"] == 1 and lenient["result"]["failed_scenarios"] == []
    strict = result.task("strict")
    assert strict["status"] == "ignored"
    assert strict["result"]["failed_scenarios"] == ["SMOKE_WARN"]
    assert "SMOKE_WARN WARNING: " in strict["result"]["msg"] and "(warning_is_failure=true)" in strict["result"]["msg"]


def test_selection_by_list_prefix_and_test_flag_on_a_design_node(design_node, playbook):
    project = _qa_project(design_node)
    _scenario(project, "SMOKE_B", [_build("a_clean")])
    _scenario(project, "SMOKE_A", [_build("a_clean")], marked=True)
    _scenario(project, "TEST_X", script="print(1)\n")
    # module_defaults with a variable, as a deploy play would set it once for every task
    play = [{"name": "select", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/dataiku_gitops.dss.dss": {"url": design_node.url, "api_key": "{{ dss_api_key }}"}},
             "tasks": [
                 {"name": "list", RUN: {"project_key": KEY, "scenarios": ["TEST_X", "SMOKE_B"]}},
                 {"name": "prefix", RUN: {"project_key": KEY, "prefix": "SMOKE_"}},
                 {"name": "marked", RUN: {"project_key": KEY, "prefix": "SMOKE_", "only_marked_as_test": True}},
                 {"name": "none", RUN: {"project_key": KEY, "prefix": "NOPE_", "if_no_scenarios": "ok"}},
             ]}]
    result = playbook(playbook=play, extra_vars={"dss_api_key": design_node.api_key})
    assert result.rc == 0, result
    assert design_node.api_key not in result.output
    ids = {name: [r["scenario_id"] for r in result.task(name)["result"]["results"]] for name in ("list", "prefix", "marked")}
    assert ids == {"list": ["TEST_X", "SMOKE_B"], "prefix": ["SMOKE_A", "SMOKE_B"], "marked": ["SMOKE_A"]}
    assert all(r["outcome"] == "SUCCESS" for r in result.task("list")["result"]["results"])
    none = result.task("none")
    assert none["status"] == "ok" and none["result"]["results"] == []


def test_unknown_scenario_fails_listing_existing_ids_without_writing(qa, playbook):
    before = qa.stats()
    result = _run(playbook, qa, [
        {"name": "unknown", "ignore_errors": True, RUN: _args(qa, scenarios=["TEST_1_OK", "TEST_NOPE"])},
        {"name": "no match", "ignore_errors": True, RUN: _args(qa, prefix="NIGHTLY_")},
    ])
    msg = result.task("unknown")["result"]["msg"]
    assert result.task("unknown")["status"] == "ignored"
    assert msg.startswith("Scenario(s) TEST_NOPE not found in project QA on %s; nothing was run." % qa.url)
    assert "Existing scenario ids: SMOKE_WARN, TEST_1_OK, TEST_2_BROKEN, TEST_3_UNREACHABLE, TEST_4_RAISE, " \
           "TEST_5_PYTHON_OK." in msg
    assert "NIGHTLY_" in result.task("no match")["result"]["msg"]
    after = qa.stats()
    assert qa.writes(after) == qa.writes(before)
    assert after["state_digest"] == before["state_digest"]


def test_check_mode_runs_nothing(qa, playbook, tmp_path):
    before = qa.stats()
    report = tmp_path / "never.xml"
    result = _run(playbook, qa, [{"name": "predict", RUN: _args(qa, junit_xml=str(report))}], check=True, diff=True)
    assert result.rc == 0, result
    task = result.task("predict")
    assert task["status"] == "changed"
    rows = task["result"]["results"]
    assert [r["scenario_id"] for r in rows] == ["TEST_1_OK", "TEST_2_BROKEN", "TEST_3_UNREACHABLE", "TEST_4_RAISE",
                                                "TEST_5_PYTHON_OK"]
    assert all(r["would_run"] is True and r["outcome"] is None and r["run_id"] is None for r in rows)
    assert "diff" not in task["result"]
    after = qa.stats()
    assert qa.writes(after) == qa.writes(before)
    assert after["state_digest"] == before["state_digest"]
    assert not report.exists()
    assert _runs(qa, "TEST_1_OK") == []
