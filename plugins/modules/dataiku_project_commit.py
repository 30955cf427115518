#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_commit
short_description: Verify that a Dataiku DSS design project holds the commit being promoted
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - A bundle carries the design project as it is; this module makes sure that is the reviewed commit before the
    export, so the bundle id can name that commit.
  - "The commit being promoted is, in this order: O(commit) when set; else the head of the reviewed branch on the
    project's own git remote (O(branch) on O(remote_name), fetched through DSS); else O(checkout_commit) when the
    project's repository holds it (the playbook runs from a clone of the project's repository); else none."
  - With a commit, the project's HEAD must be that commit and the project must have no uncommitted changes.
    O(on_mismatch) decides what happens otherwise - V(fail) names both commits; V(pull) first pulls the reviewed
    branch into the design project when that makes HEAD the promoted commit (no local commits on top), and fails
    without writing otherwise; V(push) pushes the project's unpushed commits to the remote branch and stops (fails)
    so they can be reviewed, as the reference GitHub action does.
  - Without a commit (no O(commit), no remote, checkout unrelated to the project), RV(verified) is V(false) and
    nothing is checked, unless O(required=true), which fails.
  - The remote is fetched through DSS (a POST that only updates the remote-tracking branches, also in check mode).
    Check mode predicts C(changed), the diff and the failures of the real run.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the design project.
    type: str
    required: true
  commit:
    description:
      - The commit being promoted (7 to 40 hexadecimal characters); it must be in the project's repository (after
        the fetch).
    type: str
  branch:
    description: The reviewed branch on the remote. Not set - the project's current branch.
    type: str
  remote_name:
    description: The project's remote holding the reviewed branch.
    type: str
    default: origin
  checkout_commit:
    description:
      - HEAD of the git checkout running the playbook. Used only when the project's repository holds it (then the
        checkout is a clone of the project's repository); ignored otherwise.
    type: str
  on_mismatch:
    description: What to do when the project's HEAD is not the commit being promoted (see the description).
    type: str
    choices: [fail, pull, push]
    default: fail
  uncommitted:
    description:
      - V(fail) - uncommitted changes in the project (explicit commit mode) are a mismatch (the bundle would carry
        them). V(ignore) - only HEAD is compared.
    type: str
    choices: [fail, ignore]
    default: fail
  required:
    description: Fail when no commit can be determined instead of returning RV(verified=false).
    type: bool
    default: false
  fetch:
    description: Fetch the remote through DSS before reading the reviewed branch.
    type: bool
    default: true
seealso:
  - module: dataiku_gitops.dss.dataiku_project_git
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: The design project must be at the head of the reviewed main branch
  dataiku_gitops.dss.dataiku_project_commit:
    project_key: CHURN
    branch: main
    required: true
  register: churn_commit

- name: Export the bundle named after that commit
  dataiku_gitops.dss.dataiku_bundle:
    project_key: CHURN
    bundle_id: "{{ churn_commit.bundle_id }}"
    state: exported

- name: Promote a given commit, pulling it into the design project first
  dataiku_gitops.dss.dataiku_project_commit:
    project_key: CHURN
    commit: "{{ dss_commit }}"
    on_mismatch: pull
"""

RETURN = r"""
verified:
  description: Whether a commit was determined and the project's HEAD is (now) that commit.
  returned: always
  type: bool
commit:
  description: Full sha of the commit being promoted (V(null) when none could be determined).
  returned: always
  type: str
source:
  description: Where the commit came from - V(commit), V(remote_branch), V(checkout) or V(none).
  returned: always
  type: str
head:
  description: The project's HEAD after the task (in check mode, as predicted).
  returned: always
  type: str
message:
  description: Subject of the commit being promoted.
  returned: when a commit was determined
  type: str
bundle_id:
  description: C(g) followed by the first 12 characters of RV(commit), when verified; else V(null).
  returned: always
  type: str
  sample: g3f2a9c1b7d40
