"""dataiku_project_git and dataiku_project_git_info through ansible-playbook against an emulated design node, with
a local bare repository as the project's remote and a clone of it playing the reviewer (GitHub)."""

# pylint: disable=redefined-outer-name
import json

import pytest

from tests.integration.test_dataiku_project import assert_clean_failure, conn, diff_lines, module_design_node
from tests.support import sample_project
from tests.support.git_remote import clone, commit_file, git, new_bare_remote
from tests.support.playbook import run_cases, run_playbook, snapshot_steps, snapshot_task
from tests.support.real_node import require_emulator

MODULE = "dataiku_gitops.dss.dataiku_project_git"
INFO = "dataiku_gitops.dss.dataiku_project_git_info"
KEY = sample_project.PROJECT_KEY


@pytest.fixture
def design(design_node):
    require_emulator(design_node)
    sample_project.seed_design_project(design_node.client())
    return design_node


@pytest.fixture
def remote(tmp_path):
    return new_bare_remote(tmp_path)


def git_task(node, title="git", check_mode=None, **args):
    task = {"name": title, MODULE: dict(conn(node), project_key=KEY, **args)}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def info_task(node, **args):
    return {"name": "info", INFO: dict(conn(node), project_key=KEY, **args)}


def project_git(node):
    return node.client().get_project(KEY).get_project_git()


def pushed(node, remote):
    """The state a first run of state=pushed leaves (remote set, project pushed, remote-tracking refs fetched),
    seeded through the client: set-up without an ansible-playbook start. True when the push and fetch succeeded."""
    git_handle = project_git(node)
    git_handle.set_remote(remote)
    return git_handle.push()["success"] and git_handle.fetch()["success"]


def non_fetch_writes(node, stats=None):
    """Write requests other than fetch (a fetch only refreshes remote-tracking refs), in the node's stats now or in
    ``stats`` (those a snapshot_task recorded: ``result.stats_at(name)``)."""
    calls = (stats or node.stats())["calls"]
    return [c for c in calls if c.split()[0] in ("POST", "PUT", "DELETE") and not c.endswith("/git/actions/fetch")]


@pytest.fixture(scope="module")
def first_push(node_pool, tmp_path_factory):
    """On a seeded project without a remote, ONE run: the info, then snapshot_steps of the push to a new remote
    planned, done, done again and done again without fetch. Gives a dict: node, remote, head (the project's before
    the run), result."""
    node = module_design_node(node_pool)
    sample_project.seed_design_project(node.client())
    remote = new_bare_remote(tmp_path_factory.mktemp("first-push"))
    head = project_git(node).log(count=1)["entries"][0]["commit"]
    task = git_task(node, remote_url=remote, state="pushed")
    result = run_playbook(tmp_path_factory.mktemp("first-push-run"), diff=True, tasks=[
        dict(info_task(node), name="info before")] + snapshot_steps(
        node,
        dict(task, name="check", check_mode=True), task, dict(task, name="again"),
        git_task(node, "no fetch", remote_url=remote, state="pushed", fetch=False)))
    return {"node": node, "remote": remote, "head": head, "result": result}


def test_set_remote_and_push_check_real_idempotent(first_push):
    """The plan, the real run, the re-run and a re-run without fetch in one run, snapshots between them."""
    design, remote, head = first_push["node"], first_push["remote"], first_push["head"]
    run = check = real = again = no_fetch = first_push["result"]
    assert check.rc == 0, check
    predicted = check.task("check")["result"]
    assert predicted["changed"] is True
    assert run.snapshot("after check") == run.snapshot("start")
    assert predicted["diff"]["before"]["remote"] == {"name": "origin", "url": None}
    assert predicted["diff"]["after"]["remote"] == {"name": "origin", "url": remote}

    assert real.rc == 0, real
    done = real.task("git")["result"]
    assert (done["changed"], done["diff"]) == (True, predicted["diff"])
    assert git(remote, "rev-parse", "master") == head == done["head"]
    assert (done["ahead"], done["behind"], done["remote"]["url"]) == (0, 0, remote)
    assert done["commits_to_push"][0]["commit"] == head

    # Second run: nothing to push; the only POSTs are fetches, and the state digest does not move.
    before_calls = len(non_fetch_writes(design, run.stats_at("after git")))
    assert again.rc == 0, again
    assert again.task("again")["status"] == "ok" and diff_lines(again.output_of("again")) == []
    assert len(non_fetch_writes(design, run.stats_at("after again"))) == before_calls
    assert run.snapshot("after again")[0] == run.snapshot("after git")[0]
    assert no_fetch.task("no fetch")["status"] == "ok" and run.snapshot("after no fetch") == run.snapshot("after again")


