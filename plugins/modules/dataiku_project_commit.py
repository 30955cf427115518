#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_commit
short_description: Verify that a Dataiku DSS design project holds the commit being promoted (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: The commit check is a state of the module that manages the project's git.
  alternative: Use M(dataiku_gitops.dss.dataiku_project_git) with C(state=verified).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Deprecated alias of M(dataiku_gitops.dss.dataiku_project_git) with C(state=verified) (same options, same
    results); it will be removed in 2.0.0.
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
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.verify import CHECK_ONLY_OPTIONS, verify_commit


def main():
    module = DssModule(argument_spec=dict(
        CHECK_ONLY_OPTIONS,
        project_key=dict(type="str", required=True, no_log=False),
        branch=dict(type="str"),
        remote_name=dict(type="str", default="origin"),
        uncommitted=dict(type="str", default="fail", choices=["fail", "ignore"]),
        fetch=dict(type="bool", default=True),
    ))
    module.run(verify_commit, module, module.params)


if __name__ == "__main__":
    main()
