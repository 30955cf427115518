"""dataiku_scenario_run against an emulated node in-process, sharing a fake clock with the module: selection,
outcomes, timeouts, check mode, stop_on_failure and the JUnit report."""

# pylint: disable=redefined-outer-name,unused-import
import xml.etree.ElementTree as ET

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario import junit as dss_junit
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.scenario_nodes import (
    URL, clock, declared, dss, endless, missing, ok, run)

RAW_MISSING = "Dataset P.raw does not exist"


def test_prefix_selection_runs_matching_scenarios_sorted_and_sequentially(dss, capsys):
    dss.add("TEST_B")
    dss.add("OTHER")
    dss.add("TEST_A", name="Smoke A")
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    assert result["changed"] is True
    assert [r["scenario_id"] for r in result["results"]] == ["TEST_A", "TEST_B"]
    # sequential: TEST_B is only requested once TEST_A's run has a result
    calls = dss.calls()
    posts = [i for i, call in enumerate(calls) if call.startswith("POST")]
    run_a = dss.run_ids("TEST_A")[0]
    last_a_poll = max(i for i, call in enumerate(calls) if run_a in call)
    assert calls[posts[0]] == "POST /projects/P/scenarios/TEST_A/run" and posts[1] > last_a_poll
    row = result["results"][0]
    assert row == {"scenario_id": "TEST_A", "name": "Smoke A", "outcome": "SUCCESS", "run_id": run_a,
                   "duration_seconds": row["duration_seconds"], "failure_message": None, "would_run": False,
                   "timed_out": False, "skipped": None,
                   "steps": [{"name": "build", "type": "build_flowitem", "outcome": "SUCCESS", "message": None}]}
    assert 0 < row["duration_seconds"] < 60
    assert result["summary"] == {"total": 2, "success": 2, "warning": 0, "failed": 0, "aborted": 0, "not_run": 0}
    assert result["failed_scenarios"] == [] and result["junit_xml"] is None
    assert "diff" not in result


def test_explicit_list_keeps_order_dedupes_and_passes_trigger_params(dss, capsys):
    for sid in ("A", "B", "C"):
        dss.add(sid)
    failed, result = run(dss, capsys, project_key="P", scenarios=["C", "A", "C"], trigger_params={"env": "prod"})
    assert not failed, result
    assert [r["scenario_id"] for r in result["results"]] == ["C", "A"]
    assert [(r.path, r.json()) for r in dss.node.received() if r.method == "POST"] == [
        ("/projects/P/scenarios/C/run", {"env": "prod"}), ("/projects/P/scenarios/A/run", {"env": "prod"})]


def test_one_failure_fails_the_task_after_running_all_with_the_first_failing_step_message(dss, capsys):
    dss.add("TEST_1")
    dss.add("TEST_2", ok("ok"), missing("raw", "build scored"), missing("other", "later"))
    dss.add("TEST_3")
    failed, result = run(dss, capsys, project_key="P")
    assert failed
    assert [r["outcome"] for r in result["results"]] == ["SUCCESS", "FAILED", "SUCCESS"]
    assert result["failed_scenarios"] == ["TEST_2"]
    assert result["changed"] is True
    assert result["results"][1]["failure_message"] == RAW_MISSING
    assert result["msg"] == ("1 of 3 scenario(s) of project P on https://dss-auto.example.com did not pass: "
                             "TEST_2 FAILED: %s." % RAW_MISSING)
    assert "Traceback" not in result["msg"]


def _thrown_only_in(where):
    """A run's details as a DSS that reports a step failure only by its title, or only in the step's job report
    item (the emulator always fills in the message): rewrites the node's answer."""
    def change(details):
        for step_run in details.get("stepRuns") or []:
            thrown = step_run["result"].get("thrown")
            if not thrown:
                continue
            if where == "title":
                thrown.pop("message", None)
                thrown["title"] = "Job failed"
                step_run["additionalReportItems"] = []
            else:
                step_run["result"].pop("thrown")
                step_run["additionalReportItems"][0]["thrown"]["message"] = "in the job"
        return details
    return change


