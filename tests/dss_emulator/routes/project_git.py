"""Project git (client: DSSProjectGit in dataikuapi/dss/project.py): status, remotes, branches, tags, fetch/pull/push, log,
diff, commit, revert and reset on the project's real repository (project_git.py).

Every operation holds the store transaction, so the repository and the store move together; operations that change
the working tree load it back into the project (a dataset added on the remote appears after a pull). Network
commands (fetch, pull, push) answer {success, logs, output}: a remote that cannot be reached is `success: false`
with git's output, HTTP 200.
"""

import os
import tempfile

from flask import Blueprint, jsonify, request

from .. import git_files
from ..errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from ..project_git import DEFAULT_BRANCH, GitFailure, Repo, failure
from ..web import body_json, qbool, require_project, store

bp = Blueprint("project_git", __name__)

LOG_FORMAT = "%H%x1f%an%x1f%ae%x1f%at%x1f%s%x1f%B%x1e"


def _repo(key):
    require_project(key)
    repo = Repo(store(), key)
    repo.ensure()
    return repo


def _result(success, output, **extra):
    lines = [line for line in (output or "").splitlines() if line.strip()]
    out = {"success": success, "output": output or "", "logs": lines,
           "messages": [] if success else [{"severity": "ERROR", "message": line} for line in lines]}
    out.update(extra)
    return jsonify(out)


def _checkout(repo, args, done):
    """git checkout; on success the project becomes what the new HEAD holds."""
    try:
        repo.git("checkout", "--quiet", *args)
    except GitFailure as exc:
        return _result(False, exc.output)
    repo.load()
    return _result(True, done)


def _commit_or_fail(repo, ref, what="commit"):
    sha = repo.resolve(ref)
    if sha is None:
        raise DSSError("Unknown %s '%s' in the git repository of project %s" % (what, ref, repo.key),
                       NOT_FOUND, 404)
    return sha


def _param(name):
    """dataikuapi sends None parameters as absent; 'None' would be a client bug, treated as absent too."""
    value = request.args.get(name)
    return None if value in (None, "", "None") else value


# -- status, remotes ---------------------------------------------------------------------------------------------


def _porcelain(repo):
    lists = {k: [] for k in ("added", "changed", "removed", "missing", "modified", "conflicting", "untracked",
                             "untrackedFolders")}
    if git_files.is_clean(repo.path):  # what git status says of a clean project, read from the files (git_files.py)
        return lists
    for line in repo.git("status", "--porcelain=v1", "-uall").stdout.splitlines():
        index, work, path = line[0], line[1], line[3:]
        if line.startswith("??"):
            lists["untracked"].append(path)
            folder = path.rsplit("/", 1)[0] if "/" in path else None
            if folder and folder not in lists["untrackedFolders"]:
                lists["untrackedFolders"].append(folder)
            continue
        if "U" in (index, work) or (index, work) in (("A", "A"), ("D", "D")):
            lists["conflicting"].append(path)
            continue
        if index == "A":
            lists["added"].append(path)
        elif index in ("M", "R"):
            lists["changed"].append(path)
        elif index == "D":
            lists["removed"].append(path)
        if work == "M":
            lists["modified"].append(path)
        elif work == "D":
            lists["missing"].append(path)
    return lists


def tracking_count(repo, branch=None, remotes=None):
    """[INF] Commits ahead/behind the tracked remote branch; with none, every local commit is ahead. ``branch`` and
    ``remotes``: what the caller already read (see Repo.tracking_ref)."""
    ref = repo.tracking_ref(branch, remotes)
    if ref is None:
        return {"ahead": repo.commit_count(), "behind": 0}
    behind, ahead = repo.out("rev-list", "--left-right", "--count", "%s...HEAD" % ref).split()
    return {"ahead": int(ahead), "behind": int(behind)}


@bp.get("/projects/<key>/git/status")
def status(key):
    with store().transaction():
        repo = _repo(key)
        lists = _porcelain(repo)
        dirty = any(lists[k] for k in lists)
        branch, remotes = repo.branch(), repo.remotes()  # read once: the tracking count needs them too
        return jsonify(dict(lists, currentBranch=branch, remotes=remotes,
                            trackingCount=tracking_count(repo, branch, remotes), clean=not dirty,
                            hasUncommittedChanges=dirty,
                            originProjectKey=None, trackingCountWithOriginProject={"ahead": 0, "behind": 0}))


