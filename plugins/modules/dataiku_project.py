#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_project
short_description: Create, update or delete a Dataiku DSS project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a project exists on a DSS design or automation node with the given name, owner, descriptions, tags,
    variables and permissions, or that it does not exist.
  - Only the options that are set are managed; an option left unset is neither compared nor written. A second run
    with the same options reads DSS, finds nothing to change and sends no write request.
  - Reads only the endpoints the options need (the project list always; the metadata for O(name),
    O(description), O(short_description) and O(tags); the permissions for O(owner) and O(permissions); the
    variables for O(variables)), writes back each changed object whole (so fields this module does not manage
    are kept), then reads it again and fails if DSS did not keep what was written.
  - In check mode nothing is written; C(changed) and the diff are exactly those a real run would report.
  - The diff (C(--diff)) shows the managed fields only, with snake_case keys, so changing one field shows one line.
    On creation C(before) is V({}); on deletion C(after) is V({}).
  - To read projects without changing them, use M(dataiku_gitops.dss.dataiku_project_info).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description:
      - Key of the project, for example V(CHURN_MODEL).
      - An upper-case letter followed by upper-case letters, digits or underscores. Checked before any request,
        because the client puts it into URL paths unescaped.
    type: str
    required: true
  state:
    description:
      - V(present) creates the project if needed and applies the options that are set.
      - V(absent) deletes the project if it exists, with the O(clear_managed_datasets),
        O(clear_output_managed_folders) and O(clear_job_and_scenario_logs) choices. Other options are ignored.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Display name of the project.
      - When creating a project and not set, the project key is used. On an existing project, managed only when set.
    type: str
  owner:
    description:
      - Login of the project owner.
      - On creation, when not set, the identity of the API key (C(authIdentifier) of C(GET /auth/info)) is used;
        with a global (non-personal) API key set it explicitly, DSS needs a user login.
      - On an existing project, when set and different, the owner is changed through the project permissions
        endpoint (needs an API key with admin rights on the project); when not set, it is left as it is.
    type: str
  description:
    description:
      - Long description of the project (Markdown in the DSS UI).
    type: str
  short_description:
    description:
      - Short description of the project (C(shortDesc) in DSS).
    type: str
  tags:
    description:
      - Tags of the project.
      - Compared as a set, order and duplicates ignored, because DSS may return tags in another order. When tags
        must be written, the ones DSS already has keep their order and new ones are appended in the order given.
      - With O(purge_tags=true), the project ends up with exactly these tags; with O(purge_tags=false), these tags
        are added and other tags are kept. Use V([]) with O(purge_tags=true) to remove all tags.
    type: list
    elements: str
  purge_tags:
    description:
      - Whether tags not listed in O(tags) are removed. Has no effect when O(tags) is not set.
    type: bool
    default: true
  variables:
    description:
      - Project variables, by scope. A scope that is not set is not managed.
      - How a given scope is applied is chosen by O(variables_mode).
      - Values can be strings, numbers, booleans, lists or dicts; they are compared by type, so V(1) and V(true)
        differ.
    type: dict
    suboptions:
      standard:
        description:
          - Standard variables, part of the project's bundles.
        type: dict
      local:
        description:
          - Local variables, kept on the node and not part of bundles (per-environment values on automation nodes).
        type: dict
  variables_mode:
    description:
      - V(merge) sets the variables given in each scope (each value is replaced whole, nested dicts are not merged)
        and keeps the other variables of that scope. The diff shows the given variables only.
      - V(replace) makes each given scope exactly what was given, removing variables not listed. The diff shows the
        whole scope. A scope that is not given is never touched.
    type: str
    choices: [merge, replace]
    default: merge
  permissions:
    description:
      - Permission entries of the project, one per group (or user).
      - For a listed group, the flags that are set are applied and the flags left unset keep their current value.
        A new entry carries only the flags that are set; DSS treats the missing ones as V(false).
      - Whether entries of groups that are not listed are removed is chosen by O(permissions_exclusive).
      - The project owner always has full rights and does not need an entry.
    type: list
    elements: dict
    suboptions:
      group:
        description:
          - Name of the DSS group. Exactly one of O(permissions[].group) and O(permissions[].user) is required.
        type: str
      user:
        description:
          - Login of a DSS user, for per-user entries (recent DSS versions).
        type: str
      admin:
        description: Administer the project (C(admin)).
        type: bool
      read_project_content:
        description: Read project content (C(readProjectContent)).
        type: bool
      write_project_content:
        description: Write project content (C(writeProjectContent)).
        type: bool
      run_scenarios:
        description: Run scenarios (C(runScenarios)).
        type: bool
      read_dashboards:
        description: Read dashboards (C(readDashboards)).
        type: bool
      write_dashboards:
        description: Write dashboards (C(writeDashboards)).
        type: bool
      moderate_dashboards:
        description: Moderate dashboards (C(moderateDashboards)).
        type: bool
      manage_dashboard_authorizations:
        description: Manage authorized objects of dashboards (C(manageDashboardAuthorizations)).
        type: bool
      manage_additional_dashboard_users:
        description: Manage additional dashboard users (C(manageAdditionalDashboardUsers)).
        type: bool
      manage_exposed_elements:
        description: Manage shared (exposed) objects (C(manageExposedElements)).
        type: bool
      export_datasets_data:
        description: Export datasets data (C(exportDatasetsData)).
        type: bool
      execute_app:
        description: Execute the project as a Dataiku application (C(executeApp)).
        type: bool
      share_to_workspaces:
        description: Share objects to workspaces (C(shareToWorkspaces)).
        type: bool
  permissions_exclusive:
    description:
      - With V(true), entries of groups and users that are not listed in O(permissions) are removed, so the
        project has exactly the listed entries.
      - With V(false), entries that are not listed are kept as they are.
      - Has no effect when O(permissions) is not set.
    type: bool
    default: false
  clear_managed_datasets:
    description:
      - With O(state=absent), also delete the data of the project's managed datasets.
    type: bool
    default: false
  clear_output_managed_folders:
    description:
      - With O(state=absent), also delete the content of managed folders that are outputs of recipes.
    type: bool
    default: false
  clear_job_and_scenario_logs:
    description:
      - With O(state=absent), also delete the project's job and scenario logs (the DSS default).
    type: bool
    default: true