def test_message_falls_back_to_title_then_report_items(dss, capsys):
    dss.add("TEST_T", missing("raw", "s"))
    dss.add("TEST_R", missing("raw", "s"))
    for scenario_id, where in (("TEST_T", "title"), ("TEST_R", "report item")):
        dss.details_answer(scenario_id, _thrown_only_in(where))
    failed, result = run(dss, capsys, project_key="P")
    assert failed
    assert [r["failure_message"] for r in result["results"]] == ["in the job", "Job failed"]
    assert "TEST_R FAILED: in the job; TEST_T FAILED: Job failed" in result["msg"]


def warning_says(message):
    """A check step's warning as DSS reports it, with its message (the emulator's declared WARNING has none)."""
    def change(details):
        for step_run in details.get("stepRuns") or []:
            if step_run["result"].get("outcome") == "WARNING":
                step_run["result"]["thrown"] = {"clazz": "com.dataiku.dip.scenario.StepWarning", "message": message}
        return details
    return change


def test_warning_is_acceptable_by_default_and_fails_when_asked(dss, capsys):
    dss.add("TEST_W", declared("WARNING"))
    dss.details_answer("TEST_W", warning_says("3 rows failed the rule"))
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    assert result["results"][0]["failure_message"] == "3 rows failed the rule"
    assert result["summary"]["warning"] == 1 and result["failed_scenarios"] == []
    failed, result = run(dss, capsys, project_key="P", warning_is_failure=True)
    assert failed
    assert result["failed_scenarios"] == ["TEST_W"]
    assert "TEST_W WARNING: 3 rows failed the rule (warning_is_failure=true)" in result["msg"]


def test_stop_on_failure_skips_the_rest(dss, capsys):
    dss.add("TEST_1", missing("raw", "s"))
    dss.add("TEST_2")
    failed, result = run(dss, capsys, project_key="P", stop_on_failure=True)
    assert failed
    assert "POST /projects/P/scenarios/TEST_2/run" not in dss.calls() and dss.run_ids("TEST_2") == []
    assert result["results"][1]["skipped"] == "stop_on_failure: TEST_1 did not pass"
    assert result["results"][1]["outcome"] is None
    assert result["summary"]["not_run"] == 1
    assert "Not run (stop_on_failure): TEST_2." in result["msg"]


def test_unknown_scenario_fails_before_any_write_listing_existing_ids(dss, capsys):
    dss.add("TEST_A")
    dss.add("B")
    failed, result = run(dss, capsys, project_key="P", scenarios=["TEST_A", "NOPE"])
    assert failed
    assert dss.writes() == []
    assert "Scenario(s) NOPE not found in project P" in result["msg"]
    assert "Existing scenario ids: B, TEST_A." in result["msg"]
    assert result["existing_scenarios"] == ["B", "TEST_A"]


def test_no_match_fails_by_default_or_is_ok_when_asked(dss, capsys):
    dss.add("SMOKE")
    failed, result = run(dss, capsys, project_key="P")
    assert failed
    assert "No scenario of project P" in result["msg"] and "'TEST_'" in result["msg"] and "SMOKE" in result["msg"]
    failed, result = run(dss, capsys, project_key="P", if_no_scenarios="ok")
    assert not failed
    assert result["changed"] is False and result["results"] == []
    assert dss.writes() == []


