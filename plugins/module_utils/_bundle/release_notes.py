# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a promotion changes, read from the design project's git: the commits and files between the commit of the
bundle a target runs and the commit of the new bundle (RV(changes) of dataiku_bundle_deploy and of dataiku_bundle
state=exported, and the default release notes of an export).

A bundle names its commit in its release notes (bundle_export writes ``<sha> <subject>``) or in its id (``g`` + 12
hex characters, ``git-<sha>``...). Every such hint is checked against the project's git log. A bundle that names no
commit of the project, or a git history that cannot be read, gives a ``note`` instead of a failure: release notes
never stop a promotion. Reads only (``DSSProjectGit.log`` with paging, ``DSSProjectGit.diff``).
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.listing import describe
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import read_source_bundles, source_client
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException

MAX_COMMITS = 50
MAX_FILES = 200
MAX_SCAN = 1000  # commits walked looking for the other bundle's commit before giving up
PAGE = 200
NOTES_COMMITS = 20  # in default release notes
SUBJECT_LENGTH = 72

FULL_SHA_RE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{40}(?![0-9a-fA-F])")
LEADING_SHA_RE = re.compile(r"^\s*([0-9a-fA-F]{7,40})(?![0-9a-zA-Z])")
ID_SHA_RE = re.compile(r"(?:^|[^0-9a-fA-F])([0-9a-fA-F]{7,40})$")
COMMIT_ID_PREFIXES = ("g", "git-", "git_", "git")  # bundle ids made of these and a sha name a commit even when all digits
CHANGE_LETTERS = {"ADD": "A", "ADDED": "A", "DELETE": "D", "DELETED": "D", "REMOVED": "D", "RENAME": "R",
                  "RENAMED": "R", "COPY": "C"}


def commit_hints(bundle_id, release_notes):
    """Commit ids (full or abbreviated, lower case) a bundle may name, most explicit first: a full sha in its release
    notes, a sha the notes start with, then the hex tail of its id. An all-digit id tail (a date, a version) is no
    hint, unless it follows ``g`` or ``git-`` alone (a sha prefix may be all digits)."""
    hints = []
    if isinstance(release_notes, str):
        hints += FULL_SHA_RE.findall(release_notes)[:1]
        leading = LEADING_SHA_RE.match(release_notes)
        if leading:
            hints.append(leading.group(1))
    tail = ID_SHA_RE.search(bundle_id or "")
    if tail and (not tail.group(1).isdigit() or bundle_id[:tail.start(1)].lower() in COMMIT_ID_PREFIXES):
        hints.append(tail.group(1))
    unique = []
    for hint in (h.lower() for h in hints):
        if hint not in unique:
            unique.append(hint)
    return unique


def bundle_hints(entries, bundle_id):
    """Commit hints of ``bundle_id``, reading its release notes from a bundle listing when it is there."""
    for entry in entries or []:
        if entry.get("bundleId") == bundle_id:
            return commit_hints(bundle_id, describe(entry)["release_notes"])
    return commit_hints(bundle_id, None)


def _date(entry):
    value = entry.get("timestamp", entry.get("time", entry.get("date")))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000.0 if value > 10 ** 11 else value  # DSS gives epoch milliseconds
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value if isinstance(value, str) else None


def commit_entry(entry):
    """A git log entry as the release notes list it."""
    message = entry.get("shortMessage") or (entry.get("message") or "").strip().split("\n", 1)[0]
    return {"commit": entry.get("commit"), "author": entry.get("author") or entry.get("authorFullName"),
            "date": _date(entry), "message": message}


def file_entry(entry):
    """A git diff entry as the release notes list it (``change``: DSS's change type, e.g. ADD, MODIFY, DELETE)."""
    path = entry.get("path") or entry.get("newPath") or entry.get("oldPath") or entry.get("file")
    return {"path": path, "change": entry.get("changeType") or entry.get("type")}


def empty(project_key, from_bundle_id, to_bundle_id):
    return dict(project_key=project_key, from_bundle_id=from_bundle_id, to_bundle_id=to_bundle_id, from_commit=None,
                to_commit=None, direction=None, commits=[], files=[], added_lines=None, removed_lines=None,
                truncated=False, note=None)


