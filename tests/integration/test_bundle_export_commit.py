"""The bundle_export role ties the bundle to a commit of the design project (roles/bundle_export/tasks/commit.yml):
verify by default, pull or push on request, bundle id from the verified commit. Real ansible-playbook runs against
an emulated design node whose CHURN project has a local bare repository as its git remote."""

# pylint: disable=redefined-outer-name
import json
import shutil
import zipfile

import pytest
import yaml

from tests.integration.test_dataiku_project_git import non_fetch_writes
from tests.support import sample_project
from tests.support.git_remote import clone, commit_file, git, new_bare_remote
from tests.support.playbook import run_playbook, snapshot_task
from tests.support.real_node import real_node_or_none, require_emulator

KEY = sample_project.PROJECT_KEY
REVIEWED_DATASET = json.dumps({"name": "reviewed", "type": "PostgreSQL", "projectKey": KEY,
                               "params": {"connection": "pg_dev", "table": "reviewed"}})


@pytest.fixture(scope="module")
def pushed(node_pool, tmp_path_factory):
    """The CHURN project seeded and pushed to a bare remote once per module: the node saved, the remote copied as it
    was (``design`` puts both back for each test)."""
    node = real_node_or_none("design") or node_pool.checkout("design")
    require_emulator(node)
    folder = tmp_path_factory.mktemp("pushed")
    sample_project.seed_design_project(node.client())
    remote = new_bare_remote(folder)
    repo = node.client().get_project(KEY).get_project_git()
    repo.set_remote(remote)
    assert repo.push()["success"]
    node.snapshot(folder / "node")
    shutil.copytree(remote, folder / "pushed.git")
    return folder, remote


@pytest.fixture
def design(pushed, design_node):
    """The CHURN project pushed to a bare remote (``pushed`` restored: the node's state, the remote's files at the
    path the project's git names); returns (node, remote path)."""
    require_emulator(design_node)
    folder, remote = pushed
    design_node.restore(folder / "node")
    shutil.rmtree(remote)
    shutil.copytree(folder / "pushed.git", remote)
    return design_node, remote


VERIFY = "dataiku_gitops.dss.bundle_export : Verify that the design project holds the commit being promoted"


def assert_refused(result, node, *fragments, host=None):
    """The commit check failed (before any export) with one clean message per project holding the fragments (on the
    host ``host`` of an ``export_each`` run)."""
    assert result.rc != 0, result
    task = result.task(VERIFY, host)
    assert task["status"] == "failed", result
    msg = " ".join(item.get("msg", "") for item in task["result"]["results"] if item.get("failed"))
    for fragment in fragments:
        assert fragment in msg, msg
    assert "Traceback" not in msg and node.api_key not in result.output
    return msg


def export(playbook, node, tmp_path, check=False, **role_vars):
    play = {"name": "export", "hosts": "localhost", "gather_facts": False,
            "vars": dict({"dss_url": node.url, "dss_api_key": node.api_key, "dss_projects": [{"key": KEY}],
                          "dss_git_dir": str(tmp_path / "not-a-checkout")}, **role_vars),
            "roles": [{"role": "dataiku_gitops.dss.bundle_export"}]}
    return playbook(playbook=[play], check=check, diff=True)


def export_each(node, tmp_path, checks, **role_vars):
    """``export`` for several cases in ONE run: a local host per case, named after it, whose ``checks[host]`` says
    whether it runs in check mode."""
    hosts = {host: {"ansible_connection": "local", "export_check": check} for host, check in checks.items()}
    inventory = tmp_path / "export-inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    play = {"name": "export", "hosts": "all", "gather_facts": False, "check_mode": "{{ export_check }}",
            "vars": dict({"dss_url": node.url, "dss_api_key": node.api_key, "dss_projects": [{"key": KEY}],
                          "dss_git_dir": str(tmp_path / "not-a-checkout")}, **role_vars),
            "roles": [{"role": "dataiku_gitops.dss.bundle_export"}]}
    return run_playbook(tmp_path, playbook=[play], inventory=str(inventory), diff=True, name="export-each")


