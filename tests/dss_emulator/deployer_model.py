"""State of the Project Deployer (no HTTP here): published projects and their bundles, stages, infrastructures,
deployments, update history, Govern sign-offs, and the views dataikuapi reads.

Documents (scope "" unless said): `pd_project` (id = published project key), `pd_bundle` (scope = published
project key, id = bundle id, with `archive: {sha256, size}` and the bundle's Project Standards report if any),
`pd_govern` (scope = published project key, id = bundle id), `pd_infra`, `pd_deployment` (settings as GET
.../settings shows them), `pd_deployment_state` (what the last update deployed and how it ended), `pd_update` (scope
= deployment id, id = zero-padded start timestamp), `pd_test_run` (scope = deployment id, id = scenario id).
Rules and [INF] choices: docs/emulator.md, "Project Deployer".
"""

from . import project_standards as standards
from .errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from .node import current_user, now_iso, store

STAGES = [{"id": "Development", "desc": "Development infrastructures"},
          {"id": "Test", "desc": "Test and staging infrastructures"},
          {"id": "Production", "desc": "Production infrastructures"}]
GOVERN_POLICIES = ("PREVENT", "WARN", "NO_CHECK")
GOVERN_STATUSES = ("PENDING", "APPROVED", "REJECTED")
NOT_APPROVED = "ERR_DEPLOYER_GOVERN_BUNDLE_NOT_APPROVED"
GOVERN_WARNING = "WARN_DEPLOYER_GOVERN_BUNDLE_NOT_APPROVED"
_INTERNAL = ("archive", standards.REPORT_FIELD)


def _required(kind, what, id_):
    """The instance-level document (kind, id_), or a 404 naming `what`."""
    doc = store().get(kind, "", id_)
    if doc is None:
        raise DSSError("%s %s does not exist" % (what, id_), NOT_FOUND, 404)
    return doc


def _conflict(message):
    return DSSError(message, ILLEGAL_ARGUMENT, 400)


# -- published projects and bundles -----------------------------------------------------------------------------

def published_project(key):
    return _required("pd_project", "Published project", key)


def ensure_published_project(key):
    """The published project `key`, created on first publish or upload (DSS does the same)."""
    doc = store().get("pd_project", "", key)
    if doc is None:
        doc = {"id": key, "name": key, "owner": current_user(), "permissions": [],
               "creationTag": {"lastModifiedBy": {"login": current_user()}, "lastModifiedOn": now_iso()}}
        store().put("pd_project", "", key, doc)
    return doc


def published_bundle(key, bundle_id):
    doc = store().get("pd_bundle", key, bundle_id)
    if doc is None:
        raise DSSError("Bundle %s does not exist in published project %s" % (bundle_id, key), NOT_FOUND, 404)
    return doc


def add_published_bundle(key, manifest, archive, design_info, standards_report=None):
    """Record a bundle in published project `key` (created if needed); the same id twice is refused. The bundle's
    Project Standards report, if it has one, is kept with it."""
    st = store()
    bundle_id = manifest["bundleId"]
    with st.transaction():
        ensure_published_project(key)
        if st.get("pd_bundle", key, bundle_id) is not None:
            raise _conflict("Bundle %s already exists in published project %s" % (bundle_id, key))
        doc = {"id": bundle_id, "publishedOn": now_iso(), "publishedBy": current_user(),
               "designNodeInfo": design_info, "exportManifest": manifest, "archive": archive}
        if standards_report is not None:
            doc[standards.REPORT_FIELD] = standards_report
        st.put("pd_bundle", key, bundle_id, doc)
    return doc


def bundle_view(doc):
    return {k: v for k, v in doc.items() if k not in _INTERNAL}


def deployments_of(predicate):
    return [d for d in store().list("pd_deployment") if predicate(d)]


def deployment_basic(settings):
    return {"id": settings["id"], "publishedProjectKey": settings["publishedProjectKey"],
            "infraId": settings["infraId"], "bundleId": settings["bundleId"],
            "deployedProjectKey": settings["deployedProjectKey"], "tags": list(settings.get("tags") or [])}


def project_status(doc):
    key = doc["id"]
    deps = deployments_of(lambda d: d["publishedProjectKey"] == key)
    infra_ids = sorted({d["infraId"] for d in deps})
    return {"projectBasicInfo": {"id": key, "name": doc.get("name", key)},
            "packages": [bundle_view(b) for b in store().list("pd_bundle", key)],
            "deployments": [deployment_basic(d) for d in deps],
            "infras": [infra_basic(store().get("pd_infra", "", i)) for i in infra_ids],
            "canDeploy": True, "canWrite": True, "isAdmin": True}


# -- Govern ------------------------------------------------------------------------------------------------------

def govern_status(key, bundle_id):
    """{status, by, on} of a bundle; a bundle nobody signed off yet is PENDING."""
    return store().get("pd_govern", key, bundle_id) or {"status": "PENDING", "by": None, "on": None}