class History:
    """Log and diff of one project's git (a ``DSSProjectGit``)."""

    def __init__(self, project_git, project_key):
        self.git = project_git
        self.key = project_key

    def page(self, start, count):
        answer = self.git.log(None, start, count) or {}
        return list(answer.get("entries") or []), answer.get("nextCommit")

    def first_page(self, hints, count):
        """(first log page, nextCommit) from the first hint that is a commit of the project (``None`` as a hint is
        HEAD), else (None, None)."""
        for hint in hints:
            try:
                entries, next_commit = self.page(hint, count)
            except DataikuException:
                continue  # DSS answers a start commit it does not hold with an error
            if entries and (hint is None or (entries[0].get("commit") or "").lower().startswith(hint)):
                return entries, next_commit
        return None, None

    def walk_until(self, entries, next_commit, stop_hints):
        """Walk the log from a first page: (entries before the stop commit, the stop entry or None), scanning at most
        MAX_SCAN commits."""
        seen = []
        while True:
            for entry in entries:
                sha = (entry.get("commit") or "").lower()
                if any(sha.startswith(hint) for hint in stop_hints):
                    return seen, entry
                seen.append(entry)
                if len(seen) >= MAX_SCAN:
                    return seen, None
            if not next_commit:
                return seen, None
            entries, next_commit = self.page(next_commit, PAGE)

    def diff(self, commit_from, commit_to):
        return self.git.diff(commit_from, commit_to) or {}


def _unmapped(bundle_id, hints, project_key):
    if not hints:
        return ("Bundle %s names no commit (no commit id in its id or release notes), so the commits it brings are not "
                "known." % bundle_id)
    return ("Bundle %s names commit %s, which is not in the git repository of design project %s, so the commits it "
            "brings are not known." % (bundle_id, " or ".join(h[:12] for h in hints), project_key))


def _list(out, commits):
    out["commits"] = [commit_entry(e) for e in commits[:MAX_COMMITS]]
    out["truncated"] = out["truncated"] or len(commits) > MAX_COMMITS


def _first_page(history, bundle, out):
    """(first log page, nextCommit) from the commit ``bundle`` = (id, hints) names; None (and the note) when none."""
    entries, next_commit = history.first_page(bundle[1], MAX_COMMITS + 1)
    if entries is None:
        out["note"] = _unmapped(bundle[0], bundle[1], history.key)
        return None
    return entries, next_commit


def _fill(history, old, new, out):
    start = _first_page(history, new, out)
    if start is None:
        return
    first, next_commit = start
    out["to_commit"] = first[0]["commit"]
    if old is None:
        _list(out, first)
        out["truncated"] = out["truncated"] or bool(next_commit)
        out["note"] = "No earlier bundle to compare with: the commits are the history up to %s." % out["to_commit"][:12]
        return
    seen, stop = history.walk_until(first, next_commit, old[1]) if old[1] else ([], None)
    if stop is not None:
        out.update(from_commit=stop["commit"], direction="same" if not seen else "forward")
        _list(out, seen)
    else:
        back = _first_page(history, old, out)
        if back is None:
            return
        out["from_commit"] = back[0][0]["commit"]
        seen, stop = history.walk_until(back[0], back[1], [out["to_commit"].lower()])
        if stop is not None:
            out["direction"] = "backward"  # a roll-back: the commits listed are the ones the target loses
            _list(out, seen)
        else:
            out["direction"] = "diverged"
            out["note"] = ("Neither %s nor %s is within the %d commits before the other: only the files changed are "
                           "listed." % (out["from_commit"][:12], out["to_commit"][:12], MAX_SCAN))
    if out["direction"] != "same":
        answer = history.diff(out["from_commit"], out["to_commit"])
        files = [file_entry(e) for e in answer.get("entries") or [] if isinstance(e, dict)]
        out["files"] = files[:MAX_FILES]
        out["truncated"] = out["truncated"] or len(files) > MAX_FILES
        out.update(added_lines=answer.get("addedLines"), removed_lines=answer.get("removedLines"))


def changes_between(history, old, new):
    """The changes from bundle ``old`` to bundle ``new``, each ``(bundle_id, hints)``; ``old`` None when there is no
    earlier bundle; ``new`` hints ``[None]`` for the project's HEAD. Never raises for a read that fails."""
    out = empty(history.key, old[0] if old else None, new[0])
    try:
        _fill(history, old, new, out)
    except Exception as exc:  # pylint: disable=broad-except
        # Release notes are information: a git API that is missing or refuses the key must not stop a deployment.
        reason = str(exc).strip().split("\n", 1)[0][:300]
        out.update(commits=[], files=[], truncated=False, direction=None, added_lines=None, removed_lines=None,
                   note="Could not read the git history of design project %s: %s" % (history.key, reason))
    return out


def unavailable(project_key, from_bundle_id, to_bundle_id, note):
    out = empty(project_key, from_bundle_id, to_bundle_id)
    out["note"] = note
    return out


