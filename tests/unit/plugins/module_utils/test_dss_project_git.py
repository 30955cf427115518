"""Unit tests of the project git helpers (plugins/module_utils/_git/project_git.py)."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import (
    ProjectGit, commit_error, last_lines, ref_name_error)


@pytest.mark.parametrize("name", ["master", "main", "feature/x-1", "release_2.0", "origin"])
def test_usable_ref_names(name):
    assert ref_name_error(name, "branch") is None


@pytest.mark.parametrize("name", ["", "../x", "a..b", "/x", "x/", "x.", "a b", "x?y", "x#y", "a//b", "x.lock",
                                  "a@{b", None])
def test_refused_ref_names_say_what_is_allowed(name):
    msg = ref_name_error(name, "branch")
    assert msg.startswith("branch %r is not a valid git name" % (name,)) and "letters, digits" in msg


@pytest.mark.parametrize("value,ok", [("3f2a9c1", True), ("A" * 40, True), ("3f2a9c", False), ("g" * 12, False),
                                      ("f" * 41, False), (None, False)])
def test_commit_ids(value, ok):
    assert (commit_error(value, "commit") is None) is ok


def test_last_lines_prefers_git_errors_in_order():
    result = {"success": False, "logs": ["Fetching origin", "fatal: 'x' does not appear to be a git repository",
                                         "fatal: Could not read from remote repository.", "", "error: could not fetch"]}
    assert last_lines(result) == ("fatal: 'x' does not appear to be a git repository / "
                                  "fatal: Could not read from remote repository.")


def test_last_lines_reads_messages_then_output():
    assert last_lines({"messages": [{"severity": "ERROR", "message": "no such branch"}]}) == "no such branch"
    assert last_lines({"output": "one\ntwo\nthree\n"}) == "two / three"
    assert last_lines({}) == "no output"


def test_pending_files_and_remote_lookup():
    status = {"untracked": ["datasets/a.json"], "modified": ["params.json"], "added": ["datasets/a.json"],
              "remotes": [{"name": "origin", "url": "git@example.com:a/b.git"}]}
    assert ProjectGit.pending_files(status) == ["datasets/a.json", "params.json"]
    assert ProjectGit.remote_of(status, "origin") == {"name": "origin", "url": "git@example.com:a/b.git"}
    assert ProjectGit.remote_of(status, "upstream") is None
