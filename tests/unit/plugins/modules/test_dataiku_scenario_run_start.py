"""dataiku_scenario_run when the answer to a start (POST .../run) is lost: the runs are re-read, a run created by
our start is followed (never started twice), a run that existed before our start is never taken for ours, and a
start that never reached DSS is sent again."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_scenario_runner

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.scenario_fakes import (
    FakeRun,
    Script,
    fake_client,
    fake_time,
    run,
)


def _posts(client, scenario_id):
    return client.calls.count("POST run %s" % scenario_id)


def test_lost_answer_to_a_start_follows_the_run_it_created(fake_client, capsys):
    fake_client.add("TEST_SMOKE")
    fake_client.start_faults["TEST_SMOKE"] = ["lost"]
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    assert _posts(fake_client, "TEST_SMOKE") == 1  # not started twice
    assert len(fake_client.runs) == 1
    row = result["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] == fake_client.runs[0].run_id


def test_start_that_never_arrived_is_sent_again_after_the_grace(fake_client, fake_time, capsys):
    fake_client.add("TEST_SMOKE")
    fake_client.start_faults["TEST_SMOKE"] = ["reset"]
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    assert _posts(fake_client, "TEST_SMOKE") == 2 and len(fake_client.runs) == 1
    assert result["results"][0]["run_id"] == fake_client.runs[0].run_id
    # the re-read looked for a new run for START_GRACE seconds before starting again
    assert sum(fake_time.sleeps) >= dss_scenario_runner.START_GRACE


def test_a_run_started_before_ours_is_never_taken_for_ours(fake_client, capsys):
    fake_client.add("TEST_SMOKE", Script("SUCCESS"))
    earlier = FakeRun(fake_client, "TEST_SMOKE", "someone-elses-run", Script("FAILED"))
    fake_client.runs.append(earlier)
    fake_client.start_faults["TEST_SMOKE"] = ["reset"]
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    row = result["results"][0]
    assert row["run_id"] != "someone-elses-run" and row["outcome"] == "SUCCESS"
    assert earlier.polls == 0  # never followed
    assert _posts(fake_client, "TEST_SMOKE") == 2


def test_a_run_with_other_trigger_params_is_not_ours(fake_client, monkeypatch, capsys):
    fake_client.add("TEST_SMOKE")
    fake_client.start_faults["TEST_SMOKE"] = ["reset"]
    other = FakeRun(fake_client, "TEST_SMOKE", "other-params-run", Script("FAILED"), params={"env": "dev"})
    start = dss_scenario_runner.RunStart.__init__

    def start_then_someone_else_starts(self, runner, scenario):
        start(self, runner, scenario)
        fake_client.runs.append(other)  # appears after our start, with other parameters
    monkeypatch.setattr(dss_scenario_runner.RunStart, "__init__", start_then_someone_else_starts)
    failed, result = run(capsys, project_key="P", trigger_params={"env": "prod"})
    assert not failed, result
    assert result["results"][0]["run_id"] != "other-params-run" and other.polls == 0
    assert _posts(fake_client, "TEST_SMOKE") == 2


def test_a_run_that_appears_late_is_followed_when_the_second_start_is_cancelled(fake_client, capsys):
    fake_client.add("TEST_SMOKE")
    fake_client.start_faults["TEST_SMOKE"] = ["late"]
    failed, result = run(capsys, project_key="P")
    assert not failed, result
    assert _posts(fake_client, "TEST_SMOKE") == 2 and len(fake_client.runs) == 1
    row = result["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] == fake_client.runs[0].run_id


def test_every_start_lost_in_transit_fails_with_one_line(fake_client, capsys):
    fake_client.add("TEST_SMOKE")
    fake_client.start_faults["TEST_SMOKE"] = ["reset"] * 4
    failed, result = run(capsys, project_key="P", retries=1)
    assert failed
    assert _posts(fake_client, "TEST_SMOKE") == 2 and not fake_client.runs
    assert result["msg"].startswith("Could not connect to DSS at https://dss-auto.example.com to start scenario "
                                    "TEST_SMOKE of project P"), result["msg"]
