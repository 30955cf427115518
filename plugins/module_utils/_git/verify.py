# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The commit check as a task: ``dataiku_project_git`` with ``state: verified`` (and its deprecated alias
``dataiku_project_commit``) decide here what to do when a design project is not at the commit being promoted.

The reads and the decision are ``commit_check.Promoted`` (shared with the bulk read of dataiku_bundle_state_info);
this module adds the actions (pull, push) and the result. Every failure raises DssError.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_of_commit
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.commit_check import (
    CommitCheckError, Promoted, check_errors, describe)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ProjectGit

MAX_LISTED = 50

# The options that only the commit check has (dataiku_project_git adds them to its own).
CHECK_ONLY_OPTIONS = dict(
    commit=dict(type="str"),
    checkout_commit=dict(type="str"),
    on_mismatch=dict(type="str", default="fail", choices=["fail", "pull", "push"]),
    required=dict(type="bool", default=False),
)


def _pull_plan(promoted):
    """Commits a pull would bring, when pulling makes HEAD the promoted commit; else a reason it cannot."""
    tracking = promoted.git.tracking(promoted.status, promoted.p["remote_name"], promoted.status.get("currentBranch"))
    if promoted.pending():
        return None, "commit or drop the uncommitted changes first"
    if promoted.branch != promoted.status.get("currentBranch"):
        return None, "the project is on branch %s, not %s" % (promoted.status.get("currentBranch"), promoted.branch)
    if not promoted.remote_has_branch:
        return None, "the remote has no branch %s" % promoted.branch
    remote_head = promoted.git.commits(promoted.remote_branch, 1)[0]
    if remote_head["commit"] != promoted.commit["commit"]:
        return None, "pulling would give %s, the head of %s" % (describe(remote_head), promoted.remote_branch)
    if tracking["ahead"]:
        return None, "the project has %d commit(s) not on %s (push or drop them first)" % (
            tracking["ahead"], promoted.remote_branch)
    return promoted.git.commits(promoted.remote_branch, min(tracking["behind"], MAX_LISTED)), None


def _push_plan(promoted):
    tracking = promoted.git.tracking(promoted.status, promoted.p["remote_name"], promoted.status.get("currentBranch"))
    if not promoted.remote:
        return None, "the project has no remote %s" % promoted.p["remote_name"]
    if promoted.remote_has_branch and tracking["behind"]:
        return None, "%s has %d commit(s) the project lacks" % (promoted.remote_branch, tracking["behind"])
    if promoted.remote_has_branch and not tracking["ahead"]:
        return None, "the project has no commit to push"
    count = min(tracking["ahead"] or MAX_LISTED, MAX_LISTED)
    return promoted.git.commits(promoted.head["commit"], count), None


def _pull(module, git, promoted, mismatch, result):
    """Pull the reviewed branch when that makes HEAD the promoted commit, then exit verified."""
    commits, reason = _pull_plan(promoted)
    if commits is None:
        raise DssError("%s; cannot pull it: %s." % (mismatch, reason), **result)
    p = promoted.p
    before = {"head": result["head"]}
    if not module.check_mode:
        git.run_action("pull branch %s from %s" % (promoted.branch, p["remote_name"]), git.git.pull,
                       promoted.branch, happened=lambda: git.head() == promoted.commit["commit"])
        result["head"] = git.head()
        if result["head"] != promoted.commit["commit"]:
            raise DssError("After the pull, project %s is at %s, not %s." % (
                p["project_key"], result["head"], promoted.commit["commit"]), changed=True, **result)
    result.update(head=promoted.commit["commit"], pulled=commits, verified=True,
                  bundle_id=bundle_id_of_commit(promoted.commit["commit"]))
    module.exit_with(True, before, {"head": promoted.commit["commit"]}, **result)


def _push(module, git, promoted, mismatch, result):
    """Push the project's commits for review, then stop: a pushed commit is not reviewed yet."""
    commits, reason = _push_plan(promoted)
    if commits is None:
        raise DssError("%s; nothing pushed: %s." % (mismatch, reason), **result)
    if not module.check_mode:
        git.push(promoted.branch, promoted.p["remote_name"])
    result["pushed"] = commits
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"unpushed": ["%s %s" % (c["commit"][:7], c["message"]) for c in commits]},
                          "after": {"unpushed": []}}
    raise DssError("%s. %s %d commit(s) of project %s to %s (%s); the promotion stops until they are reviewed and "
                   "merged." % (mismatch, "Would push" if module.check_mode else "Pushed", len(commits),
                                promoted.p["project_key"], promoted.remote_branch,
                                "; ".join(describe(c) for c in commits[:5])), changed=True, **result)


def verify_commit(module, params):
    """The whole commit check of the project ``params["project_key"]`` on ``module``'s node: exit when the project
    holds the commit being promoted (after a pull with ``on_mismatch=pull``), raise DssError otherwise.

    ``params`` holds the check's options (commit, branch, remote_name, checkout_commit, on_mismatch, uncommitted as
    fail or ignore, required, fetch)."""
    errors = check_errors(params)
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()
    if module.find_project(params["project_key"]) is None:
        raise DssError("Project %s does not exist on %s." % (params["project_key"], module.url))
    module.require_node_type("DESIGN", "Verifying the commit of a design project")
    git = ProjectGit(module, params["project_key"])
    try:
        promoted = Promoted(git, params)
    except CommitCheckError as exc:
        raise DssError(str(exc)) from None
    settled = promoted.settled()
    if settled is not None:
        module.exit_json(changed=False, **settled)
    result = promoted.base_result()
    if promoted.unresolved():
        raise DssError("No commit to promote for project %s: set commit (dss_commit), give the project a git remote "
                       "with the reviewed branch, or run from a clone of the project's repository."
                       % params["project_key"], **result)
    mismatch = promoted.mismatch_text() if promoted.commit else \
        "The remote %s of project %s has no branch %s" % (params["remote_name"], params["project_key"], promoted.branch)
    if params["on_mismatch"] == "fail":
        raise DssError(mismatch + ". Pull that commit into the design project (on_mismatch=pull) or push the "
                                  "project's commits for review (on_mismatch=push).", **result)
    if params["on_mismatch"] == "pull":
        _pull(module, git, promoted, mismatch, result)
    _push(module, git, promoted, mismatch, result)
