"""Unit tests of the filter deploy_failure_message (plugins/filter/deploy_failure_message.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.deploy_failure_message import (
    FilterModule, deploy_failure_message)

SKIPPED = {"skipped": True, "changed": False}
BASE = {"project_key": "CHURN", "bundle_id": "b2", "url": "https://dss.example.com", "failed_task": "Run tests",
        "failed_msg": "1 of 1 test scenario(s) failed: TEST_SMOKE (FAILED)", "previous_bundle_id": "b1",
        "project_existed": True, "policy": "keep", "run_tests": True}


def message(**overrides):
    return deploy_failure_message(dict(BASE, **overrides))


def test_restored_and_retested():
    text = message(rollback={"changed": True}, retest={"changed": True, "summary": {"total": 1}},
                   after={"active_bundle_id": "b1", "project_exists": True})
    assert text == ("Deployment of bundle b2 to project CHURN on https://dss.example.com failed at 'Run tests': 1 of "
                    "1 test scenario(s) failed: TEST_SMOKE (FAILED) Restored: bundle b1 is active again, its tests "
                    "pass (1 scenario(s)). Known state: active bundle b1.")


def test_restored_bundle_failing_its_tests_too():
    text = message(rollback={"changed": True}, retest={"failed_scenarios": ["TEST_SMOKE"], "msg": "TEST_SMOKE failed"},
                   after={"active_bundle_id": "b1"})
    assert "Restored: bundle b1 is active again, its tests fail too: TEST_SMOKE failed." in text


def test_tests_not_rerun_says_why():
    assert "tests not re-run (dss_run_tests is false)" in message(
        rollback={"changed": True}, retest=SKIPPED, after={"active_bundle_id": "b1"}, run_tests=False)
    assert "tests not re-run (the active bundle had not changed)" in message(
        rollback={"changed": False}, retest=SKIPPED, after={"active_bundle_id": "b1"})


def test_failed_rollback_and_failed_read_still_say_what_is_known():
    text = message(rollback={"failed": True, "msg": "HTTP 503"},
                   after={"failed": True, "msg": "connection refused"})
    assert "The roll-back to bundle b1 FAILED: HTTP 503." in text
    assert text.endswith("Known state: UNKNOWN, the read after the failure failed (connection refused).")
    assert "failed at 'Run tests'" in text


def test_nothing_to_restore_cases():
    assert "Nothing to restore: bundle b2 was already the active bundle." in message(
        previous_bundle_id="b2", rollback=SKIPPED, after={"active_bundle_id": "b2"})
    assert "Nothing to restore: no bundle was active before." in message(
        previous_bundle_id=None, rollback=SKIPPED, after={"active_bundle_id": "b2"})
    assert "the project this run created was deleted" in message(
        previous_bundle_id=None, project_existed=False, deleted={"changed": True},
        after={"project_exists": False, "active_bundle_id": None})
    text = message(previous_bundle_id=None, project_existed=False, deleted=SKIPPED, after={"active_bundle_id": "b2"})
    assert "left as it is for inspection (dss_first_deploy_failure_policy=keep)" in text


def test_url_userinfo_dropped_and_message_one_line():
    text = message(url="https://admin:secret@dss.example.com", failed_msg="line one\nline two",
                   rollback=SKIPPED, after=None)
    assert "secret" not in text and "https://dss.example.com" in text
    assert "\n" not in text and text.endswith("Known state: not read.")
    assert FilterModule().filters()["deploy_failure_message"] is deploy_failure_message
    assert deploy_failure_message(None).startswith("Deployment of bundle None")
