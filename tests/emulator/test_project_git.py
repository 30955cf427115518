"""Project git through the official client (DSSProjectGit): every call, against local bare repositories as remotes.

A "reviewer" clone of the bare remote stands for GitHub: commits made there reach the project by pull.
"""

# pylint: disable=redefined-outer-name
import json
import os
import zipfile

import pytest
from dataikuapi.utils import DataikuException

from tests.support.git_remote import clone, commit_file, git, new_bare_remote


def new_project(client, key):
    return client.create_project(key, key, "admin")


@pytest.fixture
def project(client, request):
    return new_project(client, "G" + request.node.name.replace("test_", "").upper()[:28])


@pytest.fixture
def remote(tmp_path):
    return new_bare_remote(tmp_path)


def test_every_write_commits_as_the_api_user(project):
    repo = project.get_project_git()
    project.create_dataset("orders", "Filesystem", params={"connection": "filesystem_managed", "path": "x"})
    entries = repo.log()["entries"]
    assert entries[0]["author"] == "admin" and entries[0]["authorEmail"] == "admin@dss-emulator.local"
    assert "datasets/orders.json" in entries[0]["message"]
    assert len(entries[0]["commit"]) == 40
    status = repo.get_status()
    assert status["clean"] is True and status["hasUncommittedChanges"] is False
    assert status["currentBranch"] == "master" == repo.get_current_branch()
    # A save that changes nothing makes no commit.
    project.get_dataset("orders").get_settings().save()
    assert repo.log()["entries"][0]["commit"] == entries[0]["commit"]


def test_explicit_mode_leaves_changes_pending_until_commit(project):
    repo = project.get_project_git()
    settings = project.get_settings()
    settings.get_raw()["settings"]["gitCommitMode"] = "EXPLICIT"
    settings.save()
    head = repo.log(count=1)["entries"][0]["commit"]
    project.create_dataset("orders", "Filesystem", params={"connection": "filesystem_managed", "path": "x"})
    status = repo.get_status()
    assert status["untracked"] == ["datasets/orders.json"] and status["untrackedFolders"] == ["datasets"]
    assert status["modified"] == ["params.json"] and not status["clean"] and status["hasUncommittedChanges"]
    pending = repo.diff()
    assert pending["commitTo"] == {} and pending["commitFrom"]["commit"] == head
    assert sorted(e["path"] for e in pending["entries"]) == ["datasets/orders.json", "params.json"]
    assert pending["changedFiles"] == 2 and pending["addedLines"] > 0
    repo.commit("Add the orders dataset")
    assert repo.get_status()["clean"] is True
    assert repo.log(count=1)["entries"][0]["message"] == "Add the orders dataset"


def test_remote_set_get_remove(project, remote):
    repo = project.get_project_git()
    assert repo.get_remote() is None
    repo.set_remote(remote)
    assert repo.get_remote() == remote
    repo.set_remote("file://" + remote, name="backup")
    assert repo.get_status()["remotes"] == [{"name": "backup", "url": "file://" + remote},
                                            {"name": "origin", "url": remote}]
    repo.remove_remote("backup")
    assert repo.get_remote("backup") is None and repo.get_remote() == remote


