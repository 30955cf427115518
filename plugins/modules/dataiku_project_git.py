#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_git
short_description: Manage the git remote, branch and push/pull state of a Dataiku DSS project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Every DSS project is backed by a git repository (each change committed automatically by default). This module
    manages that repository as code, the first step of GitOps for a DSS project, on a design node
    (C(DSSProjectGit) of the official client).
  - Sets the remote (O(remote_url) under O(remote_name)), puts the project on O(branch), optionally commits
    pending changes (O(uncommitted)), then converges O(state) - V(pushed) pushes when the local branch is ahead of
    the remote branch (or the remote has no such branch), V(pulled) pulls (rebase) when it is behind. Each is
    C(changed) only when something was done.
  - The remote is fetched through DSS first (O(fetch)); a fetch only updates the remote-tracking branches of the
    project's repository, never the project's content, so it also happens in check mode.
  - Check mode predicts C(changed) and the diff exactly. The diff shows the remote, the branch, the uncommitted
    files and the commits that would be pushed and pulled (as C(<sha7> <subject>)); when O(remote_url) changes, the
    commits are listed in the results of the real run only (they depend on the new remote).
  - Input is validated before the first write; a remote that cannot be reached, an unknown branch, or pending
    changes with O(uncommitted=fail) fail with a message naming what is wrong.
  - "O(state=verified) is the commit check of a promotion: it makes sure the project holds the commit being
    promoted, so that a bundle exported next can be named after it (RV(bundle_id)). The commit being promoted is,
    in this order - O(commit) when set; else the head of the reviewed branch on the project's own git remote
    (O(branch) on O(remote_name), fetched through DSS); else O(checkout_commit) when the project's repository holds
    it; else none. The project's HEAD must be that commit, without uncommitted changes unless O(uncommitted=ignore).
    O(on_mismatch) decides what happens otherwise - V(fail) names both commits; V(pull) pulls the reviewed branch
    when that makes HEAD the promoted commit (no local commits on top) and fails without writing otherwise; V(push)
    pushes the project's unpushed commits to the remote branch and fails, so that they are reviewed first. Without
    a commit, RV(verified) is V(false) and nothing is checked, unless O(required=true), which fails."
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project (it must exist on the node).
    type: str
    required: true
  remote_url:
    description:
      - URL of the git remote, for example V(git@github.com:acme/churn.git) or V(https://gitlab.example.com/acme/churn.git).
      - Not set - the remote is not changed (it must exist for O(state=pushed) or O(state=pulled)).
    type: str
  remote_name:
    description: Name of the remote.
    type: str
    default: origin
  branch:
    description:
      - Branch the project must be on. Switching changes the project's content to what the branch holds.
      - It must exist locally or on the remote (as fetched), unless O(create_branch=true).
      - With O(state=verified), the reviewed branch on the remote; the project is never switched to it.
      - Not set - the current branch.
    type: str
  create_branch:
    description:
      - Create O(branch) from the current HEAD when it exists neither locally nor on the remote.
      - Not with O(state=verified).
    type: bool
    default: false
  state:
    description:
      - V(present) - only the remote and the branch are managed.
      - V(pushed) - the remote branch holds the local commits (push when ahead; fails when the remote branch has
        commits the project lacks, naming them - pull first).
      - V(pulled) - the project holds the remote branch's commits (pull with rebase when behind).
      - V(verified) - the project holds the commit being promoted (see the description, O(on_mismatch)); the remote
        and the branch are only read.
    type: str
    choices: [present, pushed, pulled, verified]
    default: present
  uncommitted:
    description:
      - What to do with changes not committed yet (projects in explicit commit mode).
      - V(ignore) - leave them. V(fail) - fail before any write, listing the files. V(commit) - commit them with
        O(commit_message) first.
      - With O(state=verified), V(fail) (a mismatch - the bundle would carry them) or V(ignore) (only HEAD is
        compared).
      - Not set - V(fail) with O(state=verified), V(ignore) otherwise.
    type: str
    choices: [ignore, fail, commit]
  commit:
    description:
      - O(state=verified) - the commit being promoted (7 to 40 hexadecimal characters); it must be in the project's
        repository (after the fetch).
    type: str
  checkout_commit:
    description:
      - O(state=verified) - HEAD of the git checkout running the playbook. Used only when the project's repository
        holds it (then the checkout is a clone of the project's repository); ignored otherwise.
    type: str
  on_mismatch:
    description:
      - O(state=verified) - what to do when the project's HEAD is not the commit being promoted (see the
        description).
      - Not set - V(fail).
    type: str
    choices: [fail, pull, push]
  required:
    description:
      - O(state=verified) - fail when no commit can be determined instead of returning RV(verified=false).
    type: bool
    default: false
  commit_message:
    description: Message of the commit of pending changes (O(uncommitted=commit)).
    type: str
    default: Commit pending changes (dataiku_gitops.dss)
  fetch:
    description:
      - Fetch the remote through DSS before comparing (a POST that only updates remote-tracking branches).
      - V(false) compares with the remote branches as last fetched.
    type: bool
    default: true
notes:
  - Needs a design node; automation nodes hold bundles, not the design project's history.
seealso:
  - module: dataiku_gitops.dss.dataiku_project_info
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: Connect the project to its GitHub repository and push every commit
  dataiku_gitops.dss.dataiku_project_git:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    project_key: CHURN
    remote_url: git@github.com:acme/dss-churn.git
    branch: master
    state: pushed

- name: Bring the reviewed commits of the main branch into the design project
  dataiku_gitops.dss.dataiku_project_git:
    project_key: CHURN
    branch: main
    state: pulled
    uncommitted: fail

- name: The design project must be at the head of the reviewed main branch (pull it in when it is behind)
  dataiku_gitops.dss.dataiku_project_git:
    project_key: CHURN
    branch: main
    state: verified
    on_mismatch: pull
    required: true
  register: churn_commit

- name: Export the bundle named after that commit
  dataiku_gitops.dss.dataiku_bundle:
    project_key: CHURN
    bundle_id: "{{ churn_commit.bundle_id }}"
    state: exported
"""

RETURN = r"""
remote:
  description: The remote after the task (V(null) when none is set).
  returned: unless O(state=verified)
  type: dict
  sample: {name: origin, url: "git@github.com:acme/dss-churn.git"}
branch:
  description: Current branch after the task.
  returned: unless O(state=verified)
  type: str
  sample: master
head:
  description:
    - Full sha of the project's HEAD after the task (predicted unchanged in check mode, except a pull of
      O(state=verified)).
  returned: always
  type: str
