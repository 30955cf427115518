"""Each project backed by a real git repository in <data dir>/git/<KEY> (git CLI), as DSS does.

One hook keeps the repositories in step with the store: after every committed store transaction that wrote a
project's configuration (project_git_files.TRACKED_KINDS), the project's files are rewritten and, in the default
auto-commit mode, committed, authored by the API key's user (the emulator has one user, `admin`, committing as
`admin <admin@dss-emulator.local>`). Explicit mode (project setting `settings.gitCommitMode` = `EXPLICIT` or
`EXPLICIT_COMMIT`) leaves the changes uncommitted in the working tree. Files that did not change cost no git call.
Git operations that move the working tree (pull, switch, reset, revert) load the files back into the store.
"""

import json
import os
import re
import shutil
import subprocess

from . import git_files, project_git_files
from .node import current_user

DEFAULT_BRANCH = "master"
FULL_SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
OBJECT_STORE_VARIABLES = {"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"}
EXPLICIT_MODES = ("EXPLICIT", "EXPLICIT_COMMIT")
NETWORK_TIMEOUT = 60
# Each commit, merge or fetch would start `git maintenance run --auto` (a second git process per API write); the node's
# repositories are small and their loose objects are what git_files.py reads without git.
NO_AUTO_MAINTENANCE = ("-c", "maintenance.auto=false")


class GitFailure(Exception):
    """A git command failed; `output` is what git printed."""

    def __init__(self, output):
        super().__init__(output)
        self.output = output


def failure(proc):
    """The GitFailure of a finished git command that failed."""
    return GitFailure((proc.stderr + proc.stdout).strip())


def author():
    login = current_user()
    return login, "%s@dss-emulator.local" % login


def _env():
    name, email = author()
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
               GIT_SSH_COMMAND="ssh -o BatchMode=yes -o ConnectTimeout=10", LC_ALL="C",
               GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    return env


def _same(rel, old, new):
    """JSON files compare by content, so a file pulled in another layout is not rewritten (and re-committed)."""
    if old is None or old == new:
        return old == new
    if rel.endswith(".json"):
        try:
            return json.loads(old) == json.loads(new)
        except ValueError:
            return False
    return False


