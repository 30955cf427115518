"""The lock decisions (no I/O): who blocks whom, expiry, take-over."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import (
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


def test_a_creation_claim_counts_only_until_a_bundle_is_imported():
    from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import (
        claim_description, claim_of, current_lock)
    claim = {"owner": "run-1", "expires": 200}
    summary = {"description": claim_description(claim)}
    assert claim_of(summary) == claim
    assert claim_of({"description": "dataiku_gitops_lock={not json}"}) is None and claim_of(None) is None
    empty = {"standard": {}, "local": {}}
    assert current_lock(empty, summary, []) == claim  # created, nothing imported yet: the claim holds
    assert current_lock(empty, summary, ["b1"]) is None  # the creator imported (and then released its lock)
    held = {"standard": {}, "local": {LOCK_VARIABLE: {"owner": "run-2", "expires": 300}}}
    assert current_lock(held, summary, []) == {"owner": "run-2", "expires": 300}  # the variables win


def test_with_lock_sets_or_removes_only_the_lock():
    from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import with_lock
    variables = {"standard": {"a": 1}, "local": {"env": "prod"}}
    locked = with_lock(variables, {"owner": "r", "expires": 5})
    assert locked == {"standard": {"a": 1}, "local": {"env": "prod", LOCK_VARIABLE: {"owner": "r", "expires": 5}}}
    assert with_lock(locked, None) == variables and variables["local"] == {"env": "prod"}  # input left alone
