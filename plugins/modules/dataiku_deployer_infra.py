#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_deployer_infra
short_description: Manage a Project Deployer infrastructure of Dataiku DSS as code
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Creates, updates or deletes an infrastructure of the Project Deployer (one automation node, its stage, its
    Govern check policy, its connection and code environment remapping and its permissions).
  - O(url) is the deployer, a DEPLOYER node or a DESIGN node running a local deployer; any other node type is
    refused before any change.
  - Only the options that are set are managed; other settings of the infrastructure are kept.
  - Before writing, the automation node O(automation_node_url) is checked to answer (any HTTP status), so a typo
    fails the task instead of every later deployment.
  - The admin API key of the automation node is never returned or shown in a diff; the diff says whether it
    changes.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  infra_id:
    description: Id of the infrastructure (letters, digits, V(_), V(.), V(-)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the infrastructure, V(absent) deletes it.
      - DSS refuses to delete an infrastructure that deployments still use; the task then fails with its message.
    type: str
    choices: [present, absent]
    default: present
  stage:
    description:
      - Stage of the infrastructure, one of the stages of the deployer (by default V(Development), V(Test),
        V(Production)). Required to create it.
    type: str
  govern_check_policy:
    description:
      - What the deployer does with the Govern status of a bundle deployed here. V(PREVENT) refuses a bundle that
        is not approved in Govern, V(WARN) deploys it with a warning, V(NO_CHECK) does not look.
      - Defaults to V(NO_CHECK) when the infrastructure is created.
    type: str
    choices: [PREVENT, WARN, NO_CHECK]
  automation_node_url:
    description: Base URL of the automation node the infrastructure deploys to.
    type: str
  automation_api_key:
    description:
      - Admin API key of the automation node, used by the deployer. Never returned or logged.
      - See O(update_api_key) for when it is written.
    type: str
  update_api_key:
    description:
      - V(always) writes O(automation_api_key) when it differs from the stored one, V(on_create) only when the
        infrastructure is created or has no key yet (for deployers that do not return stored keys).
    type: str
    choices: [always, on_create]
    default: always
  trust_all_ssl_certificates:
    description:
      - Whether the deployer accepts any TLS certificate from the automation node (C(trustAllSSLCertificates)).
      - Leave V(false) and install the CA on the deployer; V(true) is for throw-away test nodes.
    type: bool
  connections:
    description:
      - Connection remapping applied to the deployments of this infrastructure (design connection name to
        automation connection name). Deployment-level remapping takes precedence entry by entry.
      - The whole table is managed when set; V({}) clears it.
    type: dict
  code_envs:
    description: Code environment remapping (design env name to automation env name), managed as a whole when set.
    type: dict
  permissions:
    description:
      - Group permissions on the infrastructure, managed as a whole list when set.
    type: list
    elements: dict
    suboptions:
      group:
        description: Group name.
        type: str
        required: true
      read:
        description: Can see the infrastructure.
        type: bool
        default: true
      deploy:
        description: Can deploy to the infrastructure.
        type: bool
        default: false
      admin:
        description: Can administer the infrastructure.
        type: bool
        default: false
  check_automation_node:
    description: Check that O(automation_node_url) answers before writing it.
    type: bool
    default: true
seealso:
  - module: dataiku_gitops.dss.dataiku_deployment
  - module: dataiku_gitops.dss.dataiku_bundle_publish
"""

EXAMPLES = r"""
- name: Production infrastructure, Govern sign-off required
  dataiku_gitops.dss.dataiku_deployer_infra:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    infra_id: prod
    stage: Production
    govern_check_policy: PREVENT
    automation_node_url: https://dss-prod.example.com:11200
    automation_api_key: "{{ vault_dss_prod_api_key }}"
    connections:
      pg_dev: pg_prod
    permissions:
      - group: release-managers
        deploy: true
"""

RETURN = r"""
infra:
  description: The managed settings after the run (the admin API key replaced by whether one is set).
  returned: when O(state=present)
  type: dict
  sample:
    infra_id: prod
    stage: Production
    govern_check_policy: PREVENT
    automation_node_url: https://dss-prod.example.com:11200
    automation_api_key_set: true
    trust_all_ssl_certificates: false
    connections: {pg_dev: pg_prod}
    code_envs: {}
    permissions: [{group: release-managers, read: true, deploy: true, admin: false}]
"""

import copy

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import equal
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule

KEY_MARK = "********"


def view(raw):
    """The managed fields of raw infrastructure settings, as the diff and the result show them."""
    remapping = (raw.get("bundleContainerSettings") or {}).get("remapping") or {}
    return dict(
        infra_id=raw.get("id"), stage=raw.get("stage"), govern_check_policy=raw.get("governCheckPolicy"),
        automation_node_url=raw.get("automationNodeUrl") or "",
        automation_api_key_set=bool(raw.get("adminApiKey")),
        trust_all_ssl_certificates=bool(raw.get("trustAllSSLCertificates")),
        connections=dd.remap_table(remapping.get("connections")), code_envs=dd.remap_table(remapping.get("codeEnvs")),
        permissions=[dict(group=p.get("group"), read=bool(p.get("read")), deploy=bool(p.get("deploy")),
                          admin=bool(p.get("admin"))) for p in raw.get("permissions") or []],
    )


def desired_raw(module, current, creating):
    """``current`` raw settings with the options that are set applied; returns (raw, key_changes)."""
    p = module.params
    raw = copy.deepcopy(current)
    for option, field in (("stage", "stage"), ("govern_check_policy", "governCheckPolicy"),
                          ("automation_node_url", "automationNodeUrl"),
                          ("trust_all_ssl_certificates", "trustAllSSLCertificates")):
        if p[option] is not None:
            raw[field] = p[option].rstrip("/") if option == "automation_node_url" else p[option]
    dd.apply_remapping(raw, p)
    if p["permissions"] is not None:
        raw["permissions"] = [dict(group=x["group"], read=x["read"], deploy=x["deploy"], admin=x["admin"])
                              for x in p["permissions"]]
    key_changes = False
    if p["automation_api_key"] is not None:
        stored = current.get("adminApiKey") or ""
        if (p["update_api_key"] == "always" or creating or not stored) and stored != p["automation_api_key"]:
            raw["adminApiKey"] = p["automation_api_key"]
            key_changes = True
    return raw, key_changes


def check_input(module):
    p = module.params
    errors = [dd.id_error(p["infra_id"], "infra_id")]
    for option in ("connections", "code_envs"):
        for source, target in (p[option] or {}).items():
            if not isinstance(target, str) or not target:
                errors.append("%s maps %r to %r: map each design name to a non-empty target name."
                              % (option, source, target))
    if p["automation_node_url"] is not None:
        module._checked_url(p["automation_node_url"], "automation_node_url")
    errors = [e for e in errors if e]
    if errors:
        raise DssError(" ".join(errors))


def check_automation_node(module, raw):
    url = raw.get("automationNodeUrl")
    if not module.params["check_automation_node"] or not url or module.params["automation_node_url"] is None:
        return
    reason = dd.probe(url, timeout=module.params["timeout"])
    if reason:
        raise DssError("The automation node %s of infrastructure %s cannot be reached (%s): check "
                       "automation_node_url; nothing was changed." % (url, module.params["infra_id"], reason))


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    check_input(module)
    p = module.params
    infra_id = p["infra_id"]
    exists, infra, settings = dd.open_object(module, "infrastructure", "infra_id")
    if exists:
        current = settings.get_raw()
    else:
        if not p["stage"]:
            raise DssError("Infrastructure %s does not exist: set stage (and govern_check_policy) to create "
                           "it." % infra_id)
        with module.dss_errors("list the stages of the Project Deployer"):
            stages = [s.get("id") for s in dd.deployer(module).list_stages() or []]
        if stages and p["stage"] not in stages:
            raise DssError("stage %r is not a stage of this deployer; its stages are: %s."
                           % (p["stage"], ", ".join(stages)))
        current = {"id": infra_id, "stage": p["stage"], "governCheckPolicy": p["govern_check_policy"] or "NO_CHECK"}
    desired, key_changes = desired_raw(module, current, not exists)
    before, after = (view(current) if exists else {}), view(desired)
    if key_changes:
        before = dict(before, automation_api_key=KEY_MARK if current.get("adminApiKey") else "")
        after = dict(after, automation_api_key=KEY_MARK + " (new)")
    changed = not exists or key_changes or not equal(view(current), after)
    if changed:
        check_automation_node(module, desired)
    if changed and not module.check_mode:
        if not exists:
            module.write_once("create infrastructure %s" % infra_id,
                              lambda: dd.deployer(module).create_infra(infra_id, desired["stage"], desired["governCheckPolicy"]),
                              lambda: dd.find_infra(module, infra_id) is not None)
            with module.dss_errors("read the settings of infrastructure %s" % infra_id):
                settings = infra.get_settings()
            desired = dict(settings.get_raw(), **{k: v for k, v in desired.items() if k != "id"})
        stored = view(dd.save_settings(module, "infrastructure", infra_id, infra, settings, desired, view))
        if not equal(stored, view(desired)):
            raise DssError("DSS did not keep the settings of infrastructure %s as written." % infra_id)
    module.exit_with(changed, before=before, after=after, infra=view(desired))


def main():
    module = DssModule(argument_spec=dict(
        infra_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        stage=dict(type="str"),
        govern_check_policy=dict(type="str", choices=["PREVENT", "WARN", "NO_CHECK"]),
        automation_node_url=dict(type="str"),
        automation_api_key=dict(type="str", no_log=True),
        update_api_key=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
        trust_all_ssl_certificates=dict(type="bool"),
        connections=dict(type="dict"),
        code_envs=dict(type="dict"),
        permissions=dict(type="list", elements="dict", options=dict(
            group=dict(type="str", required=True), read=dict(type="bool", default=True),
            deploy=dict(type="bool", default=False), admin=dict(type="bool", default=False))),
        check_automation_node=dict(type="bool", default=True),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
