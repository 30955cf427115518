#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_git_info
short_description: Read the git state of a Dataiku DSS project (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: One module reads a project; O(dataiku_gitops.dss.dataiku_project_info#module:include) chooses what.
  alternative: Use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[git]).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Deprecated, removed in 2.0.0 - use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[git]), which
    returns these keys under its key C(git). This module keeps its options and results until then.
  - Reads the git repository backing a DSS project on a design node - current branch, HEAD commit, commits ahead
    of and behind the remote branch, uncommitted files, remotes.
  - Ahead/behind compare with the remote branches as last fetched; O(fetch=true) fetches first (a POST that only
    updates the remote-tracking branches, never the project's content).
  - Never changes the project (C(changed) is always V(false)).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project (it must exist on the node).
    type: str
    required: true
  remote_name:
    description: The remote that RV(remote), RV(ahead) and RV(behind) refer to.
    type: str
    default: origin
  fetch:
    description: Fetch the remote through DSS before comparing.
    type: bool
    default: false
seealso:
  - module: dataiku_gitops.dss.dataiku_project_git
"""

EXAMPLES = r"""
- name: Read the git state of the design project
  dataiku_gitops.dss.dataiku_project_git_info:
    project_key: CHURN
    fetch: true
  register: churn_git

- name: Refuse to go on with unpushed work
  ansible.builtin.assert:
    that: churn_git.clean and churn_git.ahead == 0
    fail_msg: "CHURN has {{ churn_git.ahead }} unpushed commit(s) on {{ churn_git.branch }}"
"""

RETURN = r"""
branch:
  description: Current branch.
  returned: always
  type: str
  sample: master
head:
  description: Full sha of HEAD (V(null) in a repository without commits).
  returned: always
  type: str
ahead:
  description: Local commits that the remote branch lacks.
  returned: always
  type: int
behind:
  description: Commits of the remote branch that the project lacks (0 when the remote has no such branch).
  returned: always
  type: int
remote_branch_exists:
  description: Whether the remote has the current branch (as last fetched).
  returned: always
  type: bool
clean:
  description: Whether there are no uncommitted changes.
  returned: always
  type: bool
uncommitted_files:
  description: Files changed, added or removed and not committed yet (projects in explicit commit mode).
  returned: always
  type: list
  elements: str
remote:
  description: The remote named O(remote_name), or V(null).
  returned: always
  type: dict
  sample: {name: origin, url: "git@github.com:acme/dss-churn.git"}
remotes:
  description: Every remote of the repository, as C({name, url}).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import option_errors
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project_reads import read_git


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    p = module.params
    errors = option_errors(p)
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()
    if module.find_project(p["project_key"]) is None:
        raise DssError("Project %s does not exist on %s." % (p["project_key"], module.url))
    module.exit_json(changed=False, **read_git(module, p["project_key"], p["remote_name"], p["fetch"]))


def main():
    module = DssModule(argument_spec=dict(
        project_key=dict(type="str", required=True, no_log=False),
        remote_name=dict(type="str", default="origin"),
        fetch=dict(type="bool", default=False),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