def test_info_reports_branch_head_ahead_behind(first_push, design, remote, playbook, tmp_path):
    """The info of a project without a remote (the first task of ``first_push``'s run), then, on a project pushed
    and changed on both sides, the info without and with fetch."""
    info = first_push["result"].task("info before")["result"]
    assert info["branch"] == "master" and info["remote"] is None and info["clean"] is True
    assert info["head"] == first_push["head"]
    assert pushed(design, remote)
    commit_file(clone(remote, tmp_path / "review"), "README.md", "hi\n", "Docs")
    sample_project.change_variable(design.client(), 31)
    run = playbook(tasks=snapshot_steps(design, info_task(design), dict(info_task(design, fetch=True), name="fresh")))
    stale = run.task("info")["result"]
    assert (stale["ahead"], stale["behind"]) == (1, 0) and run.snapshot("after info") == run.snapshot("start")
    fresh = run.task("fresh")["result"]
    assert (fresh["ahead"], fresh["behind"], fresh["remote_branch_exists"]) == (1, 1, True)
    assert fresh["remote"] == {"name": "origin", "url": remote}


@pytest.fixture(scope="module")
def pushes(node_pool, tmp_path_factory):
    """On a pushed project, ONE run: a new (auto-)commit pushed, planned first, then a new branch created and pushed,
    planned first. Gives a dict: node, remote, pushed (the seeding push and fetch succeeded), new (the log entry of
    the new commit), result, the remote's master and feature heads and the project's branch after the run."""
    node = module_design_node(node_pool)
    sample_project.seed_design_project(node.client())
    remote = new_bare_remote(tmp_path_factory.mktemp("pushes"))
    seeded = {"node": node, "remote": remote, "pushed": pushed(node, remote)}
    sample_project.change_variable(node.client(), 45)  # an auto-commit
    seeded["new"] = project_git(node).log(count=1)["entries"][0]
    result = run_playbook(tmp_path_factory.mktemp("pushes-run"), diff=True, tasks=[
        git_task(node, "check", state="pushed", check_mode=True), git_task(node, state="pushed"),
        git_task(node, "check branch", branch="feature", create_branch=True, state="pushed", check_mode=True),
        git_task(node, "branch", branch="feature", create_branch=True, state="pushed")])
    return dict(seeded, result=result, master=git(remote, "rev-parse", "master"),
                feature=git(remote, "rev-parse", "feature"), branch=project_git(node).get_current_branch())


def test_new_commits_are_listed_then_pushed(pushes):
    assert pushes["pushed"]
    new = pushes["new"]
    check = real = pushes["result"]
    predicted = check.task("check")["result"]
    assert predicted["changed"] is True
    assert predicted["diff"]["before"]["unpushed"] == ["%s %s" % (new["commit"][:7], new["message"])]
    assert predicted["diff"]["after"]["unpushed"] == []
    assert real.task("git")["result"]["diff"] == predicted["diff"]
    assert pushes["master"] == new["commit"]


def test_create_branch_and_push_it(pushes):
    assert pushes["pushed"]
    check = real = pushes["result"]
    assert check.task("check branch")["result"]["diff"] == real.task("branch")["result"]["diff"]
    assert real.task("branch")["changed"] is True
    assert pushes["feature"] == pushes["master"]
    assert pushes["branch"] == "feature"


def test_pull_a_reviewed_commit(design, remote, playbook, tmp_path):
    assert pushed(design, remote)
    work = clone(remote, tmp_path / "review")
    reviewed = commit_file(work, "datasets/reviewed.json", json.dumps(
        {"name": "reviewed", "type": "PostgreSQL", "projectKey": KEY, "params": {"connection": "pg_dev"}}),
        "Add the reviewed dataset")
    # Before the run: the check below writes nothing (digest unchanged), so this is also the state after it.
    assert "reviewed" not in [d["name"] for d in design.client().get_project(KEY).list_datasets()]
    run = check = real = again = playbook(tasks=snapshot_steps(
        design,
        git_task(design, "check", state="pulled", check_mode=True), git_task(design, state="pulled"),
        git_task(design, "again", state="pulled")), diff=True)
    predicted = check.task("check")["result"]
    assert predicted["changed"] is True and predicted["commits_to_pull"][0]["commit"] == reviewed
    assert predicted["diff"]["before"]["unpulled"] == [reviewed[:7] + " Add the reviewed dataset"]
    assert run.snapshot("after check")[0] == run.snapshot("start")[0] and len(
        non_fetch_writes(design, run.stats_at("after check"))) == len(non_fetch_writes(design, run.stats_at(
            "start")))

    done = real.task("git")["result"]
    assert (done["changed"], done["diff"]) == (True, predicted["diff"])
    assert done["head"] == reviewed and done["behind"] == 0
    assert "reviewed" in [d["name"] for d in design.client().get_project(KEY).list_datasets()]
    assert again.task("again")["status"] == "ok"


