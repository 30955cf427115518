# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which commit of a design project is being promoted, and whether the project holds it (docs/project-git.md).

Shared by dataiku_project_commit (one project, acts on a mismatch) and dataiku_bundle_state_info (many projects at
once, reads only): the bulk read settles the projects whose check needs no action, so that the module only starts
for the others. Both decide through the same code, so a settled project is exactly one the module would leave
unchanged without failing.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_of_commit
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import TRANSIENT_STATUSES
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import (
    ProjectGit, commit_error, entry_of, option_errors)

# The options of dataiku_project_commit that decide the check, with the module's defaults.
CHECK_DEFAULTS = {"commit": None, "branch": None, "remote_name": "origin", "checkout_commit": None,
                  "on_mismatch": "fail", "uncommitted": "fail", "required": False, "fetch": True}

CHOICES = {"on_mismatch": ("fail", "pull", "push"), "uncommitted": ("fail", "ignore")}


class CommitCheckError(Exception):
    """The check cannot go on (unknown commit, remote without the branch, failed git action): one line."""


def describe(item):
    return "%s (%s)" % (item["commit"][:12], item.get("message") or "")


def check_errors(params):
    """Messages for invalid check options (project_key, remote_name, branch, commit)."""
    errors = option_errors(params)
    if params.get("commit") is not None and commit_error(params["commit"], "commit"):
        errors.append(commit_error(params["commit"], "commit"))
    return errors


class Promoted:
    """Determine the commit being promoted and the project's position relative to it (reads and fetch only)."""

    def __init__(self, git, params):
        self.git, self.p = git, params
        self.status = git.status()
        self.branch = self.p["branch"] or self.status.get("currentBranch")
        self.remote = git.remote_of(self.status, self.p["remote_name"])
        if self.remote and self.p["fetch"]:
            git.fetch(self.p["remote_name"])
            self.status = git.status()
        self.remote_branch = "%s/%s" % (self.p["remote_name"], self.branch)
        self.remote_has_branch = bool(self.remote) and self.remote_branch in git.branches(remote=True)
        heads = git.commits(None, 1)  # a log from HEAD: HEAD's entry in one read (None: no commit yet)
        self.head = heads[0] if heads else None
        self.commit, self.source = self._resolve()

    def _entry(self, sha):
        """The log entry of commit ``sha``, None when the repository does not hold it. The usual commit being
        promoted is the project's HEAD, already read: then no request."""
        if self.head and self.head["commit"].startswith(sha.lower()):
            return self.head
        return self.git.entry(sha)

    def _resolve(self):
        p = self.p
        if p["commit"]:
            entry = self._entry(p["commit"])
            if entry is None:
                raise CommitCheckError("Commit %s is not in the git repository of project %s%s; push it to the "
                                       "project's remote, or give a commit of the project." % (
                                           p["commit"], self.git.key,
                                           " (fetched from %s)" % p["remote_name"] if self.remote else ""))
            return entry, "commit"
        if self.remote_has_branch:
            return self.git.commits(self.remote_branch, 1)[0], "remote_branch"
        if self.remote and p["on_mismatch"] != "push":
            raise CommitCheckError("The remote %s of project %s has no branch %s: push the project first "
                                   "(on_mismatch=push), or set commit." % (p["remote_name"], self.git.key,
                                                                           self.branch))
        if p["checkout_commit"] and not commit_error(p["checkout_commit"], "checkout_commit"):
            entry = self._entry(p["checkout_commit"])
            if entry is not None:
                return entry, "checkout"
        return None, "none"

    def pending(self):
        return self.git.pending_files(self.status) if self.p["uncommitted"] == "fail" else []

    def matches(self):
        return bool(self.commit and self.head and self.head["commit"] == self.commit["commit"] and not self.pending())

    def mismatch_text(self):
        text = "Project %s is at %s but the commit being promoted is %s (%s)" % (
            self.git.key, describe(self.head) if self.head else "no commit", describe(self.commit),
            {"commit": "the commit option", "remote_branch": "head of %s" % self.remote_branch,
             "checkout": "HEAD of the playbook's checkout"}[self.source])
        if self.pending():
            text += " and has uncommitted changes (%s)" % ", ".join(self.pending()[:10])
        return text

    def base_result(self):
        result = dict(verified=False, commit=None, source=self.source, bundle_id=None, pulled=[],
                      head=self.head["commit"] if self.head else None)
        if self.commit is not None:
            result.update(commit=self.commit["commit"], message=self.commit["message"])
        return result

    def unresolved(self):
        """No commit to check: the module has nothing to do (unless it must push, or a commit is required)."""
        return self.commit is None and (self.p["on_mismatch"] != "push" or not self.remote)

    def settled(self):
        """The module's result when it ends unchanged without failing (nothing to verify, or HEAD is the promoted
        commit), else None (it must pull, push or fail)."""
        result = self.base_result()
        if self.unresolved():
            return None if self.p["required"] else result
        if self.matches():
            result.update(verified=True, bundle_id=bundle_id_of_commit(self.commit["commit"]))
            return result
        return None


class ProjectGitReader(ProjectGit):
    """ProjectGit without a module, for bulk reads in worker threads: every failure raises."""

    def __init__(self, client, project_key):  # pylint: disable=super-init-not-called
        self.module = None
        self.client = client
        self.key = project_key
        self.git = client.get_project(project_key).get_project_git()

    def call(self, what, func, *args, **kwargs):
        return func(*args, **kwargs)

    def _entry(self, commit):
        """The log from ``commit`` that DSSProjectGit.log sends, on the client's own session (same auth, TLS,
        retries) to read the HTTP status that dataikuapi's exception lacks: an error answer other than a gateway's
        502/503/504 is DSS refusing a start commit it does not hold, as the module decides
        (ProjectGit.refuses_unknown_commit); anything else raises and leaves the project to the module."""
        session = self.client._session  # pylint: disable=protected-access
        response = session.request("GET", "%s/dip/publicapi/projects/%s/git/actions/log" % (self.client.host, self.key),
                                   params={"startCommit": commit, "count": 1}, verify=session.verify)
        if response.status_code in TRANSIENT_STATUSES:
            raise DssError("Failed to read the git log of project %s: HTTP %d" % (self.key, response.status_code))
        if response.status_code >= 400:
            return None
        answer = response.json()
        return entry_of((answer.get("entries") if isinstance(answer, dict) else None) or [], commit)

    def run_action(self, what, func, *args, undo=None, happened=None):  # pylint: disable=unused-argument
        result = func(*args)
        if isinstance(result, dict) and result.get("success") is False:
            raise CommitCheckError("Failed to %s of project %s" % (what, self.key))
        return result


def settled_check(client, key, options):
    """{settled, options, and when settled the module's result} for one project of a design node. Anything that
    needs the module (an action, a failure to report, invalid options) is simply not settled."""
    params = dict(CHECK_DEFAULTS, **(options or {}), project_key=key)
    outcome = {"settled": False, "options": options}
    if check_errors(params) or params["on_mismatch"] not in CHOICES["on_mismatch"] or \
            params["uncommitted"] not in CHOICES["uncommitted"] or \
            not all(isinstance(params[name], bool) for name in ("required", "fetch")):
        return outcome
    try:
        result = Promoted(ProjectGitReader(client, key), params).settled()
    except Exception:  # pylint: disable=broad-except
        return outcome  # the module reports it with its own message
    if result is not None:
        outcome.update(result, settled=True)
    return outcome