def test_only_marked_as_test_uses_list_flag_else_reads_settings(dss, capsys):
    dss.add("TEST_LISTED", markedAsTest=True)
    dss.add("TEST_NOT", markedAsTest=False)
    dss.add("TEST_UNKNOWN", markedAsTest=True)
    dss.add("TEST_UNKNOWN2")

    def without_flag(items):  # a DSS whose list leaves markedAsTest out for these two
        for item in items:
            if item["id"].startswith("TEST_UNKNOWN"):
                item.pop("markedAsTest", None)
        return items

    dss.node.faults.rewrite_answer("GET", r"^/projects/P/scenarios$", without_flag)
    failed, result = run(dss, capsys, project_key="P", only_marked_as_test=True, check_mode=True)
    assert not failed, result
    assert [r["scenario_id"] for r in result["results"]] == ["TEST_LISTED", "TEST_UNKNOWN"]
    assert "GET /projects/P/scenarios/TEST_UNKNOWN" in dss.calls()
    assert "GET /projects/P/scenarios/TEST_LISTED" not in dss.calls()


def test_check_mode_predicts_without_running(dss, capsys):
    dss.add("TEST_A")
    dss.add("TEST_B", missing("raw"))
    digest = dss.node.digest()
    failed, result = run(dss, capsys, project_key="P", check_mode=True, diff=True, junit_xml="/nonexistent/dir/x.xml")
    assert not failed, result
    assert dss.writes() == [] and dss.run_ids("TEST_A") == dss.run_ids("TEST_B") == []
    assert dss.node.digest() == digest
    assert result["changed"] is True
    assert [(r["scenario_id"], r["outcome"], r["would_run"]) for r in result["results"]] == [
        ("TEST_A", None, True), ("TEST_B", None, True)]
    assert result["summary"]["not_run"] == 2 and result["junit_xml"] is None
    assert "diff" not in result


def test_timeout_aborts_the_run_and_reports_aborted(dss, capsys):
    dss.add("TEST_1_SLOW", endless())
    dss.add("TEST_2_FAST")
    failed, result = run(dss, capsys, project_key="P", scenario_timeout=30, poll_interval=2)
    assert failed
    slow = result["results"][0]
    assert slow["outcome"] == "ABORTED" and slow["timed_out"] is True
    assert slow["failure_message"].startswith("Timed out after 30 s (scenario_timeout=30); the run was aborted.")
    assert "POST /projects/P/scenarios/TEST_1_SLOW/abort" in dss.calls()
    assert result["results"][1]["outcome"] == "SUCCESS"
    # polling is bounded: first wait 0.2 s, never more than poll_interval, and no sleep past the deadline
    assert dss.clock.sleeps[0] == 0.2 and max(dss.clock.sleeps) <= 2
    assert "TEST_1_SLOW ABORTED: Timed out after 30 s" in result["msg"]


def test_total_timeout_stops_starting_scenarios(dss, capsys):
    dss.add("TEST_1", endless())
    dss.add("TEST_2")
    failed, result = run(dss, capsys, project_key="P", total_timeout=10, scenario_timeout=100)
    assert failed
    assert [r["outcome"] for r in result["results"]] == ["ABORTED", "ABORTED"]
    assert "total_timeout=10" in result["results"][0]["failure_message"]
    assert result["results"][1]["failure_message"] == "Not started: total_timeout=10 reached."
    assert "POST /projects/P/scenarios/TEST_2/run" not in dss.calls()
    assert dss.clock.now - 1000.0 < 10 + 11  # deadline plus the bounded grace after the abort


def test_cancelled_trigger_is_aborted(dss, capsys):
    dss.add("TEST_C", endless())
    dss.start_run("TEST_C")  # someone else's run that does not end: waited for up to the deadline, then DSS cancels
    try:
        failed, result = run(dss, capsys, project_key="P", scenario_timeout=30)
    finally:
        dss.project.get_scenario("TEST_C").abort()
    assert failed
    assert result["results"][0]["outcome"] == "ABORTED" and result["results"][0]["run_id"] is None
    assert "cancelled the run request" in result["results"][0]["failure_message"]
    assert dss.clock.now - 1000.0 >= 30  # the start was sent only at the deadline
    assert dss.calls().count("POST /projects/P/scenarios/TEST_C/run") == 2  # the other run's start, ours once