notes:
  - Creating and deleting projects needs an API key allowed to do so (deleting needs admin rights).
  - The project is created in the root project folder.
seealso:
  - module: dataiku_gitops.dss.dataiku_project_info
"""

EXAMPLES = r"""
- name: Ensure the project exists with its metadata and per-environment variables
  dataiku_gitops.dss.dataiku_project:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    project_key: CHURN_MODEL
    name: Churn model
    owner: alice
    short_description: Weekly churn scoring
    tags: [ml, churn]
    variables:
      local:
        output_schema: analytics_dev

- name: Give two groups their exact rights and remove every other group's entry
  dataiku_gitops.dss.dataiku_project:
    project_key: CHURN_MODEL
    permissions:
      - group: data_scientists
        read_project_content: true
        write_project_content: true
        run_scenarios: true
      - group: readers
        read_project_content: true
        read_dashboards: true
    permissions_exclusive: true
  module_defaults:
    group/dataiku_gitops.dss.dss:
      url: "{{ dss_url }}"
      api_key: "{{ dss_api_key }}"

- name: Replace all standard variables, leave the local ones alone
  dataiku_gitops.dss.dataiku_project:
    project_key: CHURN_MODEL
    variables:
      standard:
        threshold: 0.7
        countries: [FR, DE]
    variables_mode: replace

- name: Delete a throw-away project and its managed data (connection from DATAIKU_URL / DATAIKU_API_KEY)
  dataiku_gitops.dss.dataiku_project:
    project_key: CHURN_MODEL_PREVIEW
    state: absent
    clear_managed_datasets: true
    clear_output_managed_folders: true