class Repo:
    def __init__(self, st, key):
        self.st = st
        self.key = key
        self.path = os.path.join(st.data_dir, "git", key)

    # -- git CLI ---------------------------------------------------------------------------------------------

    def git(self, *args, check=True, timeout=NETWORK_TIMEOUT, env=None):
        proc = subprocess.run(["git", "-C", self.path, *NO_AUTO_MAINTENANCE, *args], capture_output=True, text=True,
                              env=dict(_env(), **(env or {})), timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise failure(proc)
        return proc

    def out(self, *args):
        return self.git(*args).stdout.strip()

    def ok(self, *args):
        return self.git(*args, check=False).returncode == 0

    # -- state -----------------------------------------------------------------------------------------------

    def exists(self):
        return os.path.isdir(os.path.join(self.path, ".git"))

    def explicit(self):
        doc = self.st.get("project", "", self.key) or {}
        return (doc.get("settings") or {}).get("gitCommitMode") in EXPLICIT_MODES

    def branch(self):
        return self._head_branch() or self.out("symbolic-ref", "--short", "-q", "HEAD")

    def _head_branch(self):
        """What `git symbolic-ref --short HEAD` answers, read from .git/HEAD without a git call when HEAD names a
        branch and no other ref could take its short name (git would then answer heads/<name>); else None."""
        git_dir = os.path.join(self.path, ".git")
        try:
            with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as fh:
                head = fh.read()
        except OSError:
            return None
        prefix = "ref: refs/heads/"
        name = head[len(prefix):-1] if head.startswith(prefix) and head.endswith("\n") else ""
        others = (name, "refs/" + name, "refs/tags/" + name, "refs/remotes/" + name, "packed-refs")
        if not name or any(os.path.lexists(os.path.join(git_dir, other)) for other in others):
            return None
        return name

    def head(self):
        proc = self.git("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return proc.stdout.strip() or None

    def resolve(self, ref):
        """Full sha of a commit-ish, or None."""
        if not ref or self._cannot_hold(ref):
            return None
        proc = self.git("rev-parse", "-q", "--verify", "%s^{commit}" % ref, check=False)
        return proc.stdout.strip() or None

    def _cannot_hold(self, ref):
        """True when ``ref`` is a full sha the repository surely lacks: no loose object of that name, no pack, and no
        other object store or replace ref where git could find it (what git would answer, without a git call: the
        promotion asks every project whether it holds the playbook checkout's commit)."""
        if not FULL_SHA_RE.match(ref) or os.environ.keys() & OBJECT_STORE_VARIABLES:
            return False
        git_dir = os.path.join(self.path, ".git")
        objects = os.path.join(git_dir, "objects")
        elsewhere = (os.path.join(objects, ref[:2].lower(), ref[2:].lower()),
                     os.path.join(objects, "info", "alternates"), os.path.join(git_dir, "refs", "replace"),
                     os.path.join(git_dir, "packed-refs"))
        if any(os.path.lexists(path) for path in elsewhere):  # the object, or a place git could find it through
            return False
        try:
            return not any(name.endswith(".pack") for name in os.listdir(os.path.join(objects, "pack")))
        except FileNotFoundError:
            return True

    def _config_has(self, section):
        """Whether the repository's config may set ``section`` (a header of it, or an include that could hold one).
        git runs with no global or system config (_env), so without either the answer of a git call that only
        depends on that section is known: the reads that the promotion sends for every project skip those calls."""
        try:
            with open(os.path.join(self.path, ".git", "config"), encoding="utf-8") as fh:
                headers = [line.strip().lower() for line in fh if line.lstrip().startswith("[")]
        except OSError:
            return True  # let git answer (and fail as it does)
        return any(header.startswith(("[" + section, "[include")) for header in headers)

    def remotes(self):
        legacy = any(os.path.exists(os.path.join(self.path, ".git", name)) for name in ("remotes", "branches"))
        if not legacy and not self._config_has("remote"):
            return []  # what `git remote` lists without a remote section
        names = [n for n in self.out("remote").splitlines() if n]
        return [{"name": n, "url": self.out("remote", "get-url", n)} for n in names]

    def default_remote(self, remotes=None):
        """``remotes``: what remotes() just answered, when the caller has it (one git call fewer)."""
        names = [r["name"] for r in (self.remotes() if remotes is None else remotes)]
        return "origin" if "origin" in names else (names[0] if names else None)

    def commit_count(self):
        """Commits reachable from HEAD, 0 without a commit yet (from the repository's files where they say it for
        sure, git_files.py)."""
        count = git_files.commit_count(self.path)
        if count is not None:
            return count
        proc = self.git("rev-list", "--count", "HEAD", check=False)
        if proc.returncode == 0:
            return int(proc.stdout.strip())
        if self.head() is None:  # asked only after a failure: the usual answer costs one git call
            return 0
        raise failure(proc)

    def tracking_ref(self, branch=None, remotes=None):
        """The remote-tracking ref the branch follows: its upstream, else <remote>/<branch> when fetched.
        ``remotes``: as for default_remote()."""
        branch = branch or self.branch()
        upstream = ""  # a branch has an upstream only through its branch.<name> config section
        if self._config_has("branch"):
            upstream = self.git("rev-parse", "--abbrev-ref", "-q", "%s@{upstream}" % branch,
                                check=False).stdout.strip()
        if upstream:
            return upstream
        remote = self.default_remote(remotes)
        if remote and self.resolve("refs/remotes/%s/%s" % (remote, branch)):
            return "%s/%s" % (remote, branch)
        return None

    # -- sync with the store ---------------------------------------------------------------------------------

    def ensure(self):
        """Create the repository (first commit: the project as it is) if it does not exist yet."""
        if self.exists():
            return
        os.makedirs(self.path, exist_ok=True)
        self.git("init", "--quiet", "--template=", "--initial-branch=" + DEFAULT_BRANCH)  # no sample hooks to copy
        self.write_tree()
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", "Project %s created" % self.key)

    def _tree_files(self):
        found = {}
        for root, dirs, names in os.walk(self.path):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in names:
                full = os.path.join(root, name)
                found[os.path.relpath(full, self.path)] = full
        return found

    def read_tree(self):
        out = {}
        for rel, full in self._tree_files().items():
            with open(full, encoding="utf-8") as fh:
                out[rel] = fh.read()
        return out

    def write_tree(self):
        """Rewrite the files that differ from the store; returns the changed paths."""
        wanted = project_git_files.files(self.st, self.key)
        present = self.read_tree()
        changed = []
        for rel, text in wanted.items():
            if not _same(rel, present.get(rel), text):
                full = os.path.join(self.path, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8") as fh:
                    fh.write(text)
                changed.append(rel)
        for rel in set(present) - set(wanted):
            os.unlink(os.path.join(self.path, rel))
            changed.append(rel)
        return sorted(changed)

    def commit_all(self, message):
        """Stage everything and commit (two git calls); False when there was nothing to commit."""
        self.git("add", "-A")
        proc = self.git("commit", "--quiet", "-m", message, check=False)
        if proc.returncode != 0 and self.ok("diff", "--cached", "--quiet"):
            return False
        if proc.returncode != 0:
            raise GitFailure((proc.stderr + proc.stdout).strip())
        return True

    def sync(self):
        """The hook's work for one project: files follow the store; auto mode commits them."""
        if not self.exists():
            self.ensure()
            return
        changed = self.write_tree()
        if changed and not self.explicit():
            shown = ", ".join(changed[:3]) + (" and %d more" % (len(changed) - 3) if len(changed) > 3 else "")
            self.commit_all("Auto-commit by %s: %s" % (author()[0], shown))

    def load(self):
        """After git moved the working tree: the store holds what the files say."""
        project_git_files.load(self.st, self.key, self.read_tree())

    def drop(self):
        shutil.rmtree(self.path, ignore_errors=True)


def after_commit(st, touched):
    """Store hook: bring the repository of every project whose configuration was written in step with it."""
    keys = set()
    for kind, scope, id_ in touched:
        if kind is None:
            keys.add(scope)
        elif kind == "project":
            keys.add(id_)
        elif kind in project_git_files.TRACKED_KINDS:
            keys.add(scope)
    for key in sorted(k for k in keys if k):
        repo = Repo(st, key)
        if st.get("project", "", key) is None:
            repo.drop()
        else:
            repo.sync()


def refs_digest(st):
    """Refs, HEAD and remotes of every repository, read from files (no git call): part of the state digest.

    Remote-tracking refs are left out: like FETCH_HEAD they cache what the remote holds (a fetch, which modules
    also do in check mode, refreshes them) and are not state of the node."""
    root = os.path.join(st.data_dir, "git")
    out = {}
    if not os.path.isdir(root):
        return out
    for key in sorted(os.listdir(root)):
        gitdir = os.path.join(root, key, ".git")
        entries = {}
        for rel in ("HEAD", "config", "packed-refs"):
            path = os.path.join(gitdir, rel)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    entries[rel] = "".join(line for line in fh if " refs/remotes/" not in line)
        for base, dirs, names in os.walk(os.path.join(gitdir, "refs")):
            dirs[:] = [d for d in dirs if os.path.join(base, d) != os.path.join(gitdir, "refs", "remotes")]
            for name in names:
                path = os.path.join(base, name)
                with open(path, encoding="utf-8") as fh:
                    entries[os.path.relpath(path, gitdir)] = fh.read()
        out[key] = entries
    return out


def install(st):
    st.after_commit = lambda touched: after_commit(st, touched)
    st.extra_digest = lambda: refs_digest(st)
