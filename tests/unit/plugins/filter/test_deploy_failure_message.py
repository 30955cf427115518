"""Unit tests of the filter deploy_failure_message (plugins/filter/deploy_failure_message.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.deploy_failure_message import (
    FilterModule, deploy_failure_message)

SKIPPED = {"skipped": True, "changed": False}
BASE = {"project_key": "CHURN", "bundle_id": "b2", "url": "https://dss.example.com", "failed_task": "Run tests",
        "failed_msg": "1 of 1 test scenario(s) failed: TEST_SMOKE (FAILED)", "rollback_bundle_id": "b1",
        "holds_lock": True, "project_existed": True, "policy": "keep"}


def message(**overrides):
    return deploy_failure_message(dict(BASE, **overrides))


def test_rolled_back_to_the_last_certified_bundle_and_retested():
    text = message(rollback={"changed": True, "tests": {"summary": {"total": 1}}},
                   after={"active_bundle_id": "b1", "project_exists": True})
    assert text == ("Deployment of bundle b2 to project CHURN on https://dss.example.com failed at 'Run tests': 1 of "
                    "1 test scenario(s) failed: TEST_SMOKE (FAILED) Rolled back to bundle b1, the last bundle with a "
                    "passing test record: its tests pass again (1 scenario(s)). Known state: active bundle b1.")


def test_a_rollback_whose_retest_fails_is_a_failed_rollback():
    text = message(rollback={"failed": True, "msg": "TEST_SMOKE failed", "tests": {"failed_scenarios": ["TEST_SMOKE"]}},
                   after={"active_bundle_id": "b1"})
    assert "The roll-back to bundle b1 (the last bundle with a passing test record) FAILED: TEST_SMOKE failed." in text


def test_failed_rollback_and_failed_read_still_say_what_is_known():
    text = message(rollback={"failed": True, "msg": "HTTP 503"},
                   after={"failed": True, "msg": "connection refused"})
    assert "FAILED: HTTP 503." in text
    assert text.endswith("Known state: UNKNOWN, the read after the failure failed (connection refused).")
    assert "failed at 'Run tests'" in text


def test_nothing_to_restore_cases_never_contradict_the_known_state():
    # The run failed before its first write (a refused lock, a bundle not exported): it says so, whatever is active.
    text = message(holds_lock=False, rollback=SKIPPED, after={"active_bundle_id": "inst-1"})
    assert "Nothing to restore: this run failed before its first write. Known state: active bundle inst-1." in text
    assert "Nothing to restore: bundle b1, the last bundle with a passing test record, is the active one." in message(
        rollback={"changed": False}, after={"active_bundle_id": "b1"})
    assert "no other bundle of the project has a passing test record on this node" in message(
        rollback_bundle_id=None, rollback=SKIPPED, after={"active_bundle_id": "b2"})
    assert "the project this run created was deleted" in message(
        rollback_bundle_id=None, project_existed=False, deleted={"changed": True},
        after={"project_exists": False, "active_bundle_id": None})
    text = message(rollback_bundle_id=None, project_existed=False, deleted=SKIPPED, after={"active_bundle_id": "b2"})
    assert "left as it is for inspection (dss_first_deploy_failure_policy=keep)" in text


def test_long_input_and_answers_are_cut_on_one_line():
    text = message(bundle_id="b" * 100000, failed_msg="<html>\n" + "x" * 5000, rollback=SKIPPED, after=None)
    assert len(text) < 1200 and "\n" not in text
    assert "b" * 100 + "... (100000 characters)" in text and "(5007 characters)" in text


def test_url_userinfo_dropped_and_message_one_line():
    text = message(url="https://admin:secret@dss.example.com", failed_msg="line one\nline two",
                   rollback=SKIPPED, after=None)
    assert "secret" not in text and "https://dss.example.com" in text
    assert "\n" not in text and text.endswith("Known state: not read.")
    assert FilterModule().filters()["deploy_failure_message"] is deploy_failure_message
    assert deploy_failure_message(None).startswith("Deployment of bundle None")
