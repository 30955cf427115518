"""The lock decisions (no I/O): who blocks whom, expiry, take-over."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils.dss_deploy_lock import (
    LOCK_VARIABLE, blocker, is_live, lock_of)


def test_lock_is_read_from_the_local_variables_only():
    assert lock_of({"standard": {LOCK_VARIABLE: {"owner": "a", "expires": 9}}, "local": {}}) is None
    assert lock_of({"standard": {}, "local": {LOCK_VARIABLE: {"owner": "a", "expires": 9, "x": 1}}}) == \
        {"owner": "a", "expires": 9}
    assert lock_of({"standard": {}, "local": {LOCK_VARIABLE: "garbage"}}) is None
    assert lock_of(None) is None


def test_a_live_lock_of_another_owner_blocks_unless_broken():
    lock = {"owner": "run-1", "expires": 200}
    assert blocker(lock, "run-2", now=100) == lock
    assert blocker(lock, "run-2", now=100, break_lock=True) is None
    assert blocker(lock, "run-1", now=100) is None  # the owner re-enters
    assert blocker(lock, "run-2", now=200) is None  # expired
    assert blocker(None, "run-2", now=100) is None


def test_unreadable_expiry_is_not_live():
    assert not is_live({"owner": "a", "expires": "soon"}, 0)
    assert is_live({"owner": "a", "expires": "10"}, 0)
