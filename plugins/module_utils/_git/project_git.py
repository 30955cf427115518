# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and actions on a DSS project's git repository (``DSSProjectGit``) shared by the project git modules.

DSS answers network actions (fetch, pull, push, switch) with ``{success, logs/messages, output}`` rather than an
HTTP error: ``run_action`` turns ``success: false`` into one DssError line with git's last meaningful output.
"""

from __future__ import annotations

import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException

SHA_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")
# Branch and remote names go into URL paths and query strings: git's own rules, minus URL delimiters.
REF_NAME_RE = re.compile(r"^(?!/)(?!.*\.\.)(?!.*//)(?!.*@\{)[A-Za-z0-9._/-]+(?<![/.])$")


def ref_name_error(value, option):
    """None when ``value`` is a usable branch or remote name, else a message saying what is allowed."""
    if not isinstance(value, str) or not REF_NAME_RE.match(value) or value.endswith(".lock"):
        return ("%s %r is not a valid git name: use letters, digits, '.', '_', '-' and '/' (no '..', no leading or "
                "trailing '/')." % (option, value))
    return None


def option_errors(params):
    """Messages for the options the project git modules share (project_key, remote_name, branch when present)."""
    errors = [project_key_error(params["project_key"]), ref_name_error(params["remote_name"], "remote_name")]
    if params.get("branch") is not None:
        errors.append(ref_name_error(params["branch"], "branch"))
    return [e for e in errors if e]


def commit_error(value, option):
    if not isinstance(value, str) or not SHA_RE.match(value):
        return "%s %r is not a commit id: give 7 to 40 hexadecimal characters." % (option, value)
    return None


def last_lines(result, count=2):
    """The last meaningful lines of a DSS git action answer (``logs``, ``messages`` or ``output``)."""
    lines = []
    for item in (result or {}).get("logs") or (result or {}).get("messages") or []:
        text = item.get("message") if isinstance(item, dict) else item
        if text and str(text).strip():
            lines.append(str(text).strip())
    if not lines:
        lines = [line.strip() for line in str((result or {}).get("output") or "").splitlines() if line.strip()]
    fatal = [line for line in lines if line.lower().startswith(("fatal", "error", "!", "hint: updates were"))]
    return " / ".join(fatal[:count] if fatal else lines[-count:]) or "no output"


def entry_of(entries, commit):
    """The entry of ``commit`` (a sha, maybe abbreviated) when a log from it starts with it, else None."""
    if entries and isinstance(entries[0], dict) and str(entries[0].get("commit") or "").startswith(commit.lower()):
        return commit_item(entries[0])
    return None


def commit_item(entry):
    """A log entry as the modules return it."""
    return {"commit": entry.get("commit"), "message": entry.get("shortMessage") or entry.get("message"),
            "author": entry.get("author") or entry.get("authorFullName")}


class ProjectGit:
    """One project's git through the module's client; every failure ends the module with a one-line message."""

    def __init__(self, module, project_key):
        self.module = module
        self.key = project_key
        self.git = module.client.get_project(project_key).get_project_git()

    def call(self, what, func, *args, **kwargs):
        with self.module.dss_errors("%s of project %s" % (what, self.key)):
            return func(*args, **kwargs)

    def run_action(self, what, func, *args, undo=None, happened=None):
        """A DSS git action answering {success, ...}: fail (with git's output) unless it succeeded; ``undo`` runs
        first when given (to put back what the task changed before it). With ``happened`` (reads only), the action
        goes through ``write_once``: after a failure in transit it is sent again only when ``happened()`` is false."""
        if happened is None:
            result = self.call(what, func, *args)
        else:
            result = self.module.write_once("%s of project %s" % (what, self.key), lambda: func(*args), happened)
        if isinstance(result, dict) and result.get("success") is False:
            if undo:
                undo()
            raise DssError(self.module.scrub("Failed to %s of project %s on %s: %s%s" % (
                what, self.key, self.module.url, last_lines(result),
                " (the previous remote was restored)" if undo else "")))
        return result

    # -- reads ----------------------------------------------------------------------------------------------------

    def status(self):
        return self.call("read the git status", self.git.get_status)

    def head(self):
        entries = self.call("read the git log", self.git.log, None, None, 1).get("entries") or []
        return entries[0].get("commit") if entries else None

    def branches(self, remote=False):
        return self.call("list the git branches", self.git.list_branches, remote) or []

    def commits(self, start, count):
        """Up to ``count`` log entries from ``start`` (a sha or ref name), newest first."""
        if count <= 0:
            return []
        entries = self.call("read the git log", self.git.log, None, start, count).get("entries") or []
        return [commit_item(e) for e in entries[:count]]

    def knows(self, commit):
        """Whether the repository holds ``commit`` (a log from it answers)."""
        return self.entry(commit) is not None

    def entry(self, commit):
        """The log entry of ``commit`` (a sha) as commits() gives it, or None when the repository does not hold it:
        one read."""
        return self.call("read the git log", self._entry, commit)

    def _entry(self, commit):
        try:
            entries = self.git.log(None, commit, 1).get("entries") or []
        except DataikuException as exc:
            if not self.refuses_unknown_commit(exc):
                raise
            return None  # DSS answers an unknown start commit with an error
        return entry_of(entries, commit)

    def refuses_unknown_commit(self, exc):
        """Whether the failed log ``exc`` is DSS refusing an unknown start commit (a proxy's 502/503/504 says nothing
        about the commit)."""
        return not self.module.is_transient(exc)

    @staticmethod
    def remote_of(status, name):
        for remote in status.get("remotes") or []:
            if remote.get("name") == name:
                return {"name": name, "url": remote.get("url")}
        return None

    @staticmethod
    def pending_files(status):
        files = []
        for field in ("added", "changed", "removed", "missing", "modified", "untracked", "conflicting"):
            files.extend(status.get(field) or [])
        return sorted(set(files))

    def tracking(self, status, remote, branch):
        """{ahead, behind, remote_branch} of ``branch`` against ``remote``/``branch`` as last fetched."""
        remote_branch = "%s/%s" % (remote, branch)
        exists = remote_branch in self.branches(remote=True)
        counts = status.get("trackingCount") or {}
        ahead = int(counts.get("ahead") or 0)
        behind = int(counts.get("behind") or 0) if exists else 0
        return {"ahead": ahead, "behind": behind, "remote_branch": remote_branch, "remote_branch_exists": exists}

    # -- actions --------------------------------------------------------------------------------------------------

    def commit(self, message):
        """Commit the pending changes once: after a failure in transit, a new head says the commit happened."""
        head = self.head()
        return self.module.write_once("commit the pending changes of project %s" % self.key,
                                      lambda: self.git.commit(message), lambda: self.head() != head)

    def push(self, branch, remote):
        """Push ``branch`` once: after a failure in transit, a remote-tracking branch level with the local one (git
        updates it on a push) says the push happened."""
        def pushed():
            tracking = self.tracking(self.status(), remote, branch)
            return tracking["remote_branch_exists"] and tracking["ahead"] == 0
        return self.run_action("push branch %s to %s" % (branch, remote), self.git.push, branch, happened=pushed)

    def fetch(self, remote, undo=None):
        # A fetch only updates the remote-tracking branches: sending it again after a lost answer is harmless.
        return self.run_action("fetch from remote %s" % remote, self.git.fetch, undo=undo, happened=lambda: False)
