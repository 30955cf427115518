# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project Deployer reads shared by the deployer modules: node check, existence of published projects,
infrastructures and deployments, remapping tables, Govern status and the reachability of an automation node.

Existence is decided by listing: DataikuException carries no HTTP status, so a failed GET cannot tell
"not found" from other failures.
"""

from __future__ import annotations

import re
import warnings

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import equal
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError

try:
    import requests
except ImportError:  # reported by DssModule
    requests = None

DEPLOYER_NODE_TYPES = ("DESIGN", "DEPLOYER")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
SEVERITY_RANK = {"SUCCESS": 0, "INFO": 1, "WARNING": 2, "ERROR": 3}


def id_error(value, option):
    """None when an infrastructure or deployment id is safe in a URL path, else what is allowed."""
    if not isinstance(value, str) or not ID_RE.match(value) or value in (".", ".."):
        return ("%s %r is not a usable id: use only letters, digits, '_', '.' and '-' (for example prod-infra or "
                "churn-on-prod)." % (option, value))
    return None


def require_deployer(module):
    """Fail unless the node at url runs a Project Deployer (a DEPLOYER node or a design node's local deployer)."""
    actual = module.node_info().get("nodeType")
    if actual not in DEPLOYER_NODE_TYPES:
        raise DssError("The Project Deployer runs on a DEPLOYER node or on a DESIGN node with a local deployer, but %s "
                       "is a %s node: set url to the deployer." % (module.url, actual))
    return actual


def deployer(module):
    return module.client.get_projectdeployer()


def find_published_project(module, key):
    """The published project's status (packages, deployments, infras), or None."""
    with module.dss_errors("list the published projects of the Project Deployer"):
        items = deployer(module).list_projects(as_objects=False)
    for item in items or []:
        if (item.get("projectBasicInfo") or {}).get("id") == key:
            return item
    return None


def bundle_ids(published):
    return [b.get("id") for b in (published or {}).get("packages") or []]


def find_infra(module, infra_id):
    """The infrastructure's status (infraBasicInfo, deployments), or None."""
    with module.dss_errors("list the infrastructures of the Project Deployer"):
        items = deployer(module).list_infras(as_objects=False)
    for item in items or []:
        if (item.get("infraBasicInfo") or {}).get("id") == infra_id:
            return item
    return None


def known_ids(items, info_key):
    return sorted((i.get(info_key) or {}).get("id") for i in items or [])


def list_deployments(module):
    with module.dss_errors("list the deployments of the Project Deployer"):
        return deployer(module).list_deployments(as_objects=False) or []


def find_deployment(module, deployment_id):
    """The deployment's light status, or None."""
    for item in list_deployments(module):
        if (item.get("deploymentBasicInfo") or {}).get("id") == deployment_id:
            return item
    return None


def remap_list(table):
    """{source: target} -> DSS's [{source, target}] list, sorted by source for a stable comparison."""
    return [{"source": s, "target": t} for s, t in sorted((table or {}).items())]


def remap_table(entries):
    """DSS's [{source, target}] list -> {source: target} (entries without a source are skipped)."""
    return {e["source"]: e.get("target") for e in entries or [] if isinstance(e, dict) and e.get("source")}


def apply_remapping(raw, params):
    """Set ``bundleContainerSettings.remapping`` sections of raw settings from the ``connections`` and ``code_envs``
    options that are set (each managed as a whole)."""
    remapping = raw.setdefault("bundleContainerSettings", {}).setdefault("remapping", {})
    for option, section in (("connections", "connections"), ("code_envs", "codeEnvs")):
        if params[option] is not None:
            remapping[section] = remap_list(params[option])
    return raw


FINDERS = {"infrastructure": (find_infra, "get_infra"), "deployment": (find_deployment, "get_deployment")}


def open_object(module, what, id_option):
    """Open the infrastructure or deployment (``what``) named by option ``id_option`` on the deployer at ``url``
    (checked first): (exists, handle, settings, or None when it does not exist). With state=absent, deletes it when
    it exists (never in check mode) and exits, changed when it existed."""
    module.check_node_type_option()
    require_deployer(module)
    find, getter = FINDERS[what]
    ident = module.params[id_option]
    exists = find(module, ident) is not None
    handle = getattr(deployer(module), getter)(ident)
    if module.params["state"] == "absent":
        if exists and not module.check_mode:
            module.write_once("delete %s %s" % (what, ident), handle.delete, lambda: find(module, ident) is None)
        module.exit_with(exists, before={id_option: ident} if exists else {}, after={})
    settings = None
    if exists:
        with module.dss_errors("read the settings of %s %s" % (what, ident)):
            settings = handle.get_settings()
    return exists, handle, settings


def save_settings(module, what, ident, handle, settings, desired, view, **save_options):
    """Replace the raw settings with ``desired`` and save them once (``write_once``: after a failure in transit,
    sent again only when a re-read shows DSS does not hold ``view(desired)``); returns the re-read raw settings."""
    settings.get_raw().clear()
    settings.get_raw().update(desired)

    def stored():
        with module.dss_errors("read back the settings of %s %s" % (what, ident)):
            return handle.get_settings().get_raw()
    module.write_once("save the settings of %s %s" % (what, ident), lambda: settings.save(**save_options),
                      lambda: equal(view(stored()), view(desired)))
    return stored()


def health(module, deployment_id):
    """(health, messages) of a deployment from its heavy status; health is UNKNOWN when DSS does not say."""
    with module.dss_errors("read the status of deployment %s" % deployment_id):
        heavy = deployer(module).get_deployment(deployment_id).get_status().get_heavy() or {}
    messages = (heavy.get("healthMessages") or {}).get("messages") or []
    return heavy.get("health") or "UNKNOWN", messages


def governance(module, deployment_id, bundle_id):
    """What the deployer says about deploying ``bundle_id`` through ``deployment_id``.

    Returns {bundle_id, severity, approved, blocked, warning, summary, messages}: ``blocked`` when a fatal ERROR
    (policy PREVENT and no sign-off), ``warning`` when a WARNING (policy WARN), ``approved`` when DSS reports
    SUCCESS. Only message severities and texts are read: their codes are not documented.
    """
    with module.dss_errors("read the Govern status of bundle %s for deployment %s" % (bundle_id, deployment_id)):
        raw = deployer(module).get_deployment(deployment_id).get_governance_status(bundle_id) or {}
    messages = [m for m in raw.get("messages") or [] if isinstance(m, dict)]
    worst = max(messages, key=lambda m: SEVERITY_RANK.get(m.get("severity"), 1), default=None)
    severity = (worst or {}).get("severity") or "INFO"
    summary = "; ".join(m.get("message") or m.get("title") or "" for m in messages) or "no Govern message"
    return dict(bundle_id=bundle_id, severity=severity, approved=severity == "SUCCESS",
                blocked=any(m.get("severity") == "ERROR" for m in messages),
                warning=severity == "WARNING", summary=summary, messages=messages)


def probe(url, timeout=10):
    """None when something answers HTTP(S) at ``url`` (any status), else why it cannot be reached.

    Only reachability is checked: no credentials are sent and the certificate is not verified here (whether the
    deployer trusts the automation node's certificate is the infrastructure's setting, not the controller's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            requests.get(url.rstrip("/") + "/dip/publicapi/instance-info", timeout=timeout, verify=False)
        except requests.exceptions.RequestException as exc:
            return type(exc).__name__
    return None