ahead:
  description: Local commits the remote branch lacks, after the task.
  returned: unless O(state=verified)
  type: int
behind:
  description: Remote-branch commits the project lacks, after the task.
  returned: unless O(state=verified)
  type: int
committed:
  description: Whether pending changes were (or, in check mode, would be) committed.
  returned: unless O(state=verified)
  type: bool
commits_to_push:
  description: Commits pushed (or that would be pushed), newest first, as C({commit, message, author}).
  returned: unless O(state=verified)
  type: list
  elements: dict
commits_to_pull:
  description: Commits pulled (or that would be pulled), newest first, as C({commit, message, author}).
  returned: unless O(state=verified)
  type: list
  elements: dict
verified:
  description: Whether a commit was determined and the project's HEAD is (now) that commit.
  returned: when O(state=verified)
  type: bool
commit:
  description: Full sha of the commit being promoted (V(null) when none could be determined).
  returned: when O(state=verified)
  type: str
source:
  description: Where the commit came from - V(commit), V(remote_branch), V(checkout) or V(none).
  returned: when O(state=verified)
  type: str
message:
  description: Subject of the commit being promoted.
  returned: when O(state=verified) and a commit was determined
  type: str
bundle_id:
  description: C(g) followed by the first 12 characters of RV(commit), when verified; else V(null).
  returned: when O(state=verified)
  type: str
  sample: g3f2a9c1b7d40
pulled:
  description: Commits pulled (or that would be pulled), newest first, as C({commit, message, author}).
  returned: when O(state=verified)
  type: list
  elements: dict
pushed:
  description: Commits pushed (or that would be pushed) with O(on_mismatch=push), newest first.
  returned: when O(state=verified) and commits were pushed
  type: list
  elements: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ProjectGit, option_errors
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.verify import CHECK_ONLY_OPTIONS, verify_commit

MAX_LISTED = 50


def _short(items):
    return ["%s %s" % ((c.get("commit") or "")[:7], c.get("message") or "") for c in items]


def _validate(module):
    p = module.params
    errors = option_errors(p)
    if p["remote_url"] is not None and not p["remote_url"].strip():
        errors.append("remote_url must not be empty; leave it unset to keep the current remote.")
    if p["uncommitted"] == "commit" and not p["commit_message"].strip():
        errors.append("commit_message must not be empty with uncommitted=commit.")
    if errors:
        raise DssError(" ".join(errors))


