"""dataiku_scenario_run when the answer to a start (POST .../run) is lost: the runs are re-read, a run created by
our start is followed (never started twice), a run that existed before our start is never taken for ours, and a
start that never reached DSS is sent again. Against an emulated node in-process, with faults injected in transit."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario import runner as dss_scenario_runner
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.scenario_nodes import (
    clock, dss, missing, ok, run)


def test_lost_answer_to_a_start_follows_the_run_it_created(dss, capsys):
    dss.add("TEST_SMOKE")
    dss.lose_start_answer("TEST_SMOKE")
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    assert len(dss.posts("TEST_SMOKE")) == 1  # not started twice
    assert len(dss.run_ids("TEST_SMOKE")) == 1
    row = result["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] == dss.run_ids("TEST_SMOKE")[0]


def test_start_that_never_arrived_is_sent_again_after_the_grace(dss, capsys):
    dss.add("TEST_SMOKE")
    dss.reset_start("TEST_SMOKE")
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    assert len(dss.posts("TEST_SMOKE")) == 2 and len(dss.run_ids("TEST_SMOKE")) == 1
    assert result["results"][0]["run_id"] == dss.run_ids("TEST_SMOKE")[0]
    # the re-read looked for a new run for START_GRACE seconds before starting again
    assert sum(dss.clock.sleeps) >= dss_scenario_runner.START_GRACE


def test_a_run_started_before_ours_is_never_taken_for_ours(dss, capsys):
    dss.add("TEST_SMOKE", missing("raw"))
    earlier = dss.start_run("TEST_SMOKE")  # someone else's run, FAILED
    dss.set_steps("TEST_SMOKE", ok())
    dss.reset_start("TEST_SMOKE")
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    row = result["results"][0]
    assert row["run_id"] != earlier and row["outcome"] == "SUCCESS"
    assert dss.polled(earlier) == []  # never followed
    assert len(dss.posts("TEST_SMOKE")) == 2


def test_a_run_left_in_progress_is_waited_for_and_ours_is_not_cancelled(dss, capsys):
    # A deployment killed during its tests leaves its run going; DSS cancels a start made while it runs.
    dss.add("TEST_SMOKE")
    earlier = dss.start_run("TEST_SMOKE")
    assert dss.project.get_scenario("TEST_SMOKE").get_current_run() is not None
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    row = result["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] != earlier, row
    assert len(dss.posts("TEST_SMOKE")) == 1  # sent once, after the other run ended: never cancelled


def test_a_run_with_other_trigger_params_is_not_ours(dss, monkeypatch, capsys):
    dss.add("TEST_SMOKE")
    dss.reset_start("TEST_SMOKE")
    other = []
    start = dss_scenario_runner.RunStart.__init__

    def start_then_someone_else_starts(self, runner, scenario):
        start(self, runner, scenario)
        other.append(dss.start_run("TEST_SMOKE", {"env": "dev"}))  # appears after our start, other parameters
    monkeypatch.setattr(dss_scenario_runner.RunStart, "__init__", start_then_someone_else_starts)
    failed, result = run(dss, capsys, project_key="P", trigger_params={"env": "prod"})
    assert not failed, result
    assert result["results"][0]["run_id"] != other[0] and dss.polled(other[0]) == []
    assert len([r for r in dss.posts("TEST_SMOKE") if r.json() == {"env": "prod"}]) == 2


def test_a_run_that_appears_late_is_followed_when_the_second_start_is_cancelled(dss, capsys):
    dss.add("TEST_SMOKE")
    dss.delay_start("TEST_SMOKE")
    failed, result = run(dss, capsys, project_key="P")
    assert not failed, result
    assert len(dss.posts("TEST_SMOKE")) == 2 and len(dss.run_ids("TEST_SMOKE")) == 1
    row = result["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] == dss.run_ids("TEST_SMOKE")[0]


def test_every_start_lost_in_transit_fails_with_one_line(dss, capsys):
    dss.add("TEST_SMOKE")
    dss.reset_start("TEST_SMOKE", times=4)
    failed, result = run(dss, capsys, project_key="P", retries=1)
    assert failed
    assert len(dss.posts("TEST_SMOKE")) == 2 and not dss.run_ids("TEST_SMOKE")
    assert result["msg"].startswith("Could not connect to DSS at https://dss-auto.example.com to start scenario "
                                    "TEST_SMOKE of project P"), result["msg"]


def test_a_scenario_that_ran_before_is_first_polled_after_most_of_its_last_duration(dss, capsys):
    dss.add("TEST_SMOKE")
    earlier = dss.start_run("TEST_SMOKE")
    dss.clock.sleep(1.0)  # it ends
    assert dss.project.get_scenario("TEST_SMOKE").get_current_run() is None
    dss.clock.sleeps.clear()

    def took_four_seconds(runs):  # the earlier run, as DSS lists it before our start: 4 s from start to end
        for raw in runs:
            if raw["runId"] == earlier:
                raw["end"] = raw["start"] + 4000
        return runs

    dss.node.faults.rewrite_answer("GET", r"/scenarios/TEST_SMOKE/get-last-runs$", took_four_seconds, times=10)
    failed, result = run(dss, capsys, project_key="P", poll_interval=30)
    assert not failed and result["results"][0]["outcome"] == "SUCCESS", result
    # The first wait is most of the last run's duration, then polling starts again at FIRST_POLL.
    assert dss.clock.sleeps[0] == dss_scenario_runner.EXPECTED_SHARE * 4
    assert dss.clock.sleeps[1:2] in ([], [dss_scenario_runner.FIRST_POLL])
    assert len(dss.polled(result["results"][0]["run_id"])) == 2  # right after the start, then after the wait