def set_govern_status(key, bundle_id, status, by):
    published_bundle(key, bundle_id)
    if status not in GOVERN_STATUSES:
        raise _conflict("Govern status must be one of %s, got %r" % (", ".join(GOVERN_STATUSES), status))
    doc = {"status": status, "by": by or current_user(), "on": now_iso()}
    store().put("pd_govern", key, bundle_id, doc)
    return doc


def message(severity, code, title, text, fatal=False):
    return {"severity": severity, "isFatal": fatal, "code": code, "title": title, "message": text, "details": text}


def governance_messages(infra, key, bundle_id):
    """What the deployer says about deploying `bundle_id` of `key` on `infra`, per its governCheckPolicy."""
    policy = infra.get("governCheckPolicy", "NO_CHECK")
    gov = govern_status(key, bundle_id)
    where = "infrastructure %s (governCheckPolicy %s)" % (infra["id"], policy)
    if gov["status"] == "APPROVED":
        return [message("SUCCESS", "INFO_DEPLOYER_GOVERN_BUNDLE_APPROVED", "Bundle approved in Govern",
                        "Bundle %s of %s is approved in Govern (signed off by %s)" % (bundle_id, key, gov["by"]))]
    text = "Bundle %s of %s is not approved in Govern (governance status: %s)" % (bundle_id, key, gov["status"])
    if policy == "PREVENT":
        return [message("ERROR", NOT_APPROVED, "Bundle not approved in Govern",
                        "%s; %s refuses it" % (text, where), fatal=True)]
    if policy == "WARN":
        return [message("WARNING", GOVERN_WARNING, "Bundle not approved in Govern", "%s; %s deploys it with a "
                        "warning (ignoreWarnings)" % (text, where))]
    return [message("INFO", "INFO_DEPLOYER_GOVERN_NO_CHECK", "Govern not checked",
                    "%s; %s does not check it" % (text, where))]


def report(messages):
    """A DSS info-messages report: flags plus the list."""
    severities = {m["severity"] for m in messages}
    return {"anyMessage": bool(messages), "success": "SUCCESS" in severities, "warning": "WARNING" in severities,
            "error": "ERROR" in severities, "fatal": any(m.get("isFatal") for m in messages),
            "messages": messages}


def standards_messages(infra, key, bundle):
    """(log lines, messages) of the infrastructure's Project Standards policy about deploying published `bundle` of
    `key`: an ERROR message (policy PREVENT) or a WARNING one (WARN) when checks of at least the policy's minimum
    severity found issues; no message otherwise [INF: a bundle without a report passes]."""
    policy = infra.get(standards.POLICY_FIELD) or "NO_CHECK"
    if policy == "NO_CHECK":
        return [], []
    bundle_id, report = bundle["id"], bundle.get(standards.REPORT_FIELD)
    min_severity = infra.get(standards.MIN_SEVERITY_FIELD) or 1
    where = "infrastructure %s (%s %s)" % (infra["id"], standards.POLICY_FIELD, policy)
    if report is None:
        return ["Project Standards: bundle %s of %s has no report; %s does not check it" % (bundle_id, key, where)], []
    failing = standards.failing_checks(report, min_severity)
    if not failing:
        return ["Project Standards: bundle %s of %s passes its %d check(s)"
                % (bundle_id, key, len(report.get("bundleChecksRunInfo") or {}))], []
    names = standards.SEVERITY_NAMES
    text = "Bundle %s of %s fails %d Project Standards check(s) of severity %s or more: %s" % (
        bundle_id, key, len(failing), names[min_severity], ", ".join("%s (%s)" % (n, names[s]) for n, s in failing))
    if policy == "PREVENT":
        msg = message("ERROR", standards.CHECKS_FAILED, "Project Standards checks failed",
                      "%s; %s refuses it" % (text, where), fatal=True)
    else:
        msg = message("WARNING", standards.CHECKS_WARNING, "Project Standards checks failed",
                      "%s; %s deploys it with a warning" % (text, where))
    return ["Project Standards: %s" % msg["message"]], [msg]


def check_governance(infra, key, bundle_id, ignore_warnings):
    """Raise unless `bundle_id` may be set on a deployment of `infra`; returns the warning messages let through."""
    messages = governance_messages(infra, key, bundle_id)
    for msg in messages:
        if msg["severity"] == "ERROR":
            raise DSSError(msg["message"], "com.dataiku.dip.exceptions.CodedException", 400, msg["code"])
        if msg["severity"] == "WARNING" and not ignore_warnings:
            raise DSSError("%s. Save with ignoreWarnings to deploy it anyway" % msg["message"],
                           "com.dataiku.dip.exceptions.CodedException", 400, msg["code"])
    return [m for m in messages if m["severity"] == "WARNING"]


# -- infrastructures ---------------------------------------------------------------------------------------------

def infra(infra_id):
    return _required("pd_infra", "Infrastructure", infra_id)