@pytest.fixture(scope="module")
def refusals(node_pool, tmp_path_factory):
    """The refusals in ONE run (run_cases, a host each) on a project pushed to a remote that a reviewer's commit put
    one ahead: the push (state=pushed), a push through an unreachable remote_url, an unknown branch and a bad branch
    name. One host after the other (--forks 1): the unreachable remote is set, then restored, on the project the
    other cases read. Gives a dict: node, remote, pushed (the seeding push and fetch succeeded), reviewed (the
    reviewer's commit), missing (the unreachable remote), remote_before, result, digest_kept, remote_after."""
    node = module_design_node(node_pool)
    sample_project.seed_design_project(node.client())
    folder = tmp_path_factory.mktemp("refusals")
    remote = new_bare_remote(folder)
    seeded = {"node": node, "remote": remote, "pushed": pushed(node, remote), "missing": str(folder / "missing.git")}
    seeded["reviewed"] = commit_file(clone(remote, folder / "review"), "README.md", "hello\n", "Docs")
    seeded["remote_before"] = project_git(node).get_remote()
    digest = node.digest()
    cases = {"refused": dict(conn(node), project_key=KEY, state="pushed"),
             "unreachable": dict(conn(node), project_key=KEY, remote_url=seeded["missing"], state="pushed"),
             "unknown": dict(conn(node), project_key=KEY, branch="release"),
             "bad": dict(conn(node), project_key=KEY, branch="../x")}
    result = run_cases(folder / "cases", "project", MODULE, cases, args=["--forks", "1"])
    return dict(seeded, result=result, digest_kept=node.digest() == digest, remote_after=project_git(node).get_remote())


def test_push_refused_when_the_remote_is_ahead(refusals):
    design, result = refusals["node"], refusals["result"]
    assert refusals["pushed"]
    msg = assert_clean_failure(result, design, "origin/master has 1 commit(s) the project lacks",
                               refusals["reviewed"][:7], "state=pulled", host="refused")
    assert "Docs" in msg and refusals["digest_kept"]


def test_unreachable_remote_fails_and_restores_the_remote(refusals):
    design, result, remote = refusals["node"], refusals["result"], refusals["remote"]
    assert refusals["remote_before"] == remote
    assert_clean_failure(result, design, "Failed to fetch from remote origin of project CHURN",
                         "does not appear to be a git repository", "previous remote was restored", host="unreachable")
    assert refusals["digest_kept"] and refusals["remote_after"] == remote


def test_unknown_branch_and_bad_names_fail_before_writing(refusals):
    """Both cases in one run, a host each."""
    design = refusals["node"]
    assert refusals["pushed"]
    unknown = bad = refusals["result"]
    assert_clean_failure(unknown, design, "Branch 'release' does not exist", "local branches: master",
                         "remote branches as fetched: origin/master", "create_branch=true", host="unknown")
    assert_clean_failure(bad, design, "branch '../x' is not a valid git name", host="bad")
    assert refusals["digest_kept"]


def test_uncommitted_changes_fail_or_commit(design, remote, playbook):
    project = design.client().get_project(KEY)
    settings = project.get_settings()
    settings.get_raw()["settings"]["gitCommitMode"] = "EXPLICIT"
    settings.save()
    project.get_project_git().commit("Explicit commit mode")
    assert pushed(design, remote)
    sample_project.change_variable(design.client(), 60)
    task = git_task(design, state="pushed", uncommitted="commit", commit_message="Threshold 60 days")
    run = refused = check = real = playbook(tasks=snapshot_steps(
        design,
        dict(git_task(design, "refused", state="pushed", uncommitted="fail"), ignore_errors=True),
        dict(task, name="check", check_mode=True), task), diff=True)
    msg = refused.task("refused")["result"]["msg"]
    assert refused.task("refused")["status"] == "ignored" and "uncommitted changes (variables.json)" in msg, msg
    assert "uncommitted=fail" in msg and "Traceback" not in msg and design.api_key not in refused.output, msg
    assert run.snapshot("after refused")[0] == run.snapshot("start")[0]
    predicted = check.task("check")["result"]
    assert predicted["changed"] is True and predicted["committed"] is True
    assert predicted["diff"]["before"]["unpushed"] == ["(new commit) Threshold 60 days"]
    assert predicted["diff"]["after"]["uncommitted_files"] == [] and run.snapshot("after check")[0] == \
        run.snapshot("start")[0]
    assert real.task("git")["result"]["diff"] == predicted["diff"]
    assert git(remote, "log", "-1", "--format=%s", "master") == "Threshold 60 days"
    assert project.get_project_git().get_status()["clean"] is True