pulled:
  description: Commits pulled (or that would be pulled), newest first, as C({commit, message, author}).
  returned: always
  type: list
  elements: dict
pushed:
  description: Commits pushed (or that would be pushed) with O(on_mismatch=push), newest first.
  returned: when commits were pushed
  type: list
  elements: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_of_commit
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.commit_check import (
    CommitCheckError, Promoted, check_errors, describe)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ProjectGit

MAX_LISTED = 50


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


def main():
    module = DssModule(argument_spec=dict(
        project_key=dict(type="str", required=True, no_log=False),
        commit=dict(type="str"),
        branch=dict(type="str"),
        remote_name=dict(type="str", default="origin"),
        checkout_commit=dict(type="str"),
        on_mismatch=dict(type="str", default="fail", choices=["fail", "pull", "push"]),
        uncommitted=dict(type="str", default="fail", choices=["fail", "ignore"]),
        required=dict(type="bool", default=False),
        fetch=dict(type="bool", default=True),
    ))
    p = module.params
    errors = check_errors(p)
    if errors:
        module.fail_json(msg=" ".join(errors))
    module.check_node_type_option()
    if module.find_project(p["project_key"]) is None:
        module.fail_json(msg="Project %s does not exist on %s." % (p["project_key"], module.url))
    module.require_node_type("DESIGN", "Verifying the commit of a design project")
    git = ProjectGit(module, p["project_key"])
    try:
        promoted = Promoted(git, p)
    except CommitCheckError as exc:
        module.fail_json(msg=str(exc))
    settled = promoted.settled()
    if settled is not None:
        module.exit_json(changed=False, **settled)
    result = promoted.base_result()
    if promoted.unresolved():
        module.fail_json(msg="No commit to promote for project %s: set commit (dss_commit), give the project a "
                             "git remote with the reviewed branch, or run from a clone of the project's "
                             "repository." % p["project_key"], **result)
    mismatch = promoted.mismatch_text() if promoted.commit else \
        "The remote %s of project %s has no branch %s" % (p["remote_name"], p["project_key"], promoted.branch)
    if p["on_mismatch"] == "fail":
        module.fail_json(msg=mismatch + ". Pull that commit into the design project (on_mismatch=pull) or push the "
                                        "project's commits for review (on_mismatch=push).", **result)
    if p["on_mismatch"] == "pull":
        commits, reason = _pull_plan(promoted)
        if commits is None:
            module.fail_json(msg="%s; cannot pull it: %s." % (mismatch, reason), **result)
        before = {"head": result["head"]}
        if not module.check_mode:
            git.run_action("pull branch %s from %s" % (promoted.branch, p["remote_name"]), git.git.pull,
                           promoted.branch, happened=lambda: git.head() == promoted.commit["commit"])
            result["head"] = git.head()
            if result["head"] != promoted.commit["commit"]:
                module.fail_json(msg="After the pull, project %s is at %s, not %s." % (
                    p["project_key"], result["head"], promoted.commit["commit"]), changed=True, **result)
        result.update(head=promoted.commit["commit"], pulled=commits, verified=True,
                      bundle_id=bundle_id_of_commit(promoted.commit["commit"]))
        module.exit_with(True, before, {"head": promoted.commit["commit"]}, **result)
    commits, reason = _push_plan(promoted)
    if commits is None:
        module.fail_json(msg="%s; nothing pushed: %s." % (mismatch, reason), **result)
    if not module.check_mode:
        git.push(promoted.branch, p["remote_name"])
    result["pushed"] = commits
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"unpushed": ["%s %s" % (c["commit"][:7], c["message"]) for c in commits]},
                          "after": {"unpushed": []}}
    module.fail_json(msg="%s. %s %d commit(s) of project %s to %s (%s); the promotion stops until they are reviewed "
                         "and merged." % (mismatch, "Would push" if module.check_mode else "Pushed", len(commits),
                                          p["project_key"], promoted.remote_branch,
                                          "; ".join(describe(c) for c in commits[:5])), changed=True, **result)


if __name__ == "__main__":
    main()
