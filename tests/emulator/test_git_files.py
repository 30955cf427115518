"""The emulator's answers from a repository's files (tests/dss_emulator/git_files.py) against git's own: the same
text wherever it answers, and no answer (git runs) wherever the files alone could be read wrong."""

# pylint: disable=redefined-outer-name
import os
import subprocess

import pytest

from tests.dss_emulator import git_files
from tests.dss_emulator.routes.project_git import LOG_FORMAT

ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C",
           GIT_AUTHOR_NAME="admin", GIT_AUTHOR_EMAIL="admin@dss-emulator.local",
           GIT_COMMITTER_NAME="admin", GIT_COMMITTER_EMAIL="admin@dss-emulator.local")

MESSAGES = [
    "Project P created",
    "Auto-commit by admin: params.json, datasets/a.json and 2 more",
    "\n\n  Leading blank lines, indented subject  \nsecond line of the subject\t\n\nBody paragraph\n  indented\n\n",
    "Subject only, no newline at all",
    "Tabs\tinside\tthe subject\n\n\tand the body",
]


def git(path, *args, env=None):
    return subprocess.run(["git", "-C", str(path)] + list(args), env=env or ENV, check=True, capture_output=True,
                          text=True).stdout


def commit(path, message, name="f.txt"):
    with open(os.path.join(path, name), "a", encoding="utf-8") as out:
        out.write(message)
    git(path, "add", "-A")
    # --cleanup=verbatim: the message as given, so that odd layouts reach the object.
    git(path, "commit", "--quiet", "--cleanup=verbatim", "--allow-empty-message", "-m", message)


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "P"
    git(tmp_path, "init", "--quiet", "--template=", "--initial-branch=master", str(path))
    for message in MESSAGES:
        commit(str(path), message)
    return str(path)


def git_log(path, count):
    return git(path, "log", "--format=" + LOG_FORMAT, "-n", str(count), "HEAD")


def git_count(path):
    return int(git(path, "rev-list", "--count", "HEAD").strip())


def test_log_and_count_are_git_s_own(repo):
    for count in (1, 2, 3, len(MESSAGES), len(MESSAGES) + 3):
        assert git_files.head_log(repo, count) == git_log(repo, count)
    assert git_files.commit_count(repo) == git_count(repo) == len(MESSAGES)
    # Detached HEAD, and a branch with a remote section in the config.
    git(repo, "checkout", "--quiet", "HEAD~2")
    git(repo, "remote", "add", "origin", "/nowhere")
    assert git_files.head_log(repo, 2) == git_log(repo, 2)
    assert git_files.commit_count(repo) == git_count(repo) == len(MESSAGES) - 2


def test_merges_count_and_log_up_to_the_merge(repo):
    git(repo, "checkout", "--quiet", "-b", "side", "HEAD~1")
    commit(repo, "On the side", "side.txt")
    git(repo, "checkout", "--quiet", "master")
    git(repo, "merge", "--quiet", "--no-edit", "side")
    assert git_files.commit_count(repo) == git_count(repo) == len(MESSAGES) + 2
    assert git_files.head_log(repo, 1) == git_log(repo, 1)
    assert git_files.head_log(repo, 2) is None  # the entry after a merge follows git's date order: git answers


@pytest.mark.parametrize("change", ["gc", "non_ascii", "config", "grafts", "environment", "unborn", "packed_ref"])
def test_no_answer_where_the_files_could_mislead(repo, change, monkeypatch):
    assert git_files.head_log(repo, 2) is not None and git_files.commit_count(repo) is not None
    if change == "gc":
        git(repo, "gc", "--quiet")  # objects in a pack
    elif change == "non_ascii":
        commit(repo, "Caf\u00e9 cr\u00e8me")
    elif change == "config":
        git(repo, "config", "i18n.logOutputEncoding", "ISO-8859-1")
    elif change == "grafts":
        os.makedirs(os.path.join(repo, ".git", "info"), exist_ok=True)
        open(os.path.join(repo, ".git", "info", "grafts"), "w", encoding="ascii").close()
    elif change == "environment":
        monkeypatch.setenv("GIT_OBJECT_DIRECTORY", os.path.join(repo, ".git", "objects"))
    elif change == "unborn":
        git(repo, "checkout", "--quiet", "--orphan", "fresh")
    elif change == "packed_ref":
        git(repo, "pack-refs", "--all")
    assert git_files.head_log(repo, 2) is None and git_files.commit_count(repo) is None


def git_clean(path):
    return git(path, "status", "--porcelain=v1", "-uall") == ""


def test_clean_status_only_when_git_says_clean(repo):
    os.utime(os.path.join(repo, "f.txt"), ns=(1, 10 ** 9))  # older than the index: not racy
    git(repo, "status")  # git refreshes the index (what the emulator's own git status calls did)
    assert git_clean(repo) and git_files.is_clean(repo) is True
    changes = [
        ("modified", lambda: open(os.path.join(repo, "f.txt"), "a", encoding="ascii").write("more")),
        ("untracked", lambda: open(os.path.join(repo, "new.txt"), "w", encoding="ascii").write("x")),
        ("staged", lambda: (open(os.path.join(repo, "f.txt"), "a", encoding="ascii").write("more"),
                            git(repo, "add", "f.txt"))),
        ("deleted", lambda: os.unlink(os.path.join(repo, "f.txt"))),
        ("touched", lambda: os.utime(os.path.join(repo, "f.txt"))),  # same content, other stat data: git decides
    ]
    for name, change in changes:
        change()
        assert git_files.is_clean(repo) is None, name
        git(repo, "reset", "--quiet", "--hard")
        git(repo, "clean", "-fdq")
    # Racy: a file written in the same instant as the index (or after it) is left to git.
    os.utime(os.path.join(repo, "f.txt"), ns=(4 * 10 ** 18, 4 * 10 ** 18))
    git(repo, "status")
    assert git_files.is_clean(repo) is None
