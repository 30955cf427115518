"""Unit tests of the release notes helpers (plugins/module_utils/_bundle/release_notes.py): bundle -> commit hints, the
walk between two commits with paging, caps, roll-backs, unmapped bundles, unreadable git, diff view, default notes."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import release_notes as rn
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException


def sha(n):
    return "ab%04x" % n + "e" * 30 + "%04x" % n


class FakeGit:
    """A project git answering log (with paging, like DSS: nextCommit is the first entry not returned) and diff
    over ``parents`` (sha -> parent sha), recording every call."""

    def __init__(self, parents, head, fail=None):
        self.parents, self.head, self.fail, self.calls = parents, head, fail, []

    def _resolve(self, ref):
        if ref is None:
            return self.head
        found = [s for s in self.parents if s.startswith(ref)]
        if len(found) != 1:
            raise DataikuException("Unknown commit '%s'" % ref)
        return found[0]

    def log(self, path, start, count):
        self.calls.append(("log", start, count))
        if self.fail:
            raise self.fail
        entries, cursor = [], self._resolve(start)
        while cursor and len(entries) < count + 1:
            entries.append({"commit": cursor, "author": "alice", "timestamp": 1796000000000,
                            "message": "Change %s\n\nbody" % cursor[-3:], "shortMessage": "Change %s" % cursor[-3:]})
            cursor = self.parents[cursor]
        out = {"entries": entries[:count]}
        if len(entries) > count:
            out["nextCommit"] = entries[count]["commit"]
        return out

    def diff(self, commit_from, commit_to):
        self.calls.append(("diff", commit_from, commit_to))
        files = [{"path": "datasets/d%d.json" % i, "changeType": "ADD" if i % 2 else "MODIFY", "diff": "..."}
                 for i in range(3)]
        return {"addedLines": 7, "removedLines": 2, "changedFiles": len(files), "entries": files}


def linear(count):
    """Commits sha(0) <- sha(1) <- ... <- sha(count-1) (HEAD)."""
    return FakeGit({sha(i): sha(i - 1) if i else None for i in range(count)}, sha(count - 1))


def history(git):
    return rn.History(git, "CHURN")


@pytest.mark.parametrize("bundle_id,notes,hints", [
    ("g" + sha(3)[:12], None, [sha(3)[:12]]),
    ("git-" + sha(3)[:12], None, [sha(3)[:12]]),
    ("v1.2", "%s Reviewed: add a dataset" % sha(3), [sha(3)]),
    ("g" + sha(3)[:12], "%s Reviewed" % sha(3), [sha(3), sha(3)[:12]]),  # a prefix of the first hint stays: harmless
    ("b1", "Bundle b1", []),
    ("release-20261130", None, []),  # all digits: a date, not a commit
    ("g066310820848", None, ["066310820848"]),  # a sha prefix may be all digits
    ("git-066310820848", None, ["066310820848"]),
    ("b1", "abc1234 fix", ["abc1234"]),
    ("b1", "Fixes 1234567", []),
    (None, None, []),
])
def test_commit_hints(bundle_id, notes, hints):
    assert rn.commit_hints(bundle_id, notes) == hints


def test_bundle_hints_read_the_release_notes_of_the_listing():
    entries = [{"bundleId": "v2", "exportManifest": {"exportUserInfo": {"releaseNotes": sha(5) + " subject"}}}]
    assert rn.bundle_hints(entries, "v2") == [sha(5)]
    assert rn.bundle_hints(entries, "g" + sha(7)[:12]) == [sha(7)[:12]]


def test_forward_lists_the_commits_and_files_between_in_one_log_page():
    git = linear(10)
    out = rn.changes_between(history(git), ("old", [sha(4)[:12]]), ("new", [sha(7)]))
    assert (out["from_commit"], out["to_commit"], out["direction"]) == (sha(4), sha(7), "forward")
    assert [c["commit"] for c in out["commits"]] == [sha(7), sha(6), sha(5)]
    assert out["commits"][0] == {"commit": sha(7), "author": "alice", "date": "2026-11-30T00:53:20Z",
                                 "message": "Change %s" % sha(7)[-3:]}
    assert out["files"] == [{"path": "datasets/d0.json", "change": "MODIFY"}, {"path": "datasets/d1.json", "change": "ADD"},
                            {"path": "datasets/d2.json", "change": "MODIFY"}]
    assert (out["added_lines"], out["removed_lines"], out["truncated"], out["note"]) == (7, 2, False, None)
    assert git.calls == [("log", sha(7), rn.MAX_COMMITS + 1), ("diff", sha(4), sha(7))]


def test_long_history_pages_and_caps_the_lists():
    git = linear(300)
    out = rn.changes_between(history(git), ("old", [sha(100)]), ("new", [sha(299)]))
    assert out["direction"] == "forward" and out["from_commit"] == sha(100)
    assert len(out["commits"]) == rn.MAX_COMMITS and out["truncated"] is True
    assert [c[0] for c in git.calls] == ["log", "log", "diff"]  # 51, then one page of 200 reaches sha(100)
    assert git.calls[1] == ("log", sha(299 - rn.MAX_COMMITS - 1), rn.PAGE)


def test_many_files_are_capped(monkeypatch):
    monkeypatch.setattr(rn, "MAX_FILES", 2)
    out = rn.changes_between(history(linear(5)), ("old", [sha(1)]), ("new", [sha(3)]))
    assert len(out["files"]) == 2 and out["truncated"] is True


def test_a_roll_back_lists_the_commits_the_target_loses():
    git = linear(10)
    out = rn.changes_between(history(git), ("old", [sha(8)]), ("new", [sha(5)]))
    assert (out["from_commit"], out["to_commit"], out["direction"]) == (sha(8), sha(5), "backward")
    assert [c["commit"] for c in out["commits"]] == [sha(8), sha(7), sha(6)]
    assert git.calls[-1] == ("diff", sha(8), sha(5))


def test_same_commit_reads_no_diff():
    git = linear(4)
    out = rn.changes_between(history(git), ("old", [sha(2)]), ("new", [sha(2)[:12]]))
    assert (out["direction"], out["commits"], out["files"]) == ("same", [], [])
    assert [c[0] for c in git.calls] == ["log"]


def test_diverged_commits_list_only_files():
    parents = {sha(0): None, sha(1): sha(0), sha(2): sha(1), sha(3): sha(1)}  # 2 and 3 both branch from 1
    out = rn.changes_between(history(FakeGit(parents, sha(3))), ("old", [sha(2)]), ("new", [sha(3)]))
    assert out["direction"] == "diverged" and out["commits"] == [] and len(out["files"]) == 3
    assert "Neither" in out["note"]


def test_first_deployment_lists_the_history():
    out = rn.changes_between(history(linear(60)), None, ("new", [sha(59)]))
    assert out["from_commit"] is None and out["to_commit"] == sha(59)
    assert len(out["commits"]) == rn.MAX_COMMITS and out["truncated"] and "No earlier bundle to compare with" in out["note"]
    assert out["files"] == []


def test_bundles_that_map_to_no_commit_give_a_note():
    git = linear(5)
    no_hint = rn.changes_between(history(git), ("old", [sha(1)]), ("b2", []))
    assert no_hint["note"].startswith("Bundle b2 names no commit") and no_hint["to_commit"] is None
    unknown = rn.changes_between(history(git), ("old", [sha(1)]), ("gdeadbeef0000", ["deadbeef0000"]))
    assert "names commit deadbeef0000, which is not in the git repository of design project CHURN" in unknown["note"]
    old_unmapped = rn.changes_between(history(git), ("b1", []), ("new", [sha(3)]))
    assert old_unmapped["note"].startswith("Bundle b1 names no commit") and old_unmapped["to_commit"] == sha(3)
    old_unknown = rn.changes_between(history(git), ("gfeedface0000", ["feedface0000"]), ("new", [sha(3)]))
    assert "feedface0000" in old_unknown["note"] and old_unknown["commits"] == []


def test_an_unreadable_git_is_a_note_not_a_failure():
    git = FakeGit({}, None, fail=ConnectionError("Connection refused\nmore"))
    out = rn.changes_between(history(git), ("old", [sha(1)]), ("new", [sha(2)]))
    assert out["note"] == "Could not read the git history of design project CHURN: Connection refused"
    assert out["commits"] == [] and out["direction"] is None


def test_head_hint_for_exports():
    out = rn.changes_between(history(linear(6)), ("prev", [sha(2)]), ("new", [None]))
    assert out["to_commit"] == sha(5) and [c["commit"] for c in out["commits"]] == [sha(5), sha(4), sha(3)]


def test_diff_view_and_default_notes():
    out = rn.changes_between(history(linear(6)), ("prev", [sha(2)]), ("new", [None]))
    before, after = {"bundle_ids": ["prev"]}, {"bundle_ids": ["prev", "new"]}
    rn.add_to_diff(before, after, out)
    assert before["changes"] == {"commit": sha(2)[:12]}
    assert after["changes"]["commit"] == sha(5)[:12]
    assert after["changes"]["commits"][0] == "%s Change %s (alice, 2026-11-30)" % (sha(5)[:7], sha(5)[-3:])
    assert after["changes"]["files_changed"] == ["M datasets/d0.json", "A datasets/d1.json", "M datasets/d2.json"]
    notes = rn.default_release_notes(out)
    assert notes.splitlines()[0] == "%s Change %s" % (sha(5), sha(5)[-3:])
    assert "Changes since bundle prev (%s):" % sha(2)[:12] in notes and notes.count("\n- ") == 3
    assert rn.commit_hints("new", notes)[0] == sha(5)  # the default notes map the bundle back to its commit

    back = rn.changes_between(history(linear(6)), ("old", [sha(4)]), ("new", [sha(2)]))
    before, after = {}, {}
    rn.add_to_diff(before, after, back)
    assert len(before["changes"]["commits"]) == 2 and "commits" not in after["changes"]

    unmapped = rn.unavailable("CHURN", "b1", "b2", "why")
    before, after = {}, {}
    rn.add_to_diff(before, after, unmapped)
    assert before == {"changes": {"commit": None}} and after == {"changes": {"commit": None, "note": "why"}}
    assert rn.default_release_notes(unmapped) is None
    before = {}
    rn.add_to_diff(before, {}, None)
    assert before == {}


def test_long_histories_make_short_default_notes():
    out = rn.changes_between(history(linear(80)), ("prev", [sha(0)]), ("new", [None]))
    notes = rn.default_release_notes(out)
    assert notes.count("\n- ") == rn.NOTES_COMMITS + 1 and notes.endswith("- ... (more commits)")


def test_the_walk_stops_at_the_scan_limit(monkeypatch):
    monkeypatch.setattr(rn, "MAX_SCAN", 20)
    git = linear(100)
    out = rn.changes_between(history(git), ("old", [sha(5)]), ("new", [sha(99)]))
    assert out["direction"] == "diverged" and "within the 20 commits" in out["note"] and out["commits"] == []
    assert sum(1 for c in git.calls if c[0] == "log") == 2  # one walk each way, each stopped by the limit