class Plan:
    """What the task will do, decided from reads only (the same in check mode and in a real run)."""

    def __init__(self, module, git):
        self.module, self.git, self.p = module, git, module.params
        self.status = git.status()
        self.remote = git.remote_of(self.status, self.p["remote_name"])
        self.branch = self.status.get("currentBranch")
        self.pending = git.pending_files(self.status)
        self.new_url = self.p["remote_url"] if self.p["remote_url"] not in (None, (self.remote or {}).get("url")) \
            else None
        self.target_branch = self.p["branch"] or self.branch
        self.switch = self.target_branch != self.branch
        self.create = False
        self.tracking = None
        self.to_push, self.to_pull = [], []

    def decide(self):
        p = self.p
        if self.pending and p["uncommitted"] == "fail":
            raise DssError("Project %s has uncommitted changes (%s) and uncommitted=fail; commit them "
                           "in DSS, or set uncommitted=commit or ignore." % (
                               self.git.key, ", ".join(self.pending[:10])), uncommitted_files=self.pending)
        needs_remote = p["state"] != "present"
        if needs_remote and not self.remote and not self.new_url:
            raise DssError("Project %s has no git remote %r: set remote_url to push or pull." % (
                self.git.key, p["remote_name"]))
        if p["fetch"] and self.remote and not self.new_url and (needs_remote or self.switch):
            self.git.fetch(p["remote_name"])
            self.status = self.git.status()  # ahead/behind as of this fetch
        if self.switch:
            self._check_branch()
        if needs_remote and not self.new_url and not self.switch:
            self._compare()
        return self

    def _check_branch(self):
        local = self.git.branches()
        remote_name = "%s/%s" % (self.p["remote_name"], self.target_branch)
        fetched = [b for b in self.git.branches(remote=True) if b.startswith(self.p["remote_name"] + "/")]
        on_remote = not self.new_url and remote_name in fetched
        if self.target_branch not in local and not on_remote:
            if not self.p["create_branch"]:
                raise DssError("Branch %r does not exist in the git repository of project %s (local "
                               "branches: %s%s); set create_branch=true to create it from HEAD." % (
                                   self.target_branch, self.git.key, ", ".join(sorted(local)) or "none",
                                   "" if self.new_url else "; remote branches as fetched: %s" % (
                                       ", ".join(sorted(fetched)) or "none")))
            self.create = True

    def _compare(self):
        """Commits to push/pull on the current branch, from the last fetch."""
        self.tracking = self.git.tracking(self.status, self.p["remote_name"], self.branch)
        if self.p["state"] == "pushed":
            if self.tracking["behind"]:
                behind = self.git.commits(self.tracking["remote_branch"], min(self.tracking["behind"], MAX_LISTED))
                raise DssError("Cannot push project %s: %s has %d commit(s) the project lacks (%s); pull "
                               "them first (state=pulled)." % (
                                   self.git.key, self.tracking["remote_branch"], self.tracking["behind"],
                                   "; ".join(_short(behind))))
            if self.tracking["ahead"] or not self.tracking["remote_branch_exists"]:
                self.to_push = self.git.commits(self.git.head(), min(self.tracking["ahead"] or MAX_LISTED,
                                                                     MAX_LISTED))
        elif self.p["state"] == "pulled" and self.tracking["behind"]:
            self.to_pull = self.git.commits(self.tracking["remote_branch"], min(self.tracking["behind"], MAX_LISTED))

    def commit(self):
        return bool(self.pending) and self.p["uncommitted"] == "commit"

    def changed(self):
        return bool(self.new_url or self.switch or self.commit() or self.to_push or self.to_pull)

    def view(self, after):
        """The diff side: before (after=False) or after (True) of what is managed."""
        out = {"remote": {"name": self.p["remote_name"], "url": (self.remote or {}).get("url")},
               "branch": self.branch, "uncommitted_files": self.pending}
        if not self.new_url and not self.switch:
            out["unpushed"] = _short(self.to_push) + (["(new commit) " + self.p["commit_message"]]
                                                      if self.commit() and self.p["state"] == "pushed" else [])
            out["unpulled"] = _short(self.to_pull)
        if after:
            if self.new_url:
                out["remote"] = {"name": self.p["remote_name"], "url": self.new_url}
            out["branch"] = self.target_branch
            if self.commit():
                out["uncommitted_files"] = []
            if "unpushed" in out and self.p["state"] == "pushed":
                out["unpushed"] = []
            if "unpulled" in out and self.p["state"] == "pulled":
                out["unpulled"] = []
        return out


def _restore_remote(git, plan):
    """Put the remote back as it was when the new one cannot be fetched (the task then changed nothing)."""
    name = git.module.params["remote_name"]

    def undo():
        if plan.remote:
            git.call("restore remote %s" % name, git.git.set_remote, plan.remote["url"], name)
        else:
            git.call("remove remote %s" % name, git.git.remove_remote, name)
    return undo