# -- state=verified: the commit check of a promotion ---------------------------------------------------------------

def refused_verifications(remote):
    """{name: (options, fragment of the message)}: the bad inputs and the mismatch of state=verified."""
    return {
        "commit option": (dict(state="verified", uncommitted="commit"), "state=verified never commits: set "
                          "uncommitted to fail (its default with state=verified) or ignore."),
        "remote_url": (dict(state="verified", remote_url=remote), "remote_url cannot be set with state=verified"),
        "check option elsewhere": (dict(state="pulled", on_mismatch="pull", required=True),
                                   "on_mismatch, required only apply to state=verified, not state=pulled."),
        "bad commit": (dict(state="verified", commit="xyz", fetch=False), "commit"),
        "mismatch": (dict(state="verified", fetch=False), "the commit being promoted is"),
    }


@pytest.fixture(scope="module")
def verifications(node_pool, tmp_path_factory):
    """On a pushed project that a reviewer's commit on the remote put one behind (fetched through the client), ONE
    run: the bad inputs and the mismatch of state=verified (failures ignored, fetch=false where it matters: they
    write nothing), then snapshot_steps of the verified pull planned, done and done again. Gives a dict: node,
    remote, pushed, reviewed (the reviewer's commit), fetched, cases, result, head (the project's after the run)."""
    node = module_design_node(node_pool)
    sample_project.seed_design_project(node.client())
    folder = tmp_path_factory.mktemp("verified")
    remote = new_bare_remote(folder)
    seeded = {"node": node, "remote": remote, "pushed": pushed(node, remote), "cases": refused_verifications(remote)}
    seeded["reviewed"] = commit_file(clone(remote, folder / "review"), "README.md", "reviewed\n", "Reviewed: docs")
    seeded["fetched"] = project_git(node).fetch()["success"]  # the refused tasks compare without fetching
    refused = [dict(git_task(node, name, **args), ignore_errors=True) for name, (args, _msg) in seeded["cases"].items()]
    task = git_task(node, "verify", state="verified", on_mismatch="pull", required=True)
    tasks = [snapshot_task("before the refusals", node)] + refused + snapshot_steps(
        node,
        dict(task, name="check", check_mode=True), task,
        git_task(node, "again", state="verified", on_mismatch="pull", fetch=False))
    result = run_playbook(folder / "run", tasks=tasks, diff=True)
    return dict(seeded, result=result, head=project_git(node).log(count=1)["entries"][0]["commit"])


def test_verified_pulls_the_reviewed_commit_predicted_exactly_then_unchanged(verifications):
    assert verifications["pushed"]
    design, reviewed = verifications["node"], verifications["reviewed"]
    run = check = real = again = verifications["result"]
    predicted = check.task("check")["result"]
    assert (predicted["changed"], predicted["verified"], predicted["source"]) == (True, True, "remote_branch"), check
    assert predicted["bundle_id"] == "g" + reviewed[:12] and predicted["pulled"][0]["commit"] == reviewed
    assert predicted["diff"]["after"] == {"head": reviewed} and predicted["diff"]["before"]["head"] != reviewed
    assert run.snapshot("after check")[0] == run.snapshot("start")[0] and len(non_fetch_writes(
        design, run.stats_at("after check"))) == len(non_fetch_writes(design, run.stats_at("start")))

    done = real.task("verify")["result"]
    assert {k: done[k] for k in predicted if k != "invocation"} == \
        {k: predicted[k] for k in predicted if k != "invocation"}
    assert verifications["head"] == reviewed

    assert again.task("again")["status"] == "ok" and again.task("again")["result"]["verified"] is True
    assert diff_lines(again.output_of("again")) == [] and run.snapshot("after again") == run.snapshot("after verify")


def test_verified_bad_input_and_a_mismatch_fail_clearly_writing_nothing(verifications):
    assert verifications["pushed"]
    assert verifications["fetched"]  # the tasks compare without fetching (fetch=false): no write
    design, result = verifications["node"], verifications["result"]
    for name, (_args, message) in verifications["cases"].items():
        task = result.task(name)
        assert task["status"] == "ignored" and message in task["result"]["msg"], task
        assert "Traceback" not in task["result"]["msg"]
    assert "on_mismatch=pull" in result.task("mismatch")["result"]["msg"]
    assert result.snapshot("start") == result.snapshot("before the refusals") and design.api_key not in result.output