@bp.get("/projects/<key>/git/remotes/<name>")
def get_remote(key, name):
    with store().transaction():
        found = [r for r in _repo(key).remotes() if r["name"] == name]
    return jsonify(found[0] if found else {})


@bp.post("/projects/<key>/git/remotes/<name>")
def set_remote(key, name):
    body = body_json({})
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise DSSError("A remote needs a non-empty 'url'", ILLEGAL_ARGUMENT, 400)
    with store().transaction():
        repo = _repo(key)
        current = {r["name"]: r["url"] for r in repo.remotes()}
        if name not in current:
            repo.git("remote", "add", name, url)
        elif current[name] != url:
            repo.git("remote", "set-url", name, url)
    return jsonify({})


@bp.delete("/projects/<key>/git/remotes/<name>")
def remove_remote(key, name):
    with store().transaction():
        repo = _repo(key)
        if name in [r["name"] for r in repo.remotes()]:
            repo.git("remote", "remove", name)
    return jsonify({})


# -- branches, tags ------------------------------------------------------------------------------------------------


@bp.get("/projects/<key>/git/branches")
def list_branches(key):
    with store().transaction():
        repo = _repo(key)
        refs = ["refs/heads"] + (["refs/remotes"] if qbool("remote") else [])
        names = repo.out("for-each-ref", "--format=%(refname:short)", *refs).splitlines()
    return jsonify([n for n in names if n and not n.endswith("/HEAD")])