def export_run(node, tmp_path, plays, name="exports"):
    """Several exports of one test in ONE run, in order: each of ``plays`` (from ``play``) runs the role on a local
    host of its own (its tasks: ``result.task(name, host)``), then a snapshot_task "after <host>" records the node's
    state digest and counters. A failing play ends the run: only the last one may fail."""
    inventory = tmp_path / ("%s-inventory.yml" % name)
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        spec["host"]: {"ansible_connection": "local"} for spec in plays}}}))
    base = {"dss_url": node.url, "dss_api_key": node.api_key, "dss_projects": [{"key": KEY}],
            "dss_git_dir": str(tmp_path / "not-a-checkout")}
    return run_playbook(tmp_path, inventory=str(inventory), diff=True, name=name, playbook=[
        {"name": spec["host"], "hosts": spec["host"], "gather_facts": False, "check_mode": spec["check"],
         "vars": dict(base, **spec["vars"]), "pre_tasks": spec["pre_tasks"],
         "roles": [{"role": "dataiku_gitops.dss.bundle_export"}],
         "post_tasks": [snapshot_task("after " + spec["host"], node)]} for spec in plays])


def play(host, check=False, pre_tasks=(), **role_vars):
    """One play of ``export_run``: the role on ``host`` (in check mode if ``check``), after ``pre_tasks``."""
    return {"host": host, "check": check, "pre_tasks": list(pre_tasks), "vars": role_vars}


def ran_clean(result, host):
    """Every task of ``host`` in the run succeeded (the run's rc is the last play's)."""
    statuses = [t["status"] for t in result.tasks if t["host"] == host]
    return statuses and not {"failed", "unreachable"} & set(statuses)


def changed_on(result, host):
    return [t["task"] for t in result.tasks if t["host"] == host and t["status"] == "changed"]


def head(node):
    return node.client().get_project(KEY).get_project_git().log(count=1)["entries"][0]["commit"]


def bundle_ids(node):
    return [b["bundleId"] for b in node.client().get_project(KEY).list_exported_bundles()["bundles"]]


def test_export_names_the_bundle_after_the_verified_commit(design, playbook, tmp_path):
    node, _remote = design
    commit = head(node)
    # The export and its re-run in one run (a host each), a snapshot of the node after each.
    result = again = export_run(node, tmp_path, [play("export"), play("again")])
    assert result.rc == 0, result
    check = result.task(VERIFY, "export")["result"]["results"][0]
    assert (check["verified"], check["source"], check["commit"]) == (True, "remote_branch", commit)
    assert bundle_ids(node) == ["g" + commit[:12]]
    bundle = node.client().get_project(KEY).list_exported_bundles()["bundles"][0]
    message = node.client().get_project(KEY).get_project_git().log(count=1)["entries"][0]["shortMessage"]
    assert bundle["exportManifest"]["exportUserInfo"]["releaseNotes"] == "%s %s" % (commit, message)
    writes = len(non_fetch_writes(node, result.stats_at("after export")))
    digest = result.snapshot("after export")[0]
    assert again.rc == 0 and changed_on(again, "again") == [], again
    assert len(non_fetch_writes(node, again.stats_at("after again"))) == writes
    assert again.snapshot("after again")[0] == digest

    # The next reviewed commit: its bundle's release notes list the commits since the first bundle.
    sample_project.change_variable(node.client(), 45)
    assert node.client().get_project(KEY).get_project_git().push()["success"]
    second = head(node)
    assert export(playbook, node, tmp_path).rc == 0
    notes = [b for b in node.client().get_project(KEY).list_exported_bundles()["bundles"]
             if b["bundleId"] == "g" + second[:12]][0]["exportManifest"]["exportUserInfo"]["releaseNotes"]
    assert notes.startswith(second + " ") and "Changes since bundle g%s" % commit[:12] in notes, notes
    assert "- %s " % second[:7] in notes, notes


def test_mismatch_is_refused_naming_both_commits(design, tmp_path):
    node, remote = design
    project_head = head(node)
    reviewed = commit_file(clone(remote, tmp_path / "review"), "datasets/reviewed.json", REVIEWED_DATASET,
                           "Reviewed: add a dataset")
    digest = node.digest()
    result = export_each(node, tmp_path, {"check": True, "real": False})  # the plan and the real run, a host each
    for host in ("check", "real"):
        assert_refused(result, node, "Project CHURN is at %s" % project_head[:12],
                       "the commit being promoted is %s" % reviewed[:12], "head of origin/master",
                       "on_mismatch=pull", host=host)
        assert node.digest() == digest and bundle_ids(node) == []


def test_unknown_dss_commit_is_refused(design, playbook, tmp_path):
    node, _remote = design
    digest = node.digest()
    result = export(playbook, node, tmp_path, dss_commit="deadbeef" * 5)
    assert_refused(result, node, "Commit deadbeefdeadbeef", "is not in the git repository of project CHURN")
    assert node.digest() == digest and bundle_ids(node) == []


