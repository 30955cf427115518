#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_deployment
short_description: Manage a Project Deployer deployment of Dataiku DSS as code, and update it
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Creates or updates a deployment of the Project Deployer (a published project's bundle on an infrastructure)
    and, when its settings change or the automation node does not run them (health not V(HEALTHY) or
    V(WARNING)), starts an update and waits for it (O(update_timeout)).
  - Reports the health, the bundle deployed before the run (RV(previous_bundle_id), the rollback target) and
    the log of the update. Rollback is this module again with O(bundle_id) set to that previous bundle.
  - O(url) is the deployer (a DEPLOYER node or a DESIGN node running a local deployer).
  - Before any write it checks that the published project, the bundle and the infrastructure exist, that Govern
    lets the bundle through (infrastructure policy V(PREVENT) refuses a bundle that is not approved, V(WARN) needs
    O(ignore_warnings)) and that the automation node answers. For a deployment that does not exist yet, DSS only
    reports the Govern status when it is created; a refusal then fails the task with DSS's message and nothing
    is created.
  - Check mode predicts C(changed) and the diff exactly (settings, and C(in_sync) when an update would run).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  deployment_id:
    description: Id of the deployment (letters, digits, V(_), V(.), V(-)).
    type: str
    required: true
  state:
    description: V(present) creates or updates (and deploys) the deployment, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  published_project_key:
    description:
      - Published project the deployment takes its bundles from. Required to create the deployment; it cannot be
        changed afterwards.
    type: str
  infra_id:
    description: Infrastructure to deploy to. Required to create the deployment.
    type: str
  bundle_id:
    description: Bundle of the published project to deploy. Required to create the deployment.
    type: str
  deployed_project_key:
    description: Project key on the automation node. DSS defaults it to O(published_project_key).
    type: str
  connections:
    description:
      - Deployment-level connection remapping (design name to automation name), managed as a whole when set. It
        takes precedence over the infrastructure's remapping entry by entry.
    type: dict
  code_envs:
    description: Deployment-level code environment remapping, managed as a whole when set.
    type: dict
  scenarios_to_activate:
    description: Scenario id to V(true) (active) or V(false) after activation, managed as a whole when set.
    type: dict
  update:
    description:
      - Start an update when the deployment is out of sync with its settings. V(false) only saves settings.
    type: bool
    default: true
  update_timeout:
    description: Seconds to wait for the update to finish before failing (DSS may still be running it).
    type: int
    default: 900
  ignore_warnings:
    description:
      - Deploy a bundle Govern warns about (infrastructure policy V(WARN), bundle not approved). Without it such a
        bundle fails the task before any change.
      - Has no effect on policy V(PREVENT), which refuses unapproved bundles.
    type: bool
    default: false
  govern_timeout:
    description:
      - Seconds to wait for a sign-off in Govern when the infrastructure's policy V(PREVENT) refuses the bundle
        of an existing deployment, checking every O(govern_poll_interval) seconds. V(0) fails at once.
      - The failure names the bundle and its governance status. Check mode never waits.
      - A deployment that does not exist yet cannot be asked for a Govern status before it is created, so its
        refusal fails at once with DSS's message.
    type: int
    default: 0
  govern_poll_interval:
    description: Seconds between two reads of the Govern status while waiting (O(govern_timeout)).
    type: int
    default: 10
  expect_published:
    description:
      - Check mode only. Plan as if O(bundle_id) were published when it is not yet, because an earlier task of the
        same run (M(dataiku_gitops.dss.dataiku_bundle_publish)) publishes it. Ignored in a real run.
    type: bool
    default: false
seealso:
  - module: dataiku_gitops.dss.dataiku_deployment_info
  - module: dataiku_gitops.dss.dataiku_deployer_infra
  - module: dataiku_gitops.dss.dataiku_bundle_publish
"""

EXAMPLES = r"""
- name: Deploy bundle v12 of CHURN on the prod infrastructure
  dataiku_gitops.dss.dataiku_deployment:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    published_project_key: CHURN
    infra_id: prod
    bundle_id: v12
    scenarios_to_activate:
      DAILY_SCORING: true
  register: deployed

- name: Roll back to the bundle that ran before
  dataiku_gitops.dss.dataiku_deployment:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    bundle_id: "{{ deployed.previous_bundle_id }}"
  when: deployed.previous_bundle_id is not none
"""

RETURN = r"""
deployment:
  description: The managed settings after the run.
  returned: when O(state=present)
  type: dict
  sample:
    deployment_id: churn-on-prod
    published_project_key: CHURN
    infra_id: prod
    bundle_id: v12
    deployed_project_key: CHURN
    connections: {}
    code_envs: {}
    scenarios_to_activate: {DAILY_SCORING: true}
bundle_id:
  description: Bundle the deployment names after the run.
  returned: when O(state=present)
  type: str
  sample: v12
previous_bundle_id:
  description:
    - Bundle the automation node ran for this deployment before the run (the rollback target); V(null) for a new
      or never successfully updated deployment.
  returned: when O(state=present)
  type: str
  sample: v11
updated:
  description: Whether an update ran (or would run, in check mode).
  returned: when O(state=present)
  type: bool
health:
  description: Health after the run (V(HEALTHY), V(WARNING), V(OUT_OF_SYNC), V(ERROR), V(UNHEALTHY), V(UNKNOWN)).
  returned: when O(state=present)
  type: str
  sample: HEALTHY
health_messages:
  description: Messages of the health, each with severity, title and message, as DSS returns them.
  returned: when O(state=present)
  type: list
  elements: dict
update_log:
  description: Log lines of the update this run started (also returned on failure).
  returned: when an update ran
  type: list
  elements: str
update_messages:
  description: Warning and error messages of the update's report (for example a Govern warning).
  returned: when an update ran
  type: list
  elements: dict
"""

import copy
import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import equal
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException, DssModule

IN_SYNC = ("HEALTHY", "WARNING")


def view(raw):
    container = raw.get("bundleContainerSettings") or {}
    remapping = container.get("remapping") or {}
    return dict(deployment_id=raw.get("id"), published_project_key=raw.get("publishedProjectKey"),
                infra_id=raw.get("infraId"), bundle_id=raw.get("bundleId"),
                deployed_project_key=raw.get("deployedProjectKey") or raw.get("publishedProjectKey"),
                connections=dd.remap_table(remapping.get("connections")),
                code_envs=dd.remap_table(remapping.get("codeEnvs")),
                scenarios_to_activate=dict(raw.get("scenariosToActivate") or {}))


def desired_raw(params, current):
    raw = copy.deepcopy(current)
    for option, field in (("infra_id", "infraId"), ("bundle_id", "bundleId"),
                          ("deployed_project_key", "deployedProjectKey")):
        if params[option] is not None:
            raw[field] = params[option]
    dd.apply_remapping(raw, params)
    if params["scenarios_to_activate"] is not None:
        raw["scenariosToActivate"] = dict(params["scenarios_to_activate"])
    return raw


def check_input(module):
    p = module.params
    errors = [dd.id_error(p["deployment_id"], "deployment_id")]
    if p["infra_id"] is not None:
        errors.append(dd.id_error(p["infra_id"], "infra_id"))
    if p["bundle_id"] is not None:
        errors.append(bundle_id_error(p["bundle_id"]))
    for option in ("published_project_key", "deployed_project_key"):
        if p[option] is not None:
            errors.append(project_key_error(p[option], option))
    for scenario, active in (p["scenarios_to_activate"] or {}).items():
        if not isinstance(active, bool):
            errors.append("scenarios_to_activate.%s must be true or false, got %r." % (scenario, active))
    errors = [e for e in errors if e]
    if errors:
        module.fail_json(msg=" ".join(errors))


def check_references(module, desired, current_infra):
    """Published project, bundle and infrastructure (unless it is the deployment's current one) exist.

    Returns whether the bundle is published now (False only in check mode with expect_published)."""
    key, bundle, infra_id = desired["publishedProjectKey"], desired["bundleId"], desired["infraId"]
    published = dd.find_published_project(module, key)
    expected = module.check_mode and module.params["expect_published"]
    if published is None and not expected:
        module.fail_json(msg="Published project %s does not exist on the deployer %s; publish a bundle of it first "
                             "(dataiku_gitops.dss.dataiku_bundle_publish)." % (key, module.url))
    if bundle not in dd.bundle_ids(published) and not expected:
        module.fail_json(msg="Bundle %s is not published in published project %s (published bundles: %s)."
                             % (bundle, key, ", ".join(dd.bundle_ids(published)) or "none"))
    if infra_id != current_infra:
        if dd.find_infra(module, infra_id) is None:
            with module.dss_errors("list the infrastructures of the Project Deployer"):
                known = dd.known_ids(dd.deployer(module).list_infras(as_objects=False), "infraBasicInfo")
            module.fail_json(msg="Infrastructure %s does not exist on the deployer %s (infrastructures: %s)."
                                 % (infra_id, module.url, ", ".join(known) or "none"))
    return bundle in dd.bundle_ids(published)


def check_governance(module, deployment_id, bundle_id):
    """Fail unless Govern lets the bundle through; with govern_timeout, wait that long for a sign-off first."""
    gov = dd.governance(module, deployment_id, bundle_id)
    deadline = time.time() + module.params["govern_timeout"]
    while gov["blocked"] and not module.check_mode and time.time() < deadline:
        time.sleep(min(module.params["govern_poll_interval"], max(0.1, deadline - time.time())))
        gov = dd.governance(module, deployment_id, bundle_id)
    if gov["blocked"]:
        waited = " after waiting %d seconds for a sign-off" % module.params["govern_timeout"] if (
            module.params["govern_timeout"] and not module.check_mode) else ""
        module.fail_json(msg="Govern refuses bundle %s for deployment %s%s: %s. Nothing was changed."
                             % (bundle_id, deployment_id, waited, gov["summary"]), governance=gov)
    if gov["warning"] and not module.params["ignore_warnings"]:
        module.fail_json(msg="Govern warns about bundle %s for deployment %s: %s. Set ignore_warnings=true to deploy "
                             "it anyway; nothing was changed." % (bundle_id, deployment_id, gov["summary"]),
                         governance=gov)


def check_automation_node(module, infra_id, deployment_id):
    with module.dss_errors("read the settings of infrastructure %s" % infra_id):
        infra = dd.deployer(module).get_infra(infra_id).get_settings().get_raw()
    url = infra.get("automationNodeUrl")
    if not url:
        module.fail_json(msg="Infrastructure %s has no automation node URL: the update of deployment %s cannot run; "
                             "nothing was changed." % (infra_id, deployment_id))
    reason = dd.probe(url, timeout=module.params["timeout"])
    if reason:
        module.fail_json(msg="The automation node %s of infrastructure %s cannot be reached (%s): the update of "
                             "deployment %s would fail; nothing was changed." % (url, infra_id, reason, deployment_id))


def newest_update(module, handle, deployment_id):
    """The newest update of the deployment as listed (a dict with startTimestamp, status...), or None."""
    with module.dss_errors("list the updates of deployment %s" % deployment_id):
        items = [i.get_raw() for i in handle.list_updates()]
    return max(items, key=lambda u: u.get("startTimestamp") or 0) if items else None


def follow_lost_update(module, handle, deployment_id, bundle_id, started, deadline, previous):
    """The update ``started`` (its start answer was lost in transit, so there is no future to poll): wait for its
    end through the deployment's update records, fail as a failed future would."""
    delay = 0.2
    while True:
        with module.dss_errors("read the update of deployment %s" % deployment_id):
            update = handle.get_update(started["startTimestamp"]).get_raw()
        if update.get("endTimestamp") and update.get("status") not in (None, "RUNNING", "STARTED"):
            break
        if time.time() > deadline:
            module.fail_json(msg="The update of deployment %s to bundle %s did not finish within %d seconds."
                             % (deployment_id, bundle_id, module.params["update_timeout"]), previous_bundle_id=previous)
        time.sleep(delay)
        delay = min(delay * 1.5, 5)
    if update.get("status") == "FAILED":
        health, messages = dd.health(module, deployment_id)
        module.fail_json(msg=module.scrub("The update of deployment %s to bundle %s failed: %s" % (
            deployment_id, bundle_id, " ".join((update.get("logs") or {}).get("lines") or [])[-300:])),
            health=health, health_messages=messages, previous_bundle_id=previous,
            update_log=(update.get("logs") or {}).get("lines") or [])
    return {}


def run_update(module, handle, deployment_id, bundle_id, previous):
    """Start the update and poll its future until it ends or update_timeout passes. The start is a write sent once
    (``write_once``): after a failure in transit, a new update record of the deployment says it reached DSS, and
    that update is followed instead of starting another."""
    timeout = module.params["update_timeout"]
    deadline = time.time() + timeout
    known = (newest_update(module, handle, deployment_id) or {}).get("startTimestamp") or 0
    lost = {}

    def started():
        newest = newest_update(module, handle, deployment_id)
        if newest and (newest.get("startTimestamp") or 0) > known and newest.get("bundleId") in (None, bundle_id):
            lost["update"] = newest
        return "update" in lost
    future = module.write_once("start the update of deployment %s" % deployment_id, handle.start_update, started)
    if future is None:
        return follow_lost_update(module, handle, deployment_id, bundle_id, lost["update"], deadline, previous)
    delay = 0.2
    try:
        state = future.state or {}
        while not state.get("hasResult"):
            if time.time() > deadline:
                late = (deployment_id, bundle_id, timeout, future.job_id)
                module.fail_json(msg="The update of deployment %s to bundle %s did not finish within %d seconds "
                                     "(DSS job %s may still be running)." % late, previous_bundle_id=previous)
            time.sleep(delay)
            delay = min(delay * 1.5, 5)
            state = future.get_state() or {}
    except DataikuException as exc:
        health, messages = dd.health(module, deployment_id)
        module.fail_json(msg=module.scrub("The update of deployment %s to bundle %s failed: %s"
                                          % (deployment_id, bundle_id, exc)),
                         health=health, health_messages=messages, previous_bundle_id=previous,
                         update_log=last_log(module, handle))
    return state.get("result") or {}


def last_log(module, handle):
    with module.dss_errors("read the last update of deployment %s" % handle.id):
        return handle.get_update().logs or []


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    check_input(module)
    p = module.params
    dep_id = p["deployment_id"]
    exists, handle, settings = dd.open_object(module, "deployment", "deployment_id")
    if exists:
        current = settings.get_raw()
        if p["published_project_key"] not in (None, current.get("publishedProjectKey")):
            module.fail_json(msg="Deployment %s deploys published project %s, which cannot be changed to %s; use "
                                 "another deployment_id." % (dep_id, current.get("publishedProjectKey"),
                                                             p["published_project_key"]))
        health, _messages = dd.health(module, dep_id)
    else:
        missing = [o for o in ("published_project_key", "infra_id", "bundle_id") if not p[o]]
        if missing:
            module.fail_json(msg="Deployment %s does not exist: set %s to create it." % (dep_id, ", ".join(missing)))
        current = {"id": dep_id, "publishedProjectKey": p["published_project_key"], "infraId": p["infra_id"],
                   "bundleId": p["bundle_id"]}
        health = "OUT_OF_SYNC"
    desired = desired_raw(p, current)
    published = check_references(module, desired, current.get("infraId") if exists else None)

    settings_changed = not exists or not equal(view(current), view(desired))
    in_sync = exists and health in IN_SYNC
    needs_update = p["update"] and (settings_changed or not in_sync)
    previous = current.get("bundleId") if in_sync else None
    if exists and published and (needs_update or desired["bundleId"] != current.get("bundleId")):
        check_governance(module, dep_id, desired["bundleId"])
    if needs_update:
        check_automation_node(module, desired["infraId"], dep_id)
    before = dict(view(current), in_sync=in_sync) if exists else {}
    after = dict(view(desired), in_sync=needs_update or (in_sync and not settings_changed))
    result = dict(deployment=view(desired), bundle_id=desired["bundleId"], previous_bundle_id=previous,
                  updated=needs_update)
    if module.check_mode or not (settings_changed or needs_update):
        health, messages = dd.health(module, dep_id) if exists else ("OUT_OF_SYNC", [])
        module.exit_with(settings_changed or needs_update, before=before, after=after, health=health,
                         health_messages=messages, **result)

    if not exists:
        module.write_once("create deployment %s" % dep_id,
                          lambda: dd.deployer(module).create_deployment(
                              dep_id, desired["publishedProjectKey"], desired["infraId"], desired["bundleId"],
                              deployed_project_key=p["deployed_project_key"], ignore_warnings=p["ignore_warnings"]),
                          lambda: dd.find_deployment(module, dep_id) is not None)
        with module.dss_errors("read the settings of deployment %s" % dep_id):
            settings = handle.get_settings()
        desired = desired_raw(p, settings.get_raw())
    if not equal(view(settings.get_raw()), view(desired)):
        dd.save_settings(module, "deployment", dep_id, handle, settings, desired, view,
                         ignore_warnings=p["ignore_warnings"])
    if needs_update:
        report = run_update(module, handle, dep_id, desired["bundleId"], previous)
        result["update_log"] = last_log(module, handle)
        result["update_messages"] = report.get("messages") or []
    health, messages = dd.health(module, dep_id)
    module.exit_with(True, before=before, after=after, health=health, health_messages=messages, **result)


def main():
    module = DssModule(argument_spec=dict(
        deployment_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        published_project_key=dict(type="str", no_log=False),
        infra_id=dict(type="str"),
        bundle_id=dict(type="str"),
        deployed_project_key=dict(type="str", no_log=False),
        connections=dict(type="dict"),
        code_envs=dict(type="dict"),
        scenarios_to_activate=dict(type="dict"),
        update=dict(type="bool", default=True),
        update_timeout=dict(type="int", default=900),
        ignore_warnings=dict(type="bool", default=False),
        govern_timeout=dict(type="int", default=0),
        govern_poll_interval=dict(type="int", default=10),
        expect_published=dict(type="bool", default=False),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
