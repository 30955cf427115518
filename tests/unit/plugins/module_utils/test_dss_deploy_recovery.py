"""on_failure of the deploy path (_bundle/recovery.py) and its one-line report (_bundle/outcome.py), with a route
adapter that records what it was asked to do: the policy decides what happens, the message says it."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import outcome
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.recovery import Recovery
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


class Route:
    def __init__(self, active="b2", fail=None):
        self.active = active
        self.fail = fail or {}
        self.calls = []

    def _do(self, name, value=None):
        self.calls.append(name)
        if name in self.fail:
            raise DssError(self.fail[name])
        return value

    def restore(self, bundle_id):
        changed = self.active != bundle_id
        self._do("restore")
        self.active = bundle_id
        return changed

    def verify(self, bundle_id, restored):
        return self._do("verify", {"summary": {"total": 1}} if restored else None)

    def delete_created(self):
        self.active = None
        return self._do("delete", True)

    def release(self):
        return self._do("release")

    def read_state(self):
        self._do("read")
        return self.active is not None, self.active


def failed(route, policy, wrote=True, created=False, target="b1"):
    result = outcome.blank("direct", "CHURN", "b2")
    result.update(rollback_bundle_id=target, project_created=created, previous_bundle_id="b1")
    error = DssError("The test scenarios failed: TEST_SMOKE FAILED.", tests={"failed_scenarios": ["TEST_SMOKE"]})
    return Recovery(route, policy).failed(error, result, "on https://u:p@dss", "tests", wrote)


def test_rollback_restores_retests_and_says_so_on_one_line():
    route = Route()
    error = failed(route, "rollback")
    assert route.calls == ["restore", "verify", "read"]  # the certification released the lock
    assert error.msg == (
        "Deployment of bundle b2 to project CHURN on https://dss failed at 'tests': The test scenarios failed: "
        "TEST_SMOKE FAILED. Rolled back to bundle b1, the last bundle with a passing test record: its tests pass "
        "again (1 scenario(s)). Known state: active bundle b1.")
    assert error.result["rolled_back"] is True and error.result["active_bundle_id"] == "b1"
    assert error.result["tests"] == {"failed_scenarios": ["TEST_SMOKE"]} and error.result["changed"] is True
    assert set(outcome.RESULT_KEYS) <= set(error.result)


def test_a_failed_rollback_is_reported_and_the_lock_released():
    route = Route(fail={"verify": "its tests fail too"})
    error = failed(route, "rollback")
    assert route.calls == ["restore", "verify", "release", "read"]
    assert "The roll-back to bundle b1 (the last bundle with a passing test record) FAILED: its tests fail too." in error.msg
    assert error.result["rolled_back"] is False and error.result["rollback"]["error"] == "its tests fail too"


@pytest.mark.parametrize("policy,created,calls,text", [
    ("delete_project", True, ["delete", "read"], "First deployment: the project this run created was deleted"),
    ("delete_project", False, ["restore", "verify", "read"], "Rolled back to bundle b1"),
    ("rollback", True, ["release", "read"], "First deployment: nothing to restore"),
    ("keep", False, ["read"], "Nothing restored (on_failure=keep)"),
])
def test_each_policy(policy, created, calls, text):
    route = Route()
    error = failed(route, policy, created=created, target=None if created else "b1")
    assert route.calls == calls and text in error.msg, error.msg


def test_nothing_is_undone_before_the_first_write_and_an_unreadable_node_is_said():
    route = Route(fail={"read": "Could not connect"})
    error = failed(route, "rollback", wrote=False)
    assert route.calls == ["read"]
    assert error.msg.endswith("Nothing to restore: this run failed before its first write. Known state: UNKNOWN, the "
                              "read after the failure failed (Could not connect).")
    assert error.result["changed"] is False


def test_deploy_result_has_every_key_also_for_a_task_that_failed_before_reporting():
    view = outcome.deploy_result({"failed": True, "msg": "bad input"})
    assert set(view) == set(outcome.RESULT_KEYS) and view["error"] == "bad input" and view["certified"] is False


def test_a_huge_id_is_cut_once_by_the_module_and_stays_on_one_line():
    """The report does not cut words itself: fail_json cuts each long word once, so an id reads 'bbb...(N chars)'."""
    import re  # pylint: disable=import-outside-toplevel
    from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import (  # pylint: disable=import-outside-toplevel
        cut_line, cut_long_words)
    result = outcome.blank("direct", "K" * 100000, "b" * 100000)
    error = Recovery(Route(), "rollback").failed(DssError("Failed to read project %s:\nHTTP 414" % ("K" * 100000)),
                                                 result, "on https://dss", "read", False)
    msg = cut_long_words(cut_line(error.msg))
    assert "\n" not in msg and len(msg) < 1000 and re.search(r"b{100}\.\.\. \(100000 characters\)", msg), msg
    assert len(error.result["error"]) <= 600 and "K" * 101 not in error.result["error"]


def test_a_read_after_the_failure_that_fails_the_same_way_is_not_quoted_twice():
    route = Route(fail={"read": "The test scenarios failed: TEST_SMOKE FAILED."})
    error = failed(route, "keep", wrote=False)
    assert error.msg.endswith("Known state: UNKNOWN, the read after the failure failed the same way."), error.msg