"""

RETURN = r"""
project:
  description:
    - Summary of the project after the run, as DSS returns it in C(GET /projects/) (camelCase keys such as
      C(projectKey), C(name), C(ownerLogin), C(shortDesc), C(description), C(tags), C(projectStatus)), plus
      C(active_bundle_id).
    - In check mode, the current summary with the managed name, owner, descriptions and tags applied (for a
      project that would be created, only those fields and C(projectKey)), since nothing was written.
    - V({}) when the project does not exist at the end of the run (O(state=absent)).
    - Never contains the API key.
  returned: always
  type: dict
  sample:
    projectKey: CHURN_MODEL
    name: Churn model
    ownerLogin: alice
    shortDesc: Weekly churn scoring
    tags: [ml, churn]
    active_bundle_id: null
  contains:
    active_bundle_id:
      description:
        - Id of the bundle active on an automation node (from C(activeBundleState.bundleId)); V(null) on design
          nodes and before the first activation.
      type: str
      returned: when the project exists
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import changed_keys, prune, sorted_unique
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import (
    METADATA_OPTIONS, VARIABLE_SCOPES, create_permissions, desired_tags, permission_entry_errors, permission_suboptions,
    permissions_create_view, plan_metadata, plan_permissions, plan_variables, predicted_summary, summary_view,
    with_active_bundle)


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        owner=dict(type="str"),
        description=dict(type="str"),
        short_description=dict(type="str"),
        tags=dict(type="list", elements="str"),
        purge_tags=dict(type="bool", default=True),
        variables=dict(type="dict", options=dict((scope, dict(type="dict")) for scope in VARIABLE_SCOPES)),
        variables_mode=dict(type="str", choices=["merge", "replace"], default="merge"),
        permissions=dict(type="list", elements="dict", options=permission_suboptions()),
        permissions_exclusive=dict(type="bool", default=False),
        clear_managed_datasets=dict(type="bool", default=False),
        clear_output_managed_folders=dict(type="bool", default=False),
        clear_job_and_scenario_logs=dict(type="bool", default=True),
    )