def infra_basic(doc):
    return {"id": doc["id"], "stage": doc["stage"], "governCheckPolicy": doc["governCheckPolicy"],
            "automationNodeUrl": doc.get("automationNodeUrl", ""), "type": "AUTOMATION"}


def infra_status(doc):
    return {"infraBasicInfo": infra_basic(doc),
            "deployments": [deployment_basic(d) for d in deployments_of(lambda d: d["infraId"] == doc["id"])],
            "canDeploy": True, "isAdmin": True}


def new_infra(body):
    doc = {"id": body.get("id"), "stage": body.get("stage"), "governCheckPolicy": body.get("governCheckPolicy"),
           "automationNodeUrl": "", "automationNodeExternalUrl": "", "adminApiKey": "",
           "trustAllSSLCertificates": False, "autoconfigureFromNodesDirectory": False, "nodeId": "",
           "permissions": [], "bundleContainerSettings": {"remapping": {"connections": [], "codeEnvs": []}}}
    return checked_infra(doc)


def checked_infra(doc):
    if not isinstance(doc.get("id"), str) or not doc["id"]:
        raise _conflict("An infrastructure needs an id")
    stages = [s["id"] for s in STAGES]
    if doc.get("stage") not in stages:
        raise _conflict("Unknown stage %r: the stages of this deployer are %s" % (doc.get("stage"), ", ".join(stages)))
    if doc.get("governCheckPolicy") not in GOVERN_POLICIES:
        raise _conflict("governCheckPolicy must be one of %s, got %r"
                        % (", ".join(GOVERN_POLICIES), doc.get("governCheckPolicy")))
    standards.check_infra(doc)
    if not isinstance(doc.get("permissions") or [], list):
        raise _conflict("permissions must be a list")
    return doc


# -- deployments -------------------------------------------------------------------------------------------------

def deployment(dep_id):
    return _required("pd_deployment", "Deployment", dep_id)


def new_deployment(body):
    """Settings of a deployment created from the create call's body (deploymentId, publishedProjectKey, ...)."""
    return {"id": body.get("deploymentId"), "publishedProjectKey": body.get("publishedProjectKey"),
            "infraId": body.get("infraId"), "bundleId": body.get("bundleId"),
            "deployedProjectKey": body.get("deployedProjectKey") or body.get("publishedProjectKey"),
            "projectFolderId": body.get("projectFolderId") or "ROOT", "tags": [],
            "bundleContainerSettings": {"remapping": {"connections": [], "codeEnvs": []},
                                        "codeEnvsBehavior": {"importTimeMode": "INSTALL_IF_MISS",
                                                             "envImportSpecificationMode": "SPECIFIED"}},
            "localVariables": {}, "scenariosToActivate": {}, "disableAutomaticTriggers": False}


def check_deployment(settings, ignore_warnings, old=None):
    """Validate deployment settings against the deployer's state; returns the Govern warnings let through."""
    for field in ("id", "publishedProjectKey", "infraId", "bundleId", "deployedProjectKey"):
        if not isinstance(settings.get(field), str) or not settings[field]:
            raise _conflict("Deployment settings need a non-empty %s" % field)
    if old is not None:
        for field in ("id", "publishedProjectKey"):
            if settings[field] != old[field]:
                raise _conflict("The %s of deployment %s cannot be changed" % (field, old["id"]))
    published_project(settings["publishedProjectKey"])
    published_bundle(settings["publishedProjectKey"], settings["bundleId"])
    infra_doc = infra(settings["infraId"])
    if not isinstance(settings.get("scenariosToActivate") or {}, dict):
        raise _conflict("scenariosToActivate must map scenario ids to true/false")
    if old is not None and old["bundleId"] == settings["bundleId"] and old["infraId"] == settings["infraId"]:
        return []
    return check_governance(infra_doc, settings["publishedProjectKey"], settings["bundleId"], ignore_warnings)


def deployment_state(dep_id):
    return store().get("pd_deployment_state", "", dep_id) or {}


def light_status(settings):
    state = deployment_state(settings["id"])
    return {"deploymentBasicInfo": deployment_basic(settings),
            "projectBasicInfo": {"id": settings["publishedProjectKey"], "name": settings["publishedProjectKey"]},
            "infraBasicInfo": infra_basic(infra(settings["infraId"])),
            "packageInfo": bundle_view(published_bundle(settings["publishedProjectKey"], settings["bundleId"])),
            "neverEverDeployed": not state.get("lastUpdateStart")}


def updates(dep_id):
    return store().list("pd_update", dep_id)


def record_update(dep_id, update):
    """Store an update of the history; its id (the start timestamp) is kept unique and increasing."""
    st = store()
    with st.transaction():
        last = (st.list("pd_update", dep_id) or [{}])[-1].get("startTimestamp", 0)
        update["startTimestamp"] = max(update["startTimestamp"], last + 1)
        st.put("pd_update", dep_id, "%015d" % update["startTimestamp"], update)
    return update