def apply(module, git, plan):
    """The writes, in order: a new remote (fetched at once, put back if it cannot be reached), the commit of
    pending changes, the branch, then push or pull compared again when one of those changed the picture."""
    p, api = module.params, git.git
    if plan.new_url:
        module.write_once("set remote %s of project %s" % (p["remote_name"], git.key),
                          lambda: api.set_remote(plan.new_url, p["remote_name"]),
                          lambda: (git.remote_of(git.status(), p["remote_name"]) or {}).get("url") == plan.new_url)
        if p["state"] != "present" and p["fetch"]:
            git.fetch(p["remote_name"], undo=_restore_remote(git, plan))
    if plan.commit():
        git.commit(p["commit_message"])
    if plan.switch:
        if plan.create:
            git.run_action("create branch %s" % plan.target_branch, api.create_branch, plan.target_branch,
                           happened=lambda: git.status().get("currentBranch") == plan.target_branch)
        else:
            git.run_action("switch to branch %s" % plan.target_branch, api.switch, plan.target_branch,
                           happened=lambda: git.status().get("currentBranch") == plan.target_branch)
    if p["state"] == "present":
        return
    if plan.new_url or plan.switch or plan.commit():
        plan.status, plan.branch = git.status(), plan.target_branch
        plan.to_push, plan.to_pull = [], []
        plan._compare()  # pylint: disable=protected-access
    if plan.to_push:
        git.push(plan.branch, p["remote_name"])
    if plan.to_pull:
        git.run_action("pull branch %s from %s" % (plan.branch, p["remote_name"]), api.pull, plan.branch)


def _check_options(params):
    """The options of one state given to another, and the default of ``uncommitted`` by state."""
    verified = params["state"] == "verified"
    errors = []
    if verified:
        if params["uncommitted"] == "commit":
            errors.append("state=verified never commits: set uncommitted to fail (its default with state=verified) "
                          "or ignore.")
        errors += ["%s cannot be set with state=verified (the check changes neither the remote nor the branches): "
                   "set it in an earlier task with state=present." % name
                   for name in ("remote_url", "create_branch") if params[name]]
    else:
        check_only = [name for name in ("commit", "checkout_commit", "on_mismatch") if params[name] is not None]
        check_only += ["required"] if params["required"] else []
        if check_only:
            errors.append("%s only apply to state=verified, not state=%s." % (", ".join(check_only), params["state"]))
    if errors:
        raise DssError(" ".join(errors))
    default_uncommitted = "fail" if verified else "ignore"
    return dict(params, uncommitted=params["uncommitted"] or default_uncommitted,
                on_mismatch=params["on_mismatch"] or "fail")


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    params = _check_options(module.params)
    if params["state"] == "verified":
        verify_commit(module, params)
    module.params["uncommitted"] = params["uncommitted"]  # the Plan reads it from the module
    _validate(module)
    module.check_node_type_option()
    key = module.params["project_key"]
    if module.find_project(key) is None:
        raise DssError("Project %s does not exist on %s." % (key, module.url))
    module.require_node_type("DESIGN", "Managing the git repository of a project")
    git = ProjectGit(module, key)
    plan = Plan(module, git).decide()
    changed = plan.changed()
    before, after = plan.view(False), plan.view(True)
    committed = plan.commit()
    if changed and not module.check_mode:
        apply(module, git, plan)
    status = git.status() if not module.check_mode else plan.status
    tracking = git.tracking(status, module.params["remote_name"], status.get("currentBranch")) \
        if git.remote_of(status, module.params["remote_name"]) else {"ahead": 0, "behind": 0}
    if module.check_mode:
        tracking = {"ahead": 0 if plan.to_push else tracking["ahead"], "behind": 0 if plan.to_pull else
                    tracking["behind"]}
    module.exit_with(changed, before, after, remote=after["remote"] if after["remote"]["url"] else None,
                     branch=plan.target_branch, head=git.head(), ahead=tracking["ahead"], behind=tracking["behind"],
                     committed=committed, commits_to_push=plan.to_push, commits_to_pull=plan.to_pull)


def main():
    module = DssModule(argument_spec=dict(
        CHECK_ONLY_OPTIONS,
        project_key=dict(type="str", required=True, no_log=False),
        remote_url=dict(type="str"),
        remote_name=dict(type="str", default="origin"),
        branch=dict(type="str"),
        create_branch=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "pushed", "pulled", "verified"]),
        uncommitted=dict(type="str", choices=["ignore", "fail", "commit"]),
        on_mismatch=dict(type="str", choices=["fail", "pull", "push"]),
        commit_message=dict(type="str", default="Commit pending changes (dataiku_gitops.dss)"),
        fetch=dict(type="bool", default=True),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
