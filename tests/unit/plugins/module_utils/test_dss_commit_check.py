"""The design commit check shared by dataiku_project_commit and the bulk read (dataiku_bundle_state_info): a project
is settled only where the module would end unchanged without failing."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git import commit_check as check
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
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
        self.reads = []  # the start of each log read
        self.state = {"currentBranch": "master", "modified": list(pending),
                      "remotes": [{"name": "origin", "url": "git@example.com:churn.git"}] if remote else []}

    def status(self):
        return self.state

    def fetch(self, _remote):
        self.fetched += 1

    def branches(self, remote=False):
        return ["origin/master"] if remote and self.remote_head else []

    def entry(self, ref):
        self.reads.append(ref)
        return _item(ref) if ref in (HEAD, OTHER) else None

    def commits(self, ref, count):
        self.reads.append(ref)
        return [_item({None: HEAD, "origin/master": self.remote_head}.get(ref, ref))][:count]


def _item(sha):
    return {"commit": sha, "message": "subject of %s" % sha[:4], "author": "alice"}


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


def test_one_log_read_when_the_promoted_commit_is_head_and_one_more_otherwise():
    for options in ({"checkout_commit": HEAD}, {"commit": HEAD[:12]}, {"commit": HEAD.upper()}):
        git = _Git()
        assert check.Promoted(git, params(**options)).settled()["verified"] is True
        assert git.reads == [None]  # HEAD's entry, read once, names the promoted commit
    git = _Git()
    promoted = check.Promoted(git, params(commit=OTHER))
    assert promoted.commit["commit"] == OTHER and promoted.head["commit"] == HEAD and git.reads == [None, OTHER]
    git = _Git()
    assert check.Promoted(git, params(checkout_commit="c" * 40)).source == "none" and git.reads == [None, "c" * 40]


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


class _Answer:
    def __init__(self, status, payload):
        self.status_code, self._payload = status, payload

    def json(self):
        return self._payload


class _LogSession:
    """The client session of a node holding HEAD, answering GET .../git/actions/log as DSS does: an unknown start
    commit refused (404), or every log answered ``down`` (a gateway's 503 after the transport's retries)."""
    verify = True

    def __init__(self, down=None):
        self.down, self.sent = down, []

    def request(self, method, url, params=None, verify=None):
        self.sent.append((method, url, params, verify))
        if self.down:
            return _Answer(self.down, "<html>unavailable</html>")
        if params["startCommit"] != HEAD[:len(params["startCommit"])]:
            return _Answer(404, {"errorType": "com.dataiku.dip.exceptions.NotFoundException", "message": "no"})
        return _Answer(200, {"entries": [{"commit": HEAD, "shortMessage": "subject"}]})


class _Client:
    host = "https://dss.example.com"

    def __init__(self, session):
        self._session = session

    def get_project(self, _key):
        return self

    def get_project_git(self):
        return None


def test_bulk_reader_tells_an_unknown_commit_from_a_node_that_does_not_answer():
    session = _LogSession()
    reader = check.ProjectGitReader(_Client(session), "CHURN")
    assert reader.entry(HEAD[:12]) == {"commit": HEAD, "message": "subject", "author": None}
    assert reader.knows(OTHER) is False  # refused by DSS: it does not hold the commit, in one request
    assert session.sent[-1] == ("GET", "https://dss.example.com/dip/publicapi/projects/CHURN/git/actions/log",
                                {"startCommit": OTHER, "count": 1}, True)
    assert len(session.sent) == 2
    for status in (502, 503, 504):  # a gateway says nothing about the commit: left to the module (not settled)
        with pytest.raises(DssError, match="HTTP %d" % status):
            check.ProjectGitReader(_Client(_LogSession(down=status)), "CHURN").knows(OTHER)