# -- what the modules call ---------------------------------------------------------------------------------------


def deploy_changes(module, source, active, active_entries, bundle_id):
    """Changes from the bundle ``active`` on an automation node (its listing ``active_entries``) to ``bundle_id``,
    read on the design node ``source`` (the validated option, or None)."""
    key = source["project_key"] if source else module.params["project_key"]
    if not source:
        return unavailable(key, active, bundle_id, "No design node (source) to read the git history from: set source "
                                                   "to get the commits this deployment brings.")
    old = (active, bundle_hints(active_entries, active)) if active else None
    new_hints = bundle_hints(active_entries, bundle_id)
    client = source_client(module, source)
    if bundle_id not in [e.get("bundleId") for e in active_entries or []]:
        # Not imported yet: its release notes are on the design node (not yet there in a plan: the id alone), read
        # already by the import's plan.
        exported = read_source_bundles(module, source)
        try:
            if exported is None:
                exported = client.get_project(key).list_exported_bundles()
                exported = exported.get("bundles") if isinstance(exported, dict) else exported
            new_hints = bundle_hints(exported, bundle_id)
        except Exception:  # pylint: disable=broad-except
            pass  # the git reads below report an unreachable design node
    history = History(client.get_project(key).get_project_git(), key)
    return scrubbed(module, changes_between(history, old, (bundle_id, new_hints)))


def export_changes(module, client, project_key, entries, bundle_id):
    """Changes from the newest exported bundle of a design project (``entries``, oldest first) to its HEAD, which
    the bundle ``bundle_id`` about to be exported captures."""
    previous = [e for e in entries if e.get("bundleId") != bundle_id]
    old = (previous[-1]["bundleId"], bundle_hints(previous, previous[-1]["bundleId"])) if previous else None
    history = History(client.get_project(project_key).get_project_git(), project_key)
    return scrubbed(module, changes_between(history, old, (bundle_id, [None])))


def scrubbed(module, changes):
    if changes["note"]:
        changes["note"] = module.scrub(changes["note"])
    return changes


# -- how they show it ------------------------------------------------------------------------------------------------


def commit_line(commit):
    return "%s %s (%s, %s)" % ((commit["commit"] or "")[:7], commit["message"] or "", commit["author"] or "unknown",
                               (commit["date"] or "")[:10])


def file_line(item):
    return "%s %s" % (CHANGE_LETTERS.get(str(item["change"] or "").upper(), "M"), item["path"])


def diff_view(changes):
    """(before, after) entries for a module's diff: the commit each side runs, the commits that come in (listed in
    ``after``) or go away on a roll-back (listed in ``before``), the files changed, and the note."""
    if changes is None:
        return None, None
    before = {"commit": changes["from_commit"][:12] if changes["from_commit"] else None}
    after = {"commit": changes["to_commit"][:12] if changes["to_commit"] else None}
    lines = [commit_line(c) for c in changes["commits"]]
    if changes["truncated"]:
        lines.append("... (truncated: at most %d commits and %d files are listed)" % (MAX_COMMITS, MAX_FILES))
    if lines:
        (before if changes["direction"] == "backward" else after)["commits"] = lines
    if changes["files"]:
        after["files_changed"] = [file_line(f) for f in changes["files"]]
    if changes["note"]:
        after["note"] = changes["note"]
    return before, after


def add_to_diff(before, after, changes):
    """Put ``changes`` under the key ``changes`` of a module's before/after dicts (in place)."""
    part_before, part_after = diff_view(changes)
    if part_before is not None:
        before["changes"], after["changes"] = part_before, part_after


def default_release_notes(changes):
    """Release notes for an export given none: ``<sha> <subject>`` of the commit exported (so later deployments map
    the bundle to it), then up to NOTES_COMMITS commits since the previous bundle. DSS takes the notes in the query
    string of the export request, hence the short form (no files, subjects cut)."""
    if not changes["to_commit"]:
        return None
    commits = changes["commits"]
    head = commits[0]["message"] if commits and commits[0]["commit"] == changes["to_commit"] else ""
    lines = [("%s %s" % (changes["to_commit"], head or "")).strip()]
    if changes["from_commit"] and changes["direction"] == "forward":
        lines += ["", "Changes since bundle %s (%s):" % (changes["from_bundle_id"], changes["from_commit"][:12])]
        lines += ["- %s %s" % (c["commit"][:7], (c["message"] or "")[:SUBJECT_LENGTH]) for c in commits[:NOTES_COMMITS]]
        if len(commits) > NOTES_COMMITS or changes["truncated"]:
            lines.append("- ... (more commits)")
    return "\n".join(lines)
