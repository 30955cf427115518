"""dataiku_scenario_run against in-memory scenario objects and a fake clock: selection, outcomes, timeouts,
check mode, stop_on_failure and the JUnit report."""

# pylint: disable=redefined-outer-name,unused-import
import xml.etree.ElementTree as ET

from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_scenario_tests

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.scenario_fakes import (
    Script,
    fake_client,
    fake_time,
    run,
    step,
)


def test_prefix_selection_runs_matching_scenarios_sorted_and_sequentially(fake_client, capsys):
    fake_client.add("TEST_B")
    fake_client.add("OTHER")
    fake_client.add("TEST_A", name="Smoke A")
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    assert result["changed"] is True
    assert [r["scenario_id"] for r in result["results"]] == ["TEST_A", "TEST_B"]
    # sequential: TEST_B is only requested once TEST_A's run has a result
    posts = [i for i, call in enumerate(fake_client.calls) if call.startswith("POST")]
    last_a_poll = max(i for i, call in enumerate(fake_client.calls) if call == "GET run TEST_A")
    assert fake_client.calls[posts[0]] == "POST run TEST_A" and posts[1] > last_a_poll
    row = result["results"][0]
    assert row == {"scenario_id": "TEST_A", "name": "Smoke A", "outcome": "SUCCESS", "run_id": "run-TEST_A-0",
                   "duration_seconds": 1.5, "failure_message": None, "would_run": False, "timed_out": False,
                   "skipped": None, "steps": [{"name": "build", "type": "build_flowitem", "outcome": "SUCCESS",
                                               "message": None}]}
    assert result["summary"] == {"total": 2, "success": 2, "warning": 0, "failed": 0, "aborted": 0, "not_run": 0}
    assert result["failed_scenarios"] == [] and result["junit_xml"] is None
    assert "diff" not in result


def test_explicit_list_keeps_order_dedupes_and_passes_trigger_params(fake_client, capsys):
    for sid in ("A", "B", "C"):
        fake_client.add(sid)
    failed, result = run(capsys, project_key="P", scenarios=["C", "A", "C"], trigger_params={"env": "prod"})
    assert not failed, result
    assert [r["scenario_id"] for r in result["results"]] == ["C", "A"]
    assert fake_client.run_params == [{"env": "prod"}, {"env": "prod"}]


def test_one_failure_fails_the_task_after_running_all_with_the_first_failing_step_message(fake_client, capsys):
    fake_client.add("TEST_1")
    steps = [step("ok"), step("build scored", "FAILED", "Dataset raw is missing"), step("later", "FAILED", "second")]
    fake_client.add("TEST_2", Script("FAILED", steps))
    fake_client.add("TEST_3")
    failed, result = run(capsys, project_key="P")
    assert failed
    assert [r["outcome"] for r in result["results"]] == ["SUCCESS", "FAILED", "SUCCESS"]
    assert result["failed_scenarios"] == ["TEST_2"]
    assert result["changed"] is True
    assert result["results"][1]["failure_message"] == "Dataset raw is missing"
    assert result["msg"] == ("1 of 3 scenario(s) of project P on https://dss-auto.example.com did not pass: "
                             "TEST_2 FAILED: Dataset raw is missing.")
    assert "Traceback" not in result["msg"]


def test_message_falls_back_to_title_then_report_items(fake_client, capsys):
    fake_client.add("TEST_T", Script("FAILED", [step("s", "FAILED", title="Job failed")]))
    fake_client.add("TEST_R", Script("FAILED", [step("s", "FAILED", "in the job", in_report_item=True)]))
    failed, result = run(capsys, project_key="P")
    assert failed
    assert [r["failure_message"] for r in result["results"]] == ["in the job", "Job failed"]
    assert "TEST_R FAILED: in the job; TEST_T FAILED: Job failed" in result["msg"]


def test_warning_is_acceptable_by_default_and_fails_when_asked(fake_client, capsys):
    fake_client.add("TEST_W", Script("WARNING", [step("check", "WARNING", "3 rows failed the rule")]))
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    assert result["results"][0]["failure_message"] == "3 rows failed the rule"
    assert result["summary"]["warning"] == 1 and result["failed_scenarios"] == []
    failed, result = run(capsys, project_key="P", warning_is_failure=True)
    assert failed
    assert result["failed_scenarios"] == ["TEST_W"]
    assert "TEST_W WARNING: 3 rows failed the rule (warning_is_failure=true)" in result["msg"]