@bp.post("/projects/<key>/git/branches")
def create_branch(key):
    body = body_json({}) or {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise DSSError("A branch needs a 'name'", ILLEGAL_ARGUMENT, 400)
    if body.get("duplicateProject"):
        raise DSSError("[emulator] creating a branch in a duplicated project is not emulated", ILLEGAL_ARGUMENT, 400)
    with store().transaction():
        repo = _repo(key)
        start = _commit_or_fail(repo, body.get("commit")) if body.get("commit") else "HEAD"
        return _checkout(repo, ["-b", name, start], "Switched to a new branch '%s'" % name)


@bp.post("/projects/<key>/git/actions/deleteBranch")
def delete_branch(key):
    body = body_json({}) or {}
    name = body.get("name")
    with store().transaction():
        repo = _repo(key)
        try:
            if body.get("remote"):
                remote, _sep, branch = str(name).partition("/")
                if body.get("deleteRemotely"):
                    repo.git("push", "--quiet", remote, "--delete", branch)
                else:
                    repo.git("branch", "-d", "-r", name)
            else:
                repo.git("branch", "-D" if body.get("forceDelete") else "-d", name)
        except GitFailure as exc:
            raise DSSError("Cannot delete branch %s: %s" % (name, exc.output), ILLEGAL_ARGUMENT, 400) from exc
    return jsonify({})


@bp.get("/projects/<key>/git/current-branch")
def current_branch(key):
    with store().transaction():
        return jsonify({"name": _repo(key).branch()})


@bp.get("/projects/<key>/git/tags")
def list_tags(key):
    with store().transaction():
        repo = _repo(key)
        lines = repo.out("for-each-ref", "--format=%(refname)%1f%(refname:short)%1f%(objecttype)%1f"
                         "%(*objectname)%(objectname)%1f%(contents:subject)", "refs/tags").splitlines()
    tags = []
    for line in filter(None, lines):
        name, short, objtype, shas, subject = line.split("\x1f")
        commit = shas[:40]  # annotated: the peeled commit comes first
        tags.append({"name": name, "shortName": short, "commit": commit, "readOnly": False,
                     "annotations": {"message": subject} if objtype == "tag" else {}})
    return jsonify(tags)


@bp.post("/projects/<key>/git/tags")
def create_tag(key):
    body = body_json({}) or {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise DSSError("A tag needs a 'name'", ILLEGAL_ARGUMENT, 400)
    with store().transaction():
        repo = _repo(key)
        sha = _commit_or_fail(repo, body.get("reference") or "HEAD", "reference")
        args = ["-a", "-m", body["message"]] if body.get("message") else []
        try:
            repo.git("tag", *args, name, sha)
        except GitFailure as exc:
            raise DSSError("Cannot create tag %s: %s" % (name, exc.output), ILLEGAL_ARGUMENT, 400) from exc
    return jsonify({})


@bp.post("/projects/<key>/git/actions/deleteTag")
def delete_tag(key):
    name = (body_json({}) or {}).get("name")
    with store().transaction():
        repo = _repo(key)
        if not repo.ok("tag", "-d", str(name)):
            raise DSSError("Tag %s does not exist" % name, NOT_FOUND, 404)
    return jsonify({})


@bp.post("/projects/<key>/git/actions/switchBranch")
def switch_branch(key):
    name = _param("branchName")
    with store().transaction():
        return _checkout(_repo(key), [name or ""], "Switched to branch '%s'" % name)


# -- remote operations -------------------------------------------------------------------------------------------


@bp.post("/projects/<key>/git/actions/fetch")
def fetch(key):
    with store().transaction():
        repo = _repo(key)
        remotes = [r["name"] for r in repo.remotes()]
        if not remotes:
            return _result(False, "No remote is configured for the git repository of project %s" % key)
        proc = repo.git("fetch", "--prune", "--multiple", *remotes, check=False)
    return _result(proc.returncode == 0, (proc.stderr + proc.stdout).strip())


@bp.post("/projects/<key>/git/actions/pullRebase")
def pull(key):
    with store().transaction():
        repo = _repo(key)
        remote = repo.default_remote()
        branch = _param("branchName") or repo.branch()
        if remote is None:
            return _result(False, "No remote is configured for the git repository of project %s" % key)
        proc = repo.git("pull", "--rebase", remote, branch, check=False)
        if proc.returncode != 0:
            repo.git("rebase", "--abort", check=False)
            return _result(False, (proc.stderr + proc.stdout).strip())
        if repo.resolve("refs/remotes/%s/%s" % (remote, branch)) and branch == repo.branch():
            repo.git("branch", "--set-upstream-to=%s/%s" % (remote, branch), check=False)
        repo.load()
    return _result(True, (proc.stdout + proc.stderr).strip())


@bp.post("/projects/<key>/git/actions/push")
def push(key):
    with store().transaction():
        repo = _repo(key)
        remote = repo.default_remote()
        branch = _param("branchName") or repo.branch()
        if remote is None:
            return _result(False, "No remote is configured for the git repository of project %s" % key)
        proc = repo.git("push", "--set-upstream", remote, "%s:%s" % (branch, branch), check=False)
    return _result(proc.returncode == 0, (proc.stderr + proc.stdout).strip())


# -- history -------------------------------------------------------------------------------------------------------


def _entry(record):
    sha, name, email, when, subject, body = record.strip("\n").split("\x1f")
    return {"commit": sha, "author": name, "authorFullName": name, "authorEmail": email,
            "timestamp": int(when) * 1000, "message": body.strip() or subject, "shortMessage": subject}


@bp.get("/projects/<key>/git/actions/log")
def log(key):
    try:
        count = int(request.args.get("count") or 1000)
    except ValueError as exc:
        raise DSSError("'count' must be an integer", ILLEGAL_ARGUMENT, 400) from exc
    with store().transaction():
        repo = _repo(key)
        start = _commit_or_fail(repo, _param("startCommit")) if _param("startCommit") else "HEAD"
        path = _param("path")
        if start != "HEAD" and repo.head() is None:
            return jsonify({"entries": []})
        # The log from HEAD that every commit check reads: from the repository's files when they say it for sure.
        text = git_files.head_log(repo.path, count + 1) if start == "HEAD" and not path else None
        if text is None:
            args = ["log", "--format=" + LOG_FORMAT, "-n", str(count + 1), start] + (["--", path] if path else [])
            proc = repo.git(*args, check=False)
            if proc.returncode != 0:
                if repo.head() is None:  # no commit on HEAD yet: asked only after a failure (a log from HEAD is 1 call)
                    return jsonify({"entries": []})
                raise failure(proc)
            text = proc.stdout
        records = [r for r in text.strip().split("\x1e") if r.strip()]
    entries = [_entry(r) for r in records]
    out = {"entries": entries[:count]}
    if len(entries) > count:
        out["nextCommit"] = entries[count]["commit"]
    return jsonify(out)


def _commit_info(repo, sha):
    if sha is None:
        return {}
    return _entry(repo.out("log", "-1", "--format=" + LOG_FORMAT, sha))


def _diff_entries(repo, args, env=None):
    def run(*extra):
        return repo.git("diff", "--no-color", "--no-renames", *(list(extra) + args), env=env).stdout

    entries = []
    patches = {}
    for chunk in run().split("diff --git ")[1:]:
        path = chunk.split("\n", 1)[0].split(" b/", 1)[-1]
        patches[path] = "diff --git " + chunk
    status = dict(reversed(line.split("\t", 1)) for line in run("--name-status").splitlines() if line)
    for line in run("--numstat").splitlines():
        added, removed, path = line.split("\t", 2)
        entries.append({"path": path, "changeType": {"A": "ADD", "D": "DELETE"}.get(status.get(path), "MODIFY"),
                        "addedLines": int(added) if added.isdigit() else 0,
                        "removedLines": int(removed) if removed.isdigit() else 0,
                        "diff": patches.get(path, "")})
    return entries


@bp.get("/projects/<key>/git/actions/diff")
def diff(key):
    with store().transaction():
        repo = _repo(key)
        commit_from, commit_to = _param("commitFrom"), _param("commitTo")
        if commit_from and commit_to:
            sha_from, sha_to = _commit_or_fail(repo, commit_from), _commit_or_fail(repo, commit_to)
            args = [sha_from, sha_to]
        elif commit_from:
            sha_to = _commit_or_fail(repo, commit_from)
            sha_from = repo.resolve(sha_to + "^")
            args = [sha_from or "4b825dc642cb6eb9a060e54bf8d69288fbee4904", sha_to]  # the empty tree
        else:
            sha_from, sha_to = repo.head(), None
            args = ["--cached", "HEAD"]
        with tempfile.TemporaryDirectory() as tmp:
            env = None
            if sha_to is None:  # the working copy, untracked files included, staged in a throw-away index
                env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
                repo.git("read-tree", "HEAD", env=env)
                repo.git("add", "-A", env=env)
            entries = _diff_entries(repo, args, env)
        return jsonify({"commitFrom": _commit_info(repo, sha_from), "commitTo": _commit_info(repo, sha_to),
                        "addedLines": sum(e["addedLines"] for e in entries),
                        "removedLines": sum(e["removedLines"] for e in entries),
                        "changedFiles": len(entries), "entries": entries})


# -- commit, revert, reset -------------------------------------------------------------------------------------------


@bp.post("/projects/<key>/git/actions/commit")
def commit(key):
    body = body_json({}) or {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        raise DSSError("A commit needs a non-empty 'message'", ILLEGAL_ARGUMENT, 400)
    with store().transaction():
        _repo(key).commit_all(message)
    return jsonify({})


@bp.post("/projects/<key>/git/actions/revertToRevision")
def revert_to_revision(key):
    with store().transaction():
        repo = _repo(key)
        sha = _commit_or_fail(repo, _param("commit"))
        repo.git("read-tree", "--reset", "-u", sha)
        repo.git("clean", "-q", "-f", "-d")
        repo.load()
        if not repo.explicit():
            repo.commit_all("Revert project to revision %s" % sha[:12])
    return _result(True, "Reverted to %s" % sha)


@bp.post("/projects/<key>/git/actions/revertCommit")
def revert_commit(key):
    with store().transaction():
        repo = _repo(key)
        sha = _commit_or_fail(repo, _param("commit"))
        proc = repo.git("revert", "--no-edit", sha, check=False)
        if proc.returncode != 0:
            repo.git("revert", "--abort", check=False)
            return _result(False, (proc.stderr + proc.stdout).strip())
        repo.load()
    return _result(True, proc.stdout.strip())


@bp.post("/projects/<key>/git/actions/resetToLocalHeadState")
def reset_to_head(key):
    with store().transaction():
        repo = _repo(key)
        repo.git("reset", "--quiet", "--hard", "HEAD")
        repo.git("clean", "-q", "-f", "-d")
        repo.load()
    return jsonify({})


@bp.post("/projects/<key>/git/actions/resetToRemoteHeadState")
def reset_to_upstream(key):
    with store().transaction():
        repo = _repo(key)
        ref = repo.tracking_ref()
        if ref is None:
            raise DSSError("Branch %s of project %s tracks no remote branch" % (repo.branch(), key),
                           ILLEGAL_ARGUMENT, 400)
        repo.git("reset", "--quiet", "--hard", ref)
        repo.git("clean", "-q", "-f", "-d")
        repo.load()
    return jsonify({})


@bp.post("/projects/<key>/git/actions/dropAndRebuild")
def drop_and_rebuild(key):
    if not qbool("iKnowWhatIAmDoing"):
        raise DSSError("Confirm with iKnowWhatIAmDoing=true", ILLEGAL_ARGUMENT, 400)
    with store().transaction():
        repo = _repo(key)
        remotes = repo.remotes()
        repo.drop()
        repo.ensure()
        for remote in remotes:
            repo.git("remote", "add", remote["name"], remote["url"])
    return jsonify({"branch": DEFAULT_BRANCH})