class ProjectRunner:
    """One run of the module: read, plan, write unless check mode, verify."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.key = module.params["project_key"]
        self.client = module.client
        self.handle = module.client.get_project(self.key)

    def call(self, what, func, *args, **kwargs):
        """Call the client; ``what`` (with %s for the key) names the operation in an error message."""
        with self.module.dss_errors(what.replace("%s", self.key)):
            return func(*args, **kwargs)

    def find_summary(self):
        """The project's summary, or None (DssModule.find_project: one GET, not found by its HTTP status)."""
        return self.module.find_project(self.key)

    # -- planning ---------------------------------------------------------------------------------------------

    def plan(self, summary):
        """Read the endpoints the options need and plan each; returns {endpoint: Plan}."""
        p = self.params
        plans = {}
        if any(p[o] is not None for o in METADATA_OPTIONS):
            current = self.call("read the metadata of project %s", self.handle.get_metadata)
            plans["metadata"] = plan_metadata(current, p, current_name=(summary or {}).get("name"))
        if p["owner"] is not None or p["permissions"] is not None:
            current = self.call("read the permissions of project %s", self.handle.get_permissions)
            plans["permissions"] = plan_permissions(current, p["owner"], p["permissions"], p["permissions_exclusive"])
        if p["variables"] is not None and any(p["variables"].get(s) is not None for s in VARIABLE_SCOPES):
            current = self.call("read the variables of project %s", self.handle.get_variables)
            plans["variables"] = plan_variables(current, p["variables"], p["variables_mode"])
        return plans

    def write(self, plans):
        writers = dict(metadata=("update the metadata of project %s", self.handle.set_metadata),
                       permissions=("update the permissions of project %s", self.handle.set_permissions),
                       variables=("update the variables of project %s", self.handle.set_variables))
        for endpoint, plan in plans.items():
            if plan.changed:
                what, func = writers[endpoint]
                self.module.write_once(what.replace("%s", self.key), lambda func=func, plan=plan: func(plan.payload),
                                       lambda endpoint=endpoint: not self.plan(None)[endpoint].changed)

    def verify(self, written):
        """Re-read what was written and fail if DSS did not keep it (DSS answers 200 and may drop keys)."""
        if not written:
            return
        again = self.plan(None)
        lost = []
        for endpoint in written:
            plan = again[endpoint]
            if plan.changed:
                lost += changed_keys(plan.before, plan.after)
        if lost:
            self.module.fail_json(
                msg="DSS at %s accepted the update of project %s but did not keep: %s. Check that the API key has "
                    "the rights to change these fields and that the values are valid for this DSS version."
                    % (self.module.url, self.key, ", ".join(sorted(set(lost)))))

    # -- states -----------------------------------------------------------------------------------------------

    def absent(self, summary):
        if summary is None:
            self.module.exit_with(False, project={})
        if not self.module.check_mode:
            p = self.params
            # Sent once: after a failure in transit, a project no longer listed says the deletion happened.
            future = self.module.write_once(
                "delete project %s" % self.key,
                lambda: self.handle.delete(clear_managed_datasets=p["clear_managed_datasets"],
                                           clear_output_managed_folders=p["clear_output_managed_folders"],
                                           clear_job_and_scenario_logs=p["clear_job_and_scenario_logs"]),
                lambda: self.find_summary() is None)
            state = (future.state or {}) if future is not None else {}
            if not state.get("hasResult") and state.get("jobId"):
                self.call("wait for the deletion of project %s", future.wait_for_result)
            if self.find_summary() is not None:
                raise DssError("DSS at %s accepted the deletion of project %s but still lists it."
                               % (self.module.url, self.key))
        self.module.exit_with(True, prune(summary_view(summary)), {}, project={})

    def create(self):
        p = self.params
        owner = p["owner"]
        if owner is None:
            with self.module.dss_errors("read the identity of the API key (to use as owner)"):
                owner = self.client.get_auth_info().get("authIdentifier")
        name = p["name"] if p["name"] is not None else self.key
        tags = desired_tags(None, p["tags"], True)
        after = dict(project_key=self.key, name=name, owner=owner, description=p["description"],
                     short_description=p["short_description"], tags=sorted_unique(tags) if tags is not None else None)
        variables = dict((s, v) for s, v in (p["variables"] or {}).items() if v is not None)
        if variables:
            after["variables"] = variables
        if p["permissions"] is not None:
            after["permissions"] = permissions_create_view(p["permissions"])
        after = prune(after)
        if self.module.check_mode:
            predicted = predicted_summary({"projectKey": self.key}, dict(p, name=name), owner=owner, tags=tags)
            self.module.exit_with(True, {}, after, project=predicted)
        self.module.write_once(
            "create project %s" % self.key,
            lambda: self.client.create_project(self.key, name, owner, description=p["description"],
                                               permissions=create_permissions(p["permissions"]), tags=tags or []),
            lambda: self.find_summary() is not None)
        # The create body does not carry everything (short description, variables) and DSS may add defaults
        # (e.g. permission entries): converge the managed fields exactly as on an existing project.
        plans = self.plan({"projectKey": self.key, "name": name})
        self.write(plans)
        self.verify([e for e, plan in plans.items() if plan.changed])
        self.module.exit_with(True, {}, after, project=self.summary_after())

    def present(self, summary):
        plans = self.plan(summary)
        before, after = {"project_key": self.key}, {"project_key": self.key}
        for plan in plans.values():
            before.update(plan.before)
            after.update(plan.after)
        changed = any(plan.changed for plan in plans.values())
        before, after = prune(before), prune(after)
        if not changed:
            self.module.exit_with(False, before, after, project=with_active_bundle(summary))
        if self.module.check_mode:
            metadata = plans.get("metadata")
            new_tags = metadata.payload.get("tags") if metadata is not None and metadata.changed else None
            self.module.exit_with(True, before, after,
                                  project=predicted_summary(summary, self.params, owner=self.params["owner"], tags=new_tags))
        self.write(plans)
        self.verify([e for e, plan in plans.items() if plan.changed])
        self.module.exit_with(True, before, after, project=self.summary_after())

    def summary_after(self):
        return with_active_bundle(self.call("read the summary of project %s", self.handle.get_summary))

    def run(self):
        summary = self.find_summary()
        if self.params["state"] == "absent":
            self.absent(summary)
        elif summary is None:
            self.create()
        else:
            self.present(summary)


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    errors = [e for e in [project_key_error(module.params["project_key"])] if e]
    errors += permission_entry_errors(module.params["permissions"])
    if errors:
        raise DssError("; ".join(errors))
    module.check_node_type_option()
    ProjectRunner(module).run()


def main():
    module = DssModule(argument_spec=argument_spec())
    module.run(run_task, module)


if __name__ == "__main__":
    main()
