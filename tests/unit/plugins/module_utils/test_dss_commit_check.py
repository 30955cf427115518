"""The design commit check shared by dataiku_project_commit and the bulk read (dataiku_bundle_state_info): a project
is settled only where the module would end unchanged without failing."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git import commit_check as check
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ProjectGit

HEAD = "a" * 40
OTHER = "b" * 40


class _Git:
    """The reads of ProjectGit that Promoted uses, on a repository holding HEAD and OTHER."""
    key = "CHURN"
    remote_of = staticmethod(ProjectGit.remote_of)
    pending_files = staticmethod(ProjectGit.pending_files)

    def __init__(self, remote=False, remote_head=None, pending=()):
        self.remote, self.remote_head, self.fetched = remote, remote_head, 0
        self.state = {"currentBranch": "master", "modified": list(pending),
                      "remotes": [{"name": "origin", "url": "git@example.com:churn.git"}] if remote else []}

    def status(self):
        return self.state

    def fetch(self, _remote):
        self.fetched += 1

    def branches(self, remote=False):
        return ["origin/master"] if remote and self.remote_head else []

    def head(self):
        return HEAD

    def knows(self, ref):
        return ref in (HEAD, OTHER)

    def commits(self, ref, count):
        sha = self.remote_head if ref == "origin/master" else ref
        return [{"commit": sha, "message": "subject of %s" % sha[:4], "author": "alice"}][:count]


def params(**options):
    return dict(check.CHECK_DEFAULTS, project_key="CHURN", **options)


def test_nothing_to_verify_is_settled_unverified_unless_required():
    settled = check.Promoted(_Git(), params()).settled()
    assert settled == {"verified": False, "commit": None, "source": "none", "bundle_id": None, "pulled": [],
                       "head": HEAD}
    assert check.Promoted(_Git(), params(required=True)).settled() is None


def test_head_at_the_promoted_commit_is_settled_verified():
    for promoted in (check.Promoted(_Git(), params(checkout_commit=HEAD)),
                     check.Promoted(_Git(), params(commit=HEAD)),
                     check.Promoted(_Git(remote=True, remote_head=HEAD), params())):
        settled = promoted.settled()
        assert settled["verified"] is True and settled["bundle_id"] == "g" + HEAD[:12]
        assert settled["commit"] == HEAD and settled["message"] == "subject of aaaa"


@pytest.mark.parametrize("git,options", [
    (_Git(), {"commit": OTHER}),  # mismatch: the module fails naming both commits
    (_Git(remote=True, remote_head=OTHER), {"on_mismatch": "pull"}),  # a pull to make
    (_Git(pending=["datasets/a.json"]), {"commit": HEAD}),  # uncommitted changes
    (_Git(remote=True, remote_head=None), {"on_mismatch": "push"}),  # commits to push
])
def test_anything_the_module_must_do_or_report_is_not_settled(git, options):
    assert check.Promoted(git, params(**options)).settled() is None


def test_the_remote_is_fetched_as_the_module_does_unless_fetch_is_off():
    git = _Git(remote=True, remote_head=HEAD)
    check.Promoted(git, params())
    check.Promoted(git, params(fetch=False))
    assert git.fetched == 1


def test_settled_check_never_raises_and_refuses_invalid_options(monkeypatch):
    monkeypatch.setattr(check, "ProjectGitReader", lambda _client, _key: _Git())
    assert check.settled_check(None, "CHURN", {"checkout_commit": HEAD})["settled"] is True
    assert check.settled_check(None, "CHURN", {"checkout_commit": HEAD})["options"] == {"checkout_commit": HEAD}
    for options in ({"on_mismatch": "verify"}, {"required": "yes"}, {"commit": "not-a-sha"}, {"branch": "../x"}):
        assert check.settled_check(None, "CHURN", options) == {"settled": False, "options": options}
    # An unknown commit makes the module fail with its message: not settled, never raised here.
    assert check.settled_check(None, "CHURN", {"commit": "c" * 40})["settled"] is False

    def broken(_client, _key):
        raise RuntimeError("git API unavailable")
    monkeypatch.setattr(check, "ProjectGitReader", broken)
    assert check.settled_check(None, "CHURN", {})["settled"] is False


class _DssGitLog:
    """DSSProjectGit.log of a node holding HEAD: an unknown start commit is refused; ``down`` refuses everything (a
    proxy's 503 looks the same to the client)."""

    def __init__(self, down=False):
        self.down = down

    def log(self, _path, start, _count):
        if self.down or start not in (None, HEAD):
            raise DataikuException("refused")
        return {"entries": [{"commit": HEAD}]}


def _reader(log):
    reader = check.ProjectGitReader.__new__(check.ProjectGitReader)
    reader.module, reader.key, reader.git = None, "CHURN", log
    return reader


def test_bulk_reader_tells_an_unknown_commit_from_a_node_that_does_not_answer():
    assert _reader(_DssGitLog()).knows(HEAD) is True
    assert _reader(_DssGitLog()).knows(OTHER) is False  # refused while HEAD answers: DSS does not hold it
    with pytest.raises(DataikuException):
        _reader(_DssGitLog(down=True)).knows(OTHER)  # nothing answers: left to the module (not settled)