def test_stop_on_failure_skips_the_rest(fake_client, capsys):
    fake_client.add("TEST_1", Script("FAILED", [step("s", "FAILED", "boom")]))
    fake_client.add("TEST_2")
    failed, result = run(capsys, project_key="P", stop_on_failure=True)
    assert failed
    assert "POST run TEST_2" not in fake_client.calls
    assert result["results"][1]["skipped"] == "stop_on_failure: TEST_1 did not pass"
    assert result["results"][1]["outcome"] is None
    assert result["summary"]["not_run"] == 1
    assert "Not run (stop_on_failure): TEST_2." in result["msg"]


def test_unknown_scenario_fails_before_any_write_listing_existing_ids(fake_client, capsys):
    fake_client.add("TEST_A")
    fake_client.add("B")
    failed, result = run(capsys, project_key="P", scenarios=["TEST_A", "NOPE"])
    assert failed
    assert fake_client.writes() == []
    assert "Scenario(s) NOPE not found in project P" in result["msg"]
    assert "Existing scenario ids: B, TEST_A." in result["msg"]
    assert result["existing_scenarios"] == ["B", "TEST_A"]


def test_no_match_fails_by_default_or_is_ok_when_asked(fake_client, capsys):
    fake_client.add("SMOKE")
    failed, result = run(capsys, project_key="P")
    assert failed
    assert "No scenario of project P" in result["msg"] and "'TEST_'" in result["msg"] and "SMOKE" in result["msg"]
    failed, result = run(capsys, project_key="P", if_no_scenarios="ok")
    assert not failed
    assert result["changed"] is False and result["results"] == []
    assert fake_client.writes() == []


def test_only_marked_as_test_uses_list_flag_else_reads_settings(fake_client, capsys):
    fake_client.add("TEST_LISTED", markedAsTest=True)
    fake_client.add("TEST_NOT", markedAsTest=False)
    fake_client.add("TEST_UNKNOWN")  # no markedAsTest in the list item: read from the settings
    fake_client.add("TEST_UNKNOWN2")
    fake_client.settings_marked["TEST_UNKNOWN"] = True
    failed, result = run(capsys, project_key="P", only_marked_as_test=True, check_mode=True)
    assert not failed, result
    assert [r["scenario_id"] for r in result["results"]] == ["TEST_LISTED", "TEST_UNKNOWN"]
    assert "GET settings TEST_UNKNOWN" in fake_client.calls and "GET settings TEST_LISTED" not in fake_client.calls


def test_check_mode_predicts_without_running(fake_client, capsys):
    fake_client.add("TEST_A")
    fake_client.add("TEST_B", Script("FAILED"))
    failed, result = run(capsys, project_key="P", check_mode=True, diff=True, junit_xml="/nonexistent/dir/x.xml")
    assert not failed, result
    assert fake_client.writes() == [] and fake_client.runs == []
    assert result["changed"] is True
    assert [(r["scenario_id"], r["outcome"], r["would_run"]) for r in result["results"]] == [
        ("TEST_A", None, True), ("TEST_B", None, True)]
    assert result["summary"]["not_run"] == 2 and result["junit_xml"] is None
    assert "diff" not in result


def test_timeout_aborts_the_run_and_reports_aborted(fake_client, fake_time, capsys):
    fake_client.add("TEST_1_SLOW", Script(never_ends=True, steps=[step("wait", "SUCCESS")]))
    fake_client.add("TEST_2_FAST")
    failed, result = run(capsys, project_key="P", scenario_timeout=30, poll_interval=2)
    assert failed
    slow = result["results"][0]
    assert slow["outcome"] == "ABORTED" and slow["timed_out"] is True
    assert slow["failure_message"].startswith("Timed out after 30 s (scenario_timeout=30); the run was aborted.")
    assert "POST abort TEST_1_SLOW" in fake_client.calls
    assert result["results"][1]["outcome"] == "SUCCESS"
    # polling is bounded: first wait 0.2 s, never more than poll_interval, and no sleep past the deadline
    assert fake_time.sleeps[0] == 0.2 and max(fake_time.sleeps) <= 2
    assert "TEST_1_SLOW ABORTED: Timed out after 30 s" in result["msg"]


def test_total_timeout_stops_starting_scenarios(fake_client, fake_time, capsys):
    fake_client.add("TEST_1", Script(never_ends=True))
    fake_client.add("TEST_2")
    failed, result = run(capsys, project_key="P", total_timeout=10, scenario_timeout=100)
    assert failed
    assert [r["outcome"] for r in result["results"]] == ["ABORTED", "ABORTED"]
    assert "total_timeout=10" in result["results"][0]["failure_message"]
    assert result["results"][1]["failure_message"] == "Not started: total_timeout=10 reached."
    assert "POST run TEST_2" not in fake_client.calls
    assert fake_time.now - 1000.0 < 10 + 11  # deadline plus the bounded grace after the abort