def test_junit_report_written_even_when_failing(dss, capsys, tmp_path):
    dss.add("TEST_1_OK", declared("WARNING", "w"))
    dss.details_answer("TEST_1_OK", warning_says("just a warning"))
    dss.add("TEST_2_KO", missing("raw <x> & co", "build"))
    dss.add("TEST_3_SKIP")
    path = tmp_path / "reports" / "sub" / "junit.xml"
    failed, result = run(dss, capsys, project_key="P", junit_xml=str(path), stop_on_failure=True)
    assert failed
    assert result["junit_xml"] == str(path)
    root = ET.parse(str(path)).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite.get("name") == "P"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "1", "0", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(cases) == ["TEST_1_OK", "TEST_2_KO", "TEST_3_SKIP"]
    ko = result["results"][1]
    assert cases["TEST_2_KO"].get("classname") == "P" and cases["TEST_2_KO"].get("time") == "%.3f" % ko["duration_seconds"]
    assert cases["TEST_2_KO"].find("failure").get("message") == "Dataset P.raw <x> & co does not exist"
    assert cases["TEST_1_OK"].find("failure") is None
    assert "just a warning" in cases["TEST_1_OK"].find("system-out").text
    assert cases["TEST_3_SKIP"].find("skipped") is not None


def test_unwritable_junit_path_fails_before_any_request(dss, capsys, tmp_path):
    dss.add("TEST_KO", missing("raw"))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    failed, result = run(dss, capsys, project_key="P", junit_xml=str(blocker / "sub" / "report.xml"))
    assert failed
    assert dss.calls() == [] and dss.run_ids("TEST_KO") == []
    assert result["msg"] == "junit_xml %s: %s is not a directory." % (blocker / "sub" / "report.xml", blocker)


def test_junit_write_error_fails_after_the_runs_with_both_messages(dss, capsys, tmp_path, monkeypatch):
    dss.add("TEST_KO", missing("raw"))

    def disk_full(path, report):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(dss_junit, "write_junit", disk_full)
    failed, result = run(dss, capsys, project_key="P", junit_xml=str(tmp_path / "report.xml"))
    assert failed
    assert dss.run_ids("TEST_KO") and result["results"][0]["outcome"] == "FAILED"
    assert result["msg"].startswith("1 of 1 scenario(s) of project P")
    assert "The JUnit report could not be written to %s" % (tmp_path / "report.xml") in result["msg"]
    assert result["junit_xml"] is None


def test_invalid_input_fails_before_any_request(dss, capsys):
    failed, result = run(dss, capsys, project_key="bad key", scenarios=["a/b"], scenario_timeout=0)
    assert failed
    assert dss.calls() == []
    assert "not a valid DSS project key" in result["msg"]
    assert "scenarios[0] 'a/b'" in result["msg"]
    assert "scenario_timeout must be a positive" in result["msg"]


def test_scenarios_and_prefix_are_exclusive(dss, capsys):
    failed, result = run(dss, capsys, project_key="P", scenarios=["A"], prefix="T")
    assert failed and "mutually exclusive" in result["msg"]
    assert dss.calls() == []


def test_node_type_option_is_checked_first(dss, capsys):
    dss.add("TEST_A")
    failed, result = run(dss, capsys, project_key="P", node_type="design")
    assert failed and "needs a DESIGN node" in result["msg"]
    assert dss.calls() == ["GET /instance-info"]


def test_missing_project_fails_clearly_in_a_real_run(dss, capsys):
    dss.project.delete()
    dss.node.forget_calls()
    failed, out = run(dss, capsys, project_key="P")
    assert failed and "Project P does not exist on" in out["msg"]
    assert dss.writes() == []


def test_missing_project_in_check_mode_predicts_the_runs_of_a_first_deployment(dss, capsys):
    dss.project.delete()
    dss.node.forget_calls()
    failed, out = run(dss, capsys, check_mode=True, project_key="P")
    assert not failed and out["changed"] is True and out["results"] == []
    assert "does not exist yet" in out["msg"] and dss.writes() == []