def test_push_fetch_pull_follow_the_remote(project, remote, tmp_path):
    repo = project.get_project_git()
    repo.set_remote(remote)
    assert repo.get_status()["trackingCount"]["ahead"] >= 1  # nothing pushed yet
    pushed = repo.push()
    assert pushed["success"] is True, pushed
    assert repo.get_status()["trackingCount"] == {"ahead": 0, "behind": 0}
    assert "origin/master" in repo.list_branches(remote=True)
    # A reviewer adds a dataset on the remote.
    work = clone(remote, tmp_path / "review")
    commit_file(work, "datasets/reviewed.json", json.dumps({
        "name": "reviewed", "type": "Filesystem", "projectKey": project.project_key,
        "params": {"connection": "filesystem_managed", "path": "r"}}), "Reviewed: add a dataset")
    assert repo.fetch()["success"] is True
    assert repo.get_status()["trackingCount"] == {"ahead": 0, "behind": 1}
    assert "reviewed" not in [d["name"] for d in project.list_datasets()]
    pulled = repo.pull()
    assert pulled["success"] is True, pulled
    assert repo.log(count=1)["entries"][0]["commit"] == git(work, "rev-parse", "HEAD")
    assert "reviewed" in [d["name"] for d in project.list_datasets()]
    # A bundle exported afterwards carries the pulled content.
    project.export_bundle("after_pull")
    path = str(tmp_path / "after_pull.zip")
    project.download_exported_bundle_archive_to_file("after_pull", path)
    with zipfile.ZipFile(path) as archive:
        assert "project_config/datasets/reviewed.json" in archive.namelist()


def test_tracking_count_without_upstream_counts_against_the_fetched_remote_branch(client, project, remote):
    """The status's remotes and trackingCount in each state a promotion meets: no remote (every commit ahead), a
    remote not fetched yet (the same), a fetched remote branch the project does not track (counted against it, an
    unrelated history here), then an upstream set by a push."""
    repo = project.get_project_git()
    own = len(repo.log()["entries"])
    status = repo.get_status()
    assert status["remotes"] == [] and status["trackingCount"] == {"ahead": own, "behind": 0}
    other = new_project(client, project.project_key + "_O").get_project_git()
    other.set_remote(remote)
    assert other.push()["success"] is True
    theirs = len(other.log()["entries"])
    repo.set_remote(remote)
    status = repo.get_status()
    assert status["remotes"] == [{"name": "origin", "url": remote}]
    assert status["trackingCount"] == {"ahead": own, "behind": 0}
    assert repo.fetch()["success"] is True
    assert repo.get_status()["trackingCount"] == {"ahead": own, "behind": theirs}
    repo.set_remote(remote, name="backup")
    assert [r["name"] for r in repo.get_status()["remotes"]] == ["backup", "origin"]
    assert repo.get_status()["trackingCount"] == {"ahead": own, "behind": theirs}


def test_unreachable_remote_fails_with_logs(project, tmp_path):
    repo = project.get_project_git()
    repo.set_remote("file://" + str(tmp_path / "missing.git"))
    for result in (repo.fetch(), repo.push(), repo.pull()):
        assert result["success"] is False
        assert any("does not appear to be a git repository" in line for line in result["logs"]), result


def test_no_remote_fails_without_raising(project):
    result = project.get_project_git().fetch()
    assert result["success"] is False and "No remote" in result["output"]


def test_branches_create_switch_delete(project):
    repo = project.get_project_git()
    first = repo.log(count=1)["entries"][0]["commit"]
    created = repo.create_branch("feature")
    assert created["success"] is True and repo.get_current_branch() == "feature"
    project.create_dataset("only_on_feature", "Filesystem", params={"connection": "filesystem_managed", "path": "f"})
    assert sorted(repo.list_branches()) == ["feature", "master"]
    switched = repo.switch("master")
    assert switched["success"] is True and repo.get_current_branch() == "master"
    assert "only_on_feature" not in [d["name"] for d in project.list_datasets()]
    assert repo.checkout("feature")["success"] is True
    assert "only_on_feature" in [d["name"] for d in project.list_datasets()]
    repo.switch("master")
    with pytest.raises(DataikuException, match="not fully merged"):
        repo.delete_branch("feature")
    repo.delete_branch("feature", force_delete=True)
    assert repo.list_branches() == ["master"]
    assert repo.create_branch("from_first", commit=first)["success"] is True
    assert repo.log(count=1)["entries"][0]["commit"] == first
    unknown = repo.switch("no_such_branch")
    assert unknown["success"] is False and unknown["messages"]
    with pytest.raises(DataikuException, match="Unknown commit"):
        repo.create_branch("bad", commit="0" * 40)


