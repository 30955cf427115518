#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_deployment_info
short_description: Read Project Deployer deployments of Dataiku DSS, their health, updates and Govern status
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Returns the deployments of the Project Deployer at O(url) (all, or one), each with its health and its most
    recent updates.
  - With O(deployment_id) and O(bundle_id), also returns what Govern says about deploying that bundle through the
    deployment (RV(governance)), the input of a sign-off gate.
  - A missing deployment is not an error; RV(exists) is then V(false).
  - Never changes anything on DSS (C(changed) is always V(false)).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  deployment_id:
    description: Id of the deployment to read. When not set, all deployments are returned.
    type: str
  published_project_key:
    description: Only the deployments of this published project.
    type: str
  infra_id:
    description: Only the deployments on this infrastructure.
    type: str
  bundle_id:
    description: Bundle whose Govern status RV(governance) reports; needs O(deployment_id).
    type: str
  updates:
    description: How many of the most recent updates to return per deployment, with their logs (V(0) for none).
    type: int
    default: 3
seealso:
  - module: dataiku_gitops.dss.dataiku_deployment
"""

EXAMPLES = r"""
- name: Is bundle v12 signed off in Govern for production?
  dataiku_gitops.dss.dataiku_deployment_info:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    deployment_id: churn-on-prod
    bundle_id: v12
  register: prod
  until: prod.governance.approved
  retries: 60
  delay: 60
"""

RETURN = r"""
exists:
  description: Whether the deployment named by O(deployment_id) exists.
  returned: when O(deployment_id) is set
  type: bool
deployments:
  description: The deployments, in DSS order.
  returned: always
  type: list
  elements: dict
  contains:
    deployment_id:
      description: Id of the deployment.
      type: str
      returned: always
    published_project_key:
      description: Published project deployed.
      type: str
      returned: always
    infra_id:
      description: Infrastructure deployed to.
      type: str
      returned: always
    bundle_id:
      description: Bundle named by the settings.
      type: str
      returned: always
    deployed_project_key:
      description: Project key on the automation node.
      type: str
      returned: always
    health:
      description: V(HEALTHY), V(WARNING), V(OUT_OF_SYNC), V(ERROR), V(UNHEALTHY) or V(UNKNOWN).
      type: str
      returned: always
    health_messages:
      description: Messages of the health (severity, title, message).
      type: list
      elements: dict
      returned: always
    updates:
      description: Most recent updates first, each with start_time, end_time, status, requester and log.
      type: list
      elements: dict
      returned: always
governance:
  description:
    - What Govern says about O(bundle_id) for the deployment. V(blocked) when the infrastructure's policy
      V(PREVENT) refuses it, V(warning) under V(WARN), V(approved) when it is signed off.
  returned: when O(deployment_id) and O(bundle_id) are set and the deployment exists
  type: dict
  sample:
    bundle_id: v12
    severity: ERROR
    approved: false
    blocked: true
    warning: false
    summary: "Bundle v12 of CHURN is not approved in Govern (governance status: PENDING)"
    messages: []
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule


def check_input(module):
    p = module.params
    errors = []
    for option, check in (("deployment_id", dd.id_error), ("infra_id", dd.id_error),
                          ("published_project_key", project_key_error), ("bundle_id", bundle_id_error)):
        if p[option] is not None:
            errors.append(check(p[option], option))
    if p["bundle_id"] is not None and p["deployment_id"] is None:
        errors.append("bundle_id needs deployment_id: DSS reports Govern status per deployment.")
    if p["updates"] < 0:
        errors.append("updates must be 0 or more.")
    errors = [e for e in errors if e]
    if errors:
        raise DssError(" ".join(errors))


def updates_of(module, handle, count):
    if count == 0:
        return []
    with module.dss_errors("list the updates of deployment %s" % handle.id):
        items = handle.list_updates()[:count]
        full = [item.get_full_update().get_raw() for item in items]
    return [dict(start_time=u.get("startTimestamp"), end_time=u.get("endTimestamp"), status=u.get("status"),
                 requester=u.get("requester"), type=u.get("type"), log=(u.get("logs") or {}).get("lines") or [])
            for u in full]


def describe(module, light):
    info = light.get("deploymentBasicInfo") or {}
    dep_id = info.get("id")
    health, messages = dd.health(module, dep_id)
    handle = dd.deployer(module).get_deployment(dep_id)
    return dict(deployment_id=dep_id, published_project_key=info.get("publishedProjectKey"),
                infra_id=info.get("infraId"), bundle_id=info.get("bundleId"),
                deployed_project_key=info.get("deployedProjectKey"), health=health, health_messages=messages,
                updates=updates_of(module, handle, module.params["updates"]))


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    check_input(module)
    p = module.params
    module.check_node_type_option()
    dd.require_deployer(module)
    selected = []
    for light in dd.list_deployments(module):
        info = light.get("deploymentBasicInfo") or {}
        filters = (("deployment_id", "id"), ("infra_id", "infraId"), ("published_project_key", "publishedProjectKey"))
        if all(p[option] is None or info.get(field) == p[option] for option, field in filters):
            selected.append(light)
    result = dict(changed=False, deployments=[describe(module, light) for light in selected])
    if p["deployment_id"] is not None:
        result["exists"] = bool(selected)
        if selected and p["bundle_id"] is not None:
            result["governance"] = dd.governance(module, p["deployment_id"], p["bundle_id"])
    module.exit_json(**result)


def main():
    module = DssModule(argument_spec=dict(
        deployment_id=dict(type="str"),
        published_project_key=dict(type="str", no_log=False),
        infra_id=dict(type="str"),
        bundle_id=dict(type="str"),
        updates=dict(type="int", default=3),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