def test_cancelled_trigger_is_aborted(fake_client, capsys):
    fake_client.add("TEST_C", Script(cancelled=True))
    failed, result = run(capsys, project_key="P")
    assert failed
    assert result["results"][0]["outcome"] == "ABORTED" and result["results"][0]["run_id"] is None
    assert "cancelled the run request" in result["results"][0]["failure_message"]


def test_junit_report_written_even_when_failing(fake_client, capsys, tmp_path):
    fake_client.add("TEST_1_OK", Script(steps=[step("w", "WARNING", "just a warning")], outcome="WARNING"))
    fake_client.add("TEST_2_KO", Script("FAILED", [step("build", "FAILED", "Dataset <raw> & co missing")]))
    fake_client.add("TEST_3_SKIP")
    path = tmp_path / "reports" / "sub" / "junit.xml"
    failed, result = run(capsys, project_key="P", junit_xml=str(path), stop_on_failure=True)
    assert failed
    assert result["junit_xml"] == str(path)
    root = ET.parse(str(path)).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite.get("name") == "P"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "1", "0", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(cases) == ["TEST_1_OK", "TEST_2_KO", "TEST_3_SKIP"]
    assert cases["TEST_2_KO"].get("classname") == "P" and cases["TEST_2_KO"].get("time") == "1.500"
    assert cases["TEST_2_KO"].find("failure").get("message") == "Dataset <raw> & co missing"
    assert cases["TEST_1_OK"].find("failure") is None
    assert "just a warning" in cases["TEST_1_OK"].find("system-out").text
    assert cases["TEST_3_SKIP"].find("skipped") is not None


def test_unwritable_junit_path_fails_before_any_request(fake_client, capsys, tmp_path):
    fake_client.add("TEST_KO", Script("FAILED", [step("build", "FAILED", "boom")]))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    failed, result = run(capsys, project_key="P", junit_xml=str(blocker / "sub" / "report.xml"))
    assert failed
    assert fake_client.calls == [] and not fake_client.runs
    assert result["msg"] == "junit_xml %s: %s is not a directory." % (blocker / "sub" / "report.xml", blocker)


def test_junit_write_error_fails_after_the_runs_with_both_messages(fake_client, capsys, tmp_path, monkeypatch):
    fake_client.add("TEST_KO", Script("FAILED", [step("build", "FAILED", "boom")]))

    def disk_full(path, report):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(dss_scenario_tests, "write_junit", disk_full)
    failed, result = run(capsys, project_key="P", junit_xml=str(tmp_path / "report.xml"))
    assert failed
    assert fake_client.runs and result["results"][0]["outcome"] == "FAILED"
    assert result["msg"].startswith("1 of 1 scenario(s) of project P")
    assert "The JUnit report could not be written to %s" % (tmp_path / "report.xml") in result["msg"]
    assert result["junit_xml"] is None


def test_invalid_input_fails_before_any_request(fake_client, capsys):
    failed, result = run(capsys, project_key="bad key", scenarios=["a/b"], scenario_timeout=0)
    assert failed
    assert fake_client.calls == []
    assert "not a valid DSS project key" in result["msg"]
    assert "scenarios[0] 'a/b'" in result["msg"]
    assert "scenario_timeout must be a positive" in result["msg"]


def test_scenarios_and_prefix_are_exclusive(fake_client, capsys):
    failed, result = run(capsys, project_key="P", scenarios=["A"], prefix="T")
    assert failed and "mutually exclusive" in result["msg"]
    assert fake_client.calls == []


def test_node_type_option_is_checked_first(fake_client, capsys):
    fake_client.add("TEST_A")
    failed, result = run(capsys, project_key="P", node_type="design")
    assert failed and "needs a DESIGN node" in result["msg"]
    assert fake_client.calls == ["GET instance-info"]


def test_missing_project_fails_clearly_in_a_real_run(fake_client, capsys):
    fake_client.project_keys = []
    failed, out = run(capsys, project_key="P")
    assert failed and "Project P does not exist on" in out["msg"]
    assert fake_client.writes() == []


def test_missing_project_in_check_mode_predicts_the_runs_of_a_first_deployment(fake_client, capsys):
    fake_client.project_keys = []
    failed, out = run(capsys, check_mode=True, project_key="P")
    assert not failed and out["changed"] is True and out["results"] == []
    assert "does not exist yet" in out["msg"] and fake_client.writes() == []