def test_remote_branch_deletion(project, remote):
    repo = project.get_project_git()
    repo.set_remote(remote)
    repo.push()
    repo.create_branch("topic")
    repo.push("topic")
    assert "origin/topic" in repo.list_branches(remote=True)
    repo.switch("master")
    repo.delete_branch("origin/topic", remote=True, delete_remotely=True)
    assert git(remote, "branch", "--list", "topic") == ""
    repo.fetch()
    assert "origin/topic" not in repo.list_branches(remote=True)


def test_tags(project):
    repo = project.get_project_git()
    head = repo.log(count=1)["entries"][0]["commit"]
    repo.create_tag("v1")
    repo.create_tag("v1-annotated", message="First release")
    tags = {t["shortName"]: t for t in repo.list_tags()}
    assert tags["v1"] == {"name": "refs/tags/v1", "shortName": "v1", "commit": head, "annotations": {},
                          "readOnly": False}
    assert tags["v1-annotated"]["commit"] == head
    assert tags["v1-annotated"]["annotations"] == {"message": "First release"}
    repo.delete_tag("v1")
    assert [t["shortName"] for t in repo.list_tags()] == ["v1-annotated"]


def test_current_branch_is_what_git_names_it_even_when_a_tag_shares_its_name(design, project):
    """The status names the branch as `git symbolic-ref --short HEAD` does: heads/<name> once a tag takes <name>."""
    repo = project.get_project_git()
    path = os.path.join(design.data_dir, "git", project.project_key)
    assert repo.get_status()["currentBranch"] == "master" == git(path, "symbolic-ref", "--short", "HEAD")
    repo.create_tag("master")
    assert repo.get_status()["currentBranch"] == git(path, "symbolic-ref", "--short", "HEAD") == "heads/master"
    repo.delete_tag("master")
    assert repo.get_status()["currentBranch"] == "master"


def test_log_paging_and_path(project):
    repo = project.get_project_git()
    for n in range(3):
        project.create_dataset("d%d" % n, "Filesystem", params={"connection": "filesystem_managed", "path": "p"})
    page = repo.log(count=2)
    assert len(page["entries"]) == 2 and page["nextCommit"]
    rest = repo.log(start_commit=page["nextCommit"], count=100)
    assert "nextCommit" not in rest
    everything = [e["commit"] for e in page["entries"] + rest["entries"]]
    assert everything == [e["commit"] for e in repo.log()["entries"]]
    only = repo.log(path="datasets/d1.json")["entries"]
    assert len(only) == 1 and "d1" in only[0]["message"]


def test_diff_of_a_commit_and_between_commits(project):
    repo = project.get_project_git()
    project.create_dataset("a", "Filesystem", params={"connection": "filesystem_managed", "path": "a"})
    first = repo.log(count=1)["entries"][0]["commit"]
    project.get_dataset("a").delete()
    second = repo.log(count=1)["entries"][0]["commit"]
    made = repo.diff(first)
    assert made["commitTo"]["commit"] == first and made["entries"][0]["changeType"] == "ADD"
    assert made["entries"][0]["path"] == "datasets/a.json" and made["removedLines"] == 0
    between = repo.diff(first, second)
    assert between["commitFrom"]["commit"] == first and between["commitTo"]["commit"] == second
    assert between["entries"][0]["changeType"] == "DELETE" and between["entries"][0]["diff"].startswith("diff --git")