def test_pull_brings_the_reviewed_commit_then_exports_it(design, tmp_path):
    node, remote = design
    reviewed = commit_file(clone(remote, tmp_path / "review"), "datasets/reviewed.json", REVIEWED_DATASET,
                           "Reviewed: add a dataset")
    digest = node.digest()
    # The plan and the real run in one run (a host each), a snapshot of the node after each.
    check = real = export_run(node, tmp_path, [
        play("check", check=True, dss_commit_check="pull"),
        play("real", dss_commit_check="pull", dss_commit=reviewed, dss_bundle_download_dir=str(tmp_path))])
    assert check.rc == 0, check
    predicted = check.task(VERIFY, "check")
    assert predicted["changed"] is True and check.snapshot("after check")[0] == digest
    assert real.rc == 0, real
    assert head(node) == reviewed and bundle_ids(node) == ["g" + reviewed[:12]]
    with zipfile.ZipFile(str(tmp_path / ("%s-g%s.zip" % (KEY, reviewed[:12])))) as archive:
        assert "project_config/datasets/reviewed.json" in archive.namelist()


def test_push_mode_pushes_the_project_commits_and_stops(design, playbook, tmp_path):
    node, remote = design
    sample_project.change_variable(node.client(), 90)  # an auto-commit not on the remote yet
    local = head(node)
    result = export(playbook, node, tmp_path, dss_commit_check="push")
    assert_refused(result, node, "Pushed 1 commit(s) of project CHURN to origin/master", local[:12],
                   "stops until they are reviewed")
    assert git(remote, "rev-parse", "master") == local and bundle_ids(node) == []
    after_review = export(playbook, node, tmp_path)
    assert after_review.rc == 0 and bundle_ids(node) == ["g" + local[:12]]


def test_no_reviewed_commit_keeps_the_checkout_id_unless_required(design_node, tmp_path):
    require_emulator(design_node)
    sample_project.seed_design_project(design_node.client())  # no remote: nothing to verify against
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q")
    git(checkout, "commit", "-q", "--allow-empty", "-m", "unrelated")
    sha = git(checkout, "rev-parse", "HEAD")
    # Loose, then strict, in one run (a host each): the run's rc is the strict play's.
    loose = strict = export_run(design_node, tmp_path, [
        play("loose", dss_git_dir=str(checkout)), play("strict", dss_git_dir=str(checkout), dss_commit_required=True)])
    assert ran_clean(loose, "loose"), loose
    assert bundle_ids(design_node) == ["g" + sha[:12]]
    assert_refused(strict, design_node, "No commit to promote for project CHURN", host="strict")


def test_bulk_read_settles_a_verified_commit_and_leaves_the_rest_to_the_module(design, tmp_path):
    """bundle_export_bulk_read (as promote.yml runs the role): one dataiku_bundle_state_info read settles the
    projects whose HEAD is the commit being promoted, without starting dataiku_project_commit; a mismatch still
    goes to the module, which refuses it naming both commits."""
    node, remote = design
    commit = head(node)
    # The reviewed commit is ready in a clone; the run pushes it between its two exports (a pipe lookup in the
    # controller, before the second play's role), so one run holds the settled export and the refused one.
    review = clone(remote, tmp_path / "review")
    reviewed = commit_file(review, "datasets/reviewed.json", REVIEWED_DATASET, "Reviewed: add a dataset", push=False)
    push = {"name": "the reviewer pushes", "vars": {"push_command": "env GIT_CONFIG_GLOBAL=/dev/null "
                                                                    "GIT_CONFIG_NOSYSTEM=1 git -C %s push -q origin "
                                                                    "HEAD" % review},
            "ansible.builtin.set_fact": {"pushed": "{{ lookup('ansible.builtin.pipe', push_command) }}"}}
    result = refused = export_run(node, tmp_path, [play("settled", bundle_export_bulk_read=True),
                                                   play("refused", pre_tasks=[push], bundle_export_bulk_read=True)])
    assert ran_clean(result, "settled"), result
    assert result.task(VERIFY, "settled")["status"] == "skipped"
    read = result.task("dataiku_gitops.dss.bundle_export : Read the exported bundles and the commits of every "
                       "project at once", "settled")["result"]["projects"][KEY]["commit_check"]
    assert (read["settled"], read["verified"], read["source"], read["commit"]) == (True, True, "remote_branch", commit)
    assert git(remote, "rev-parse", "master") == reviewed  # pushed by the run, after the first export
    digest = result.snapshot("after settled")[0]
    assert_refused(refused, node, "Project CHURN is at %s" % commit[:12],
                   "the commit being promoted is %s" % reviewed[:12], "head of origin/master", host="refused")
    assert node.digest() == digest and bundle_ids(node) == ["g" + commit[:12]]
