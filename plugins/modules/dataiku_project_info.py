#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project_info
short_description: Read Dataiku DSS projects, the bundle active on each, and more about one project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Returns the summary of one project, or of every project the API key can see, with one request
    (C(GET /projects/)).
  - On automation nodes each summary carries the active bundle (C(activeBundleState)) and a convenience
    RV(projects[].active_bundle_id), the value to record before an activation so that it can be rolled back.
  - A missing project is not an error; RV(projects) is then empty and RV(exists) is V(false).
  - With O(include) (and O(project_key)), also returns what else there is to read about that project, each under
    its own key - RV(bundles), RV(git), RV(content), RV(remapping). Each costs its own requests, so only what is
    included is read.
  - Never changes anything on DSS (C(changed) is always V(false)).
  - To create, update or delete projects, use M(dataiku_gitops.dss.dataiku_project).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description:
      - Key of the project to read. When not set, all projects are returned.
      - Checked before any request (an upper-case letter followed by upper-case letters, digits or underscores).
    type: str
  include:
    description:
      - What to read about the project O(project_key) besides its summary, each returned under its own key.
      - V(bundles) - the exported (design node) or imported (automation node) bundles, RV(bundles).
      - V(git) - the project's git repository (design node), RV(git).
      - V(content) - the datasets, recipes and scenarios, RV(content).
      - V(remapping) - the bundle activation remapping (automation node), RV(remapping).
      - Needs O(project_key). Nothing is included for a project that does not exist.
    type: list
    elements: str
    choices: [bundles, git, content, remapping]
    default: []
  bundle_id:
    description:
      - With V(bundles) included - only return this bundle (an empty list when it does not exist).
      - With V(remapping) included - also resolve this imported bundle's connections and code envs with the current
        mapping (C(resolution) in RV(remapping)); fails, listing the imported bundles, when it is not imported.
    type: str
  remote_name:
    description: With V(git) included - the remote that RV(git.remote), RV(git.ahead) and RV(git.behind) refer to.
    type: str
    default: origin
  fetch:
    description:
      - With V(git) included - fetch the remote through DSS before comparing (a POST that only updates the
        remote-tracking branches, never the project's content; also in check mode).
    type: bool
    default: false
seealso:
  - module: dataiku_gitops.dss.dataiku_project
  - module: dataiku_gitops.dss.dataiku_project_git
  - module: dataiku_gitops.dss.dataiku_bundle_state_info
"""

EXAMPLES = r"""
- name: Record the bundle active in production before activating a new one
  dataiku_gitops.dss.dataiku_project_info:
    url: https://dss-automation.example.com:11200
    api_key: "{{ vault_dss_prod_api_key }}"
    project_key: CHURN_MODEL
  register: before_deploy

- name: Show it (null on the first deployment)
  ansible.builtin.debug:
    msg: "previous bundle: {{ before_deploy.projects[0].active_bundle_id if before_deploy.exists else 'none' }}"

- name: List all projects visible to the API key (connection from DATAIKU_URL / DATAIKU_API_KEY)
  dataiku_gitops.dss.dataiku_project_info:
  register: all_projects

- name: The bundles imported in production and whether bundle v1.4.0 can be activated with the current mapping
  dataiku_gitops.dss.dataiku_project_info:
    url: https://dss-automation.example.com:11200
    api_key: "{{ vault_dss_prod_api_key }}"
    project_key: CHURN_MODEL
    include: [bundles, remapping]
    bundle_id: v1.4.0
  register: prod

- name: Refuse to go on with unpushed work in the design project
  dataiku_gitops.dss.dataiku_project_info:
    project_key: CHURN_MODEL
    include: [git, content]
    fetch: true
  register: design
  failed_when: not design.git.clean or design.git.ahead > 0
"""

RETURN = r"""
projects:
  description:
    - Project summaries as DSS returns them in C(GET /projects/) (camelCase keys), each with
      RV(projects[].active_bundle_id) added.
    - One item or none when O(project_key) is set; every visible project, in DSS order, otherwise.
  returned: always
  type: list
  elements: dict
  sample:
    - projectKey: CHURN_MODEL
      name: Churn model
      ownerLogin: alice
      shortDesc: Weekly churn scoring
      description: ""
      projectStatus: Sandbox
      tags: [ml]
      activeBundleState:
        bundleId: v1.4.0
      active_bundle_id: v1.4.0
  contains:
    projectKey:
      description: Key of the project.
      type: str
      returned: always
    name:
      description: Display name.
      type: str
      returned: always
    ownerLogin:
      description: Login of the owner.
      type: str
      returned: when DSS returns it
    tags:
      description: Tags, in the order DSS keeps them.
      type: list
      elements: str
      returned: when DSS returns it
    activeBundleState:
      description: State of the active bundle, as DSS returns it (automation nodes, after a first activation).
      type: dict
      returned: when a bundle is active
    active_bundle_id:
      description:
        - Id of the active bundle (C(activeBundleState.bundleId)); V(null) on design nodes and before the first
          activation.
      type: str
      returned: always
exists:
  description: Whether the project named by O(project_key) exists.
  returned: when O(project_key) is set
  type: bool
  sample: true
bundles:
  description:
    - The exported (design node) or imported (automation node) bundles of the project, oldest first (only
      O(bundle_id) when set).
    - Each as C({bundle_id, state, exported_on, exported_by, release_notes, original_project_key, imported_on,
      imported_by, active}); RV(projects[].active_bundle_id) names the active one.
  returned: when V(bundles) is included and the project exists
  type: list
  elements: dict
  sample:
    - {bundle_id: g3f2a9c1b7d40, state: null, exported_on: "2025-03-31T10:00:00.000+0000", exported_by: admin,
       release_notes: "3f2a9c1 Add a dataset", original_project_key: CHURN_MODEL,
       imported_on: "2025-03-31T10:15:30.123+0000", imported_by: admin, active: true}
git:
  description: The project's git repository.
  returned: when V(git) is included and the project exists
  type: dict
  contains:
    branch:
      description: Current branch.
      type: str
      sample: master
    head:
      description: Full sha of HEAD (V(null) in a repository without commits).
      type: str
    ahead:
      description: Local commits that the remote branch lacks.
      type: int
    behind:
      description: Commits of the remote branch that the project lacks (0 when the remote has no such branch).
      type: int
    remote_branch_exists:
      description: Whether the remote has the current branch (as last fetched).
      type: bool
    clean:
      description: Whether there are no uncommitted changes.
      type: bool
    uncommitted_files:
      description: Files changed, added or removed and not committed yet (projects in explicit commit mode).
      type: list
      elements: str
    remote:
      description: The remote named O(remote_name) as C({name, url}), or V(null).
      type: dict
    remotes:
      description: Every remote of the repository, as C({name, url}).
      type: list
      elements: dict
content:
  description: The datasets and recipes (sorted by name) and scenarios (sorted by id) of the project.
  returned: when V(content) is included and the project exists
  type: dict
  sample:
    datasets: [{name: customers, type: PostgreSQL, managed: false}]
    recipes: [{name: compute_scores, type: python}]
    scenarios: [{id: TEST_SMOKE, name: Smoke test, type: step_based, active: false}]
remapping:
  description:
    - The bundle activation remapping - C(connections) and C(code_envs) (C(source -> target) mappings),
      C(code_envs_behavior) and C(remapping) as stored (C(bundleContainerSettings)).
    - With O(bundle_id), also C(bundle_id), C(resolution) and C(code_env_resolution) (one row per connection or
      code env, see M(dataiku_gitops.dss.dataiku_connection_remap)) and C(ok), whether every row resolves.
  returned: when V(remapping) is included and the project exists
  type: dict
  sample:
    connections: {pg_dev: pg_prod}
    code_envs: {}
    code_envs_behavior: {}
    remapping: {connections: [{source: pg_dev, target: pg_prod}]}
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import with_active_bundle
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project_reads import (
    read_bundles, read_content, read_git, read_remapping)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.project_git import ref_name_error


def input_errors(params):
    """Messages for bad options, checked before any request."""
    key = params["project_key"]
    errors = [project_key_error(key) if key is not None else None]
    if params["include"] and key is None:
        errors.append("include needs project_key: it reads one project (got include=%s)." % ", ".join(
            params["include"]))
    if params["bundle_id"] is not None:
        errors.append(bundle_id_error(params["bundle_id"]))
        if not set(params["include"]) & {"bundles", "remapping"}:
            errors.append("bundle_id is used with include bundles or remapping only.")
    if "git" in params["include"]:
        errors.append(ref_name_error(params["remote_name"], "remote_name"))
    return [e for e in errors if e]


def included(module, key, summary):
    """What ``include`` asks for about the existing project ``key`` (its list entry ``summary``)."""
    p, result = module.params, {}
    if "bundles" in p["include"]:
        result["bundles"] = read_bundles(module, key, p["bundle_id"], summary)["bundles"]
    if "git" in p["include"]:
        module.require_node_type("DESIGN", "Reading the git repository of a project (include git)")
        result["git"] = read_git(module, key, p["remote_name"], p["fetch"])
    if "content" in p["include"]:
        result["content"] = read_content(module, key)
    if "remapping" in p["include"]:
        module.require_node_type("AUTOMATION", "Reading the bundle activation remapping (include remapping)")
        result["remapping"] = read_remapping(module, key, p["bundle_id"])
    return result


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    key = module.params["project_key"]
    errors = input_errors(module.params)
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()
    with module.dss_errors("list projects"):
        summaries = module.client.list_projects()
    projects = [with_active_bundle(s) for s in summaries if key is None or s.get("projectKey") == key]
    result = dict(changed=False, projects=projects)
    if key is not None:
        result["exists"] = bool(projects)
    if projects and module.params["include"]:
        result.update(included(module, key, projects[0]))
    module.exit_json(**result)


def main():
    module = DssModule(argument_spec=dict(
        project_key=dict(type="str", no_log=False),
        include=dict(type="list", elements="str", default=[], choices=["bundles", "git", "content", "remapping"]),
        bundle_id=dict(type="str"),
        remote_name=dict(type="str", default="origin"),
        fetch=dict(type="bool", default=False),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