def test_revert_and_resets(project, remote):
    repo = project.get_project_git()
    repo.set_remote(remote)
    base = repo.log(count=1)["entries"][0]["commit"]
    repo.push()
    project.create_dataset("later", "Filesystem", params={"connection": "filesystem_managed", "path": "l"})
    added = repo.log(count=1)["entries"][0]["commit"]
    assert repo.revert_commit(added)["success"] is True
    assert "later" not in [d["name"] for d in project.list_datasets()]
    assert repo.revert_to_revision(added)["success"] is True
    assert "later" in [d["name"] for d in project.list_datasets()]
    assert repo.log(count=1)["entries"][0]["message"].startswith("Revert project to revision")
    repo.reset_to_upstream()
    assert repo.log(count=1)["entries"][0]["commit"] == base
    assert "later" not in [d["name"] for d in project.list_datasets()]
    settings = project.get_settings()
    settings.get_raw()["settings"]["gitCommitMode"] = "EXPLICIT"
    settings.save()
    project.create_dataset("pending", "Filesystem", params={"connection": "filesystem_managed", "path": "p"})
    repo.reset_to_head()
    assert "pending" not in [d["name"] for d in project.list_datasets()]
    assert repo.get_status()["clean"] is True
    with pytest.raises(DataikuException, match="Unknown commit"):
        repo.revert_commit("f" * 40)


def test_drop_and_rebuild_keeps_content_and_remotes(project, remote):
    repo = project.get_project_git()
    repo.set_remote(remote)
    with pytest.raises(Exception, match="i_know_what_i_am_doing"):
        repo.drop_and_rebuild()
    repo.drop_and_rebuild(i_know_what_i_am_doing=True)
    assert len(repo.log()["entries"]) == 1 and repo.get_remote() == remote


def test_git_refs_are_part_of_the_state_digest(design, project, remote):
    before = design.digest()
    project.get_project_git().set_remote(remote)
    assert design.digest() != before
    before = design.digest()
    project.get_project_git().get_status()
    assert design.digest() == before


def test_deleting_the_project_drops_its_repository(client, design):
    project = new_project(client, "GDROPPED")
    assert os.path.isdir(os.path.join(design.data_dir, "git", "GDROPPED", ".git"))
    project.delete()
    assert not os.path.exists(os.path.join(design.data_dir, "git", "GDROPPED"))


def test_log_and_diff_accept_abbreviated_commits_and_refuse_unknown_ones(project):
    """What the release notes of a deployment rely on: a bundle id names its commit by 12 characters."""
    repo = project.get_project_git()
    project.create_dataset("a", "Filesystem", params={"connection": "filesystem_managed", "path": "a"})
    first = repo.log(count=1)["entries"][0]["commit"]
    project.create_dataset("b", "Filesystem", params={"connection": "filesystem_managed", "path": "b"})
    second = repo.log(count=1)["entries"][0]["commit"]
    assert repo.log(start_commit=second[:12], count=1)["entries"][0]["commit"] == second
    assert [e["path"] for e in repo.diff(first[:12], second[:12])["entries"]] == ["datasets/b.json"]
    with pytest.raises(DataikuException, match="Unknown commit"):
        repo.log(start_commit="deadbeef0000", count=1)


def test_a_full_commit_id_is_found_loose_or_packed_and_refused_when_unknown(design, project):
    """Full ids, as the promotion's commit check sends them: known whether git keeps the commit as a loose object or
    in a pack (after gc), refused (404) when the repository lacks it."""
    repo = project.get_project_git()
    head = repo.log(count=1)["entries"][0]["commit"]
    unknown = ("0" if head[0] != "0" else "1") + head[1:]
    for packed in (False, True):
        if packed:
            path = os.path.join(design.data_dir, "git", project.project_key)
            git(path, "repack", "-a", "-d", "-q")  # into a pack, the loose objects removed
            assert not os.path.exists(os.path.join(path, ".git", "objects", head[:2], head[2:]))
        assert repo.log(start_commit=head, count=1)["entries"][0]["commit"] == head
        assert repo.log(start_commit=head.upper(), count=1)["entries"][0]["commit"] == head
        with pytest.raises(DataikuException, match="Unknown commit"):
            repo.log(start_commit=unknown, count=1)
