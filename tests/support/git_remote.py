"""Local git repositories standing in for GitHub in tests: a bare remote and clones that play the reviewer."""

import os
import subprocess

GIT_ENV = {"GIT_AUTHOR_NAME": "Reviewer", "GIT_AUTHOR_EMAIL": "reviewer@example.com",
           "GIT_COMMITTER_NAME": "Reviewer", "GIT_COMMITTER_EMAIL": "reviewer@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def git(repo, *args):
    """Run git in `repo`; returns its stripped stdout (raises on failure)."""
    return subprocess.run(["git", "-C", str(repo)] + list(args), env=dict(os.environ, **GIT_ENV), check=True,
                          capture_output=True, text=True).stdout.strip()


def new_bare_remote(parent, name="remote.git"):
    """An empty bare repository under `parent`; returns its path (usable as a remote URL)."""
    path = os.path.join(str(parent), name)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=master", path], check=True,
                   env=dict(os.environ, **GIT_ENV))
    return path


def clone(remote, dest):
    """A working clone of `remote` at `dest`; returns its path."""
    subprocess.run(["git", "clone", "--quiet", str(remote), str(dest)], check=True, capture_output=True,
                   env=dict(os.environ, **GIT_ENV))
    return str(dest)


def commit_file(work, rel, text, message, push=True):
    """Write a file in a clone, commit it and (by default) push to origin; returns the new commit sha."""
    full = os.path.join(str(work), rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as out:
        out.write(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", message)
    if push:
        git(work, "push", "-q", "origin", "HEAD")
    return git(work, "rev-parse", "HEAD")
