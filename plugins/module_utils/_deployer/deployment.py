# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Project Deployer deployment (dataiku_deployment): its managed settings, the checks before any write (references,
Govern, the automation node) and the update, started once and followed to its end."""

from __future__ import annotations

import copy
import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import govern_entry
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException

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
        raise DssError(" ".join(errors))


def check_references(module, desired, current_infra):
    """Published project, bundle and infrastructure (unless it is the deployment's current one) exist.

    Returns whether the bundle is published now (False only in check mode with expect_published)."""
    key, bundle, infra_id = desired["publishedProjectKey"], desired["bundleId"], desired["infraId"]
    published = dd.find_published_project(module, key)
    expected = module.check_mode and module.params["expect_published"]
    if published is None and not expected:
        raise DssError("Published project %s does not exist on the deployer %s; publish a bundle of it first "
                       "(dataiku_gitops.dss.dataiku_bundle_publish)." % (key, module.url))
    if bundle not in dd.bundle_ids(published) and not expected:
        raise DssError("Bundle %s is not published in published project %s (published bundles: %s)."
                       % (bundle, key, ", ".join(dd.bundle_ids(published)) or "none"))
    if infra_id != current_infra:
        if dd.find_infra(module, infra_id) is None:
            with module.dss_errors("list the infrastructures of the Project Deployer"):
                known = dd.known_ids(dd.deployer(module).list_infras(as_objects=False), "infraBasicInfo")
            raise DssError("Infrastructure %s does not exist on the deployer %s (infrastructures: %s)."
                           % (infra_id, module.url, ", ".join(known) or "none"))
    return bundle in dd.bundle_ids(published)


def governance_gate(module, deployment_id, bundle_id):
    """(Govern's status, the preflight's govern entry); with govern_timeout, wait that long for a sign-off first."""
    gov = dd.governance(module, deployment_id, bundle_id)
    deadline = time.time() + module.params["govern_timeout"]
    while gov["blocked"] and not module.check_mode and time.time() < deadline:
        time.sleep(min(module.params["govern_poll_interval"], max(0.1, deadline - time.time())))
        gov = dd.governance(module, deployment_id, bundle_id)
    waited = " after waiting %d seconds for a sign-off" % module.params["govern_timeout"] if (
        gov["blocked"] and module.params["govern_timeout"] and not module.check_mode) else ""
    return gov, govern_entry(gov, deployment_id, bundle_id, module.params["ignore_warnings"], waited)


def check_governance(module, deployment_id, bundle_id):
    """Fail unless Govern lets the bundle through (the govern gate alone)."""
    gov, gate = governance_gate(module, deployment_id, bundle_id)
    if gate["status"] == "block":
        raise DssError("%s. Nothing was changed." % gate["reason"], governance=gov)


def infra_settings(module, infra_id):
    """The infrastructure's raw settings (its Govern and Project Standards policies, as DSS applies them)."""
    with module.dss_errors("read the settings of infrastructure %s" % infra_id):
        return dd.deployer(module).get_infra(infra_id).get_settings().get_raw()


def check_automation_node(module, infra_id, deployment_id, infra=None):
    """Fail unless the infrastructure's automation node answers; ``infra``: its raw settings if already read."""
    infra = infra_settings(module, infra_id) if infra is None else infra
    url = infra.get("automationNodeUrl")
    if not url:
        raise DssError("Infrastructure %s has no automation node URL: the update of deployment %s cannot run; "
                       "nothing was changed." % (infra_id, deployment_id))
    reason = dd.probe(url, timeout=module.params["timeout"])
    if reason:
        raise DssError("The automation node %s of infrastructure %s cannot be reached (%s): the update of "
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
            raise DssError("The update of deployment %s to bundle %s did not finish within %d seconds."
                           % (deployment_id, bundle_id, module.params["update_timeout"]), previous_bundle_id=previous)
        time.sleep(delay)
        delay = min(delay * 1.5, 5)
    if update.get("status") == "FAILED":
        health, messages = dd.health(module, deployment_id)
        lines = (update.get("logs") or {}).get("lines") or []
        raise DssError(module.scrub("The update of deployment %s to bundle %s failed: %s"
                                    % (deployment_id, bundle_id, " ".join(lines)[-300:])),
                       health=health, health_messages=messages, previous_bundle_id=previous, update_log=lines)
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
                raise DssError("The update of deployment %s to bundle %s did not finish within %d seconds "
                               "(DSS job %s may still be running)." % late, previous_bundle_id=previous)
            time.sleep(delay)
            delay = min(delay * 1.5, 5)
            state = future.get_state() or {}
    except DataikuException as exc:
        health, messages = dd.health(module, deployment_id)
        raise DssError(module.scrub("The update of deployment %s to bundle %s failed: %s"
                                    % (deployment_id, bundle_id, exc)),
                       health=health, health_messages=messages, previous_bundle_id=previous,
                       update_log=last_log(module, handle))
    return state.get("result") or {}


def last_log(module, handle):
    with module.dss_errors("read the last update of deployment %s" % handle.id):
        return handle.get_update().logs or []
