"""The Project Deployer (client: dataikuapi/dss/projectdeployer.py): publishing from a design node, published
projects and bundles, stages, infrastructures, deployments, updates, tests and Govern status.

Served by a design node (local deployer) and by a node started with --node-type deployer; an automation node
answers an error. An update runs inside the start call (deployer_update calls the automation node over HTTP) and
is recorded as a future the client polls. `/__emulator__/govern/<project>/<bundle>` (outside the API prefix,
emulator only) signs a bundle off in "Govern" or rejects it.
"""

from flask import Blueprint, current_app, jsonify, request, send_file

from .. import deployer_model as dm
from .. import project_standards as standards
from ..bundle_archive import STANDARDS_KEY, BundleArchiveError, read_archive
from ..bundle_store import check_bundle_id, drop_blob, keep_spool
from ..deployer_update import UpdateFailed, active_bundle, run_update, start_test_scenarios, test_outcome
from ..errors import CODED, CODED_IO, ILLEGAL_ARGUMENT, ILLEGAL_STATE, DSSError, bad_request, not_found
from ..future_store import record_done, record_failed, started_state
from ..project_model import check_key
from ..web import (body_json, current_user, drain, node_type, now_iso, now_ms, qbool, require_project, spool_upload,
                   store)

bp = Blueprint("project_deployer", __name__)
DEPLOYER_NODES = ("DESIGN", "DEPLOYER")


@bp.before_request
def _deployer_only():
    if request.path.split("/")[3:4] == ["project-deployer"] and node_type() not in DEPLOYER_NODES:
        drain()
        raise DSSError("The Project Deployer is not available on this %s node: use the deployer node or a design "
                       "node with a local deployer" % node_type().title(), ILLEGAL_STATE, 400)
    return None


def _body_dict(what):
    body = body_json({})
    if not isinstance(body, dict):
        raise bad_request("%s must be a JSON object" % what)
    return body


# -- publish and upload ------------------------------------------------------------------------------------------

@bp.post("/projects/<key>/bundles/<bundle_id>/publish")
def publish_bundle(key, bundle_id):
    if node_type() != "DESIGN":
        raise DSSError("Publishing a bundle is only possible from a design node", ILLEGAL_STATE, 400)
    require_project(key)
    exported = store().get("exported_bundle", key, bundle_id)
    if exported is None:
        raise not_found("Bundle %s does not exist in project %s" % (bundle_id, key))
    target = request.args.get("publishedProjectKey") or key
    check_key(target)
    design_info = {"projectKey": key, "nodeId": current_app.config["NODE_ID"], "url": request.host_url.rstrip("/")}
    doc = dm.add_published_bundle(target, exported["exportManifest"], dict(exported["archive"]), design_info,
                                  exported.get(standards.REPORT_FIELD))
    return jsonify({"publishedOn": doc["publishedOn"], "publishedBy": doc["publishedBy"],
                    "publishedProjectKey": target})


@bp.post("/project-deployer/projects/bundles")
def upload_bundle():
    spool = spool_upload("file")
    try:
        manifest, content = read_archive(spool.path)
        check_bundle_id(manifest["bundleId"])
        key = request.args.get("projectKey") or manifest["originalProjectKey"]
        check_key(key)
    except BundleArchiveError as exc:
        spool.discard()
        raise DSSError(str(exc), CODED_IO, 400, "ERR_BUNDLE_INVALID_ARCHIVE") from exc
    except BaseException:
        spool.discard()
        raise
    archive = {"sha256": spool.sha256, "size": spool.size}
    design = {"projectKey": manifest["originalProjectKey"], "nodeId": None, "url": None}
    created = False
    try:
        with store().transaction():
            created = keep_spool(spool)
            dm.add_published_bundle(key, manifest, archive, design, content[STANDARDS_KEY])
    except BaseException:
        spool.discard()
        if created:
            drop_blob(archive["sha256"])
        raise
    return jsonify({})


# -- published projects ------------------------------------------------------------------------------------------

@bp.get("/project-deployer/projects")
def list_projects():
    return jsonify([dm.project_status(d) for d in store().list("pd_project")])


@bp.post("/project-deployer/projects")
def create_project():
    key = _body_dict("A published project").get("publishedProjectKey")
    check_key(key)
    with store().transaction():
        if store().get("pd_project", "", key) is not None:
            raise DSSError("Published project %s already exists" % key, ILLEGAL_ARGUMENT, 400)
        doc = dm.ensure_published_project(key)
    return jsonify(dm.project_status(doc))


@bp.get("/project-deployer/projects/<key>")
def project_status(key):
    return jsonify(dm.project_status(dm.published_project(key)))


@bp.get("/project-deployer/projects/<key>/settings")
def project_settings(key):
    return jsonify(dm.published_project(key))


@bp.put("/project-deployer/projects/<key>/settings")
def save_project_settings(key):
    body = _body_dict("Published project settings")
    with store().transaction():
        dm.published_project(key)
        if body.get("id", key) != key:
            raise bad_request("The id of published project %s cannot be changed" % key)
        if not isinstance(body.get("permissions") or [], list):
            raise bad_request("permissions must be a list")
        body["id"] = key
        store().put("pd_project", "", key, body)
    return jsonify({})


@bp.delete("/project-deployer/projects/<key>")
def delete_project(key):
    st = store()
    with st.transaction():
        dm.published_project(key)
        if dm.deployments_of(lambda d: d["publishedProjectKey"] == key):
            raise DSSError("Published project %s still has deployments" % key, ILLEGAL_STATE, 400)
        shas = [b["archive"]["sha256"] for b in st.list("pd_bundle", key)]
        st.delete("pd_project", "", key)
        # Not delete_scope: on a design node the published key is often also a project key of the node.
        for kind in ("pd_bundle", "pd_govern"):
            for id_ in st.ids(kind, key):
                st.delete(kind, key, id_)
    for sha in shas:
        drop_blob(sha)
    return jsonify({})


@bp.get("/project-deployer/projects/<key>/bundles/<bundle_id>")
def download_bundle(key, bundle_id):
    doc = dm.published_bundle(key, bundle_id)
    return send_file(store().blob_path(doc["archive"]["sha256"]), mimetype="application/zip", as_attachment=True,
                     download_name="%s-%s.zip" % (key, bundle_id), conditional=False, etag=False, max_age=0)


@bp.delete("/project-deployer/projects/<key>/bundles/<bundle_id>")
def delete_bundle(key, bundle_id):
    st = store()
    with st.transaction():
        doc = dm.published_bundle(key, bundle_id)
        used = dm.deployments_of(lambda d: d["publishedProjectKey"] == key and d["bundleId"] == bundle_id)
        if used:
            raise DSSError("Bundle %s is used by deployment(s) %s" % (bundle_id, ", ".join(d["id"] for d in used)),
                           ILLEGAL_STATE, 400)
        st.delete("pd_bundle", key, bundle_id)
        st.delete("pd_govern", key, bundle_id)
    drop_blob(doc["archive"]["sha256"])
    return jsonify({})


@bp.get("/project-deployer/projects/<key>/bundles/<bundle_id>/project-standards-report")
def standards_report(key, bundle_id):
    report = dm.published_bundle(key, bundle_id).get(standards.REPORT_FIELD)
    # A bundle exported without checks has no report: JSON null, which the client returns as None.
    return current_app.response_class("null", mimetype="application/json") if report is None else jsonify(report)


# -- stages and infrastructures ----------------------------------------------------------------------------------

@bp.get("/project-deployer/stages")
def list_stages():
    return jsonify(dm.STAGES)


@bp.get("/project-deployer/infras")
def list_infras():
    return jsonify([dm.infra_status(d) for d in store().list("pd_infra")])


@bp.post("/project-deployer/infras")
def create_infra():
    doc = dm.new_infra(_body_dict("An infrastructure"))
    with store().transaction():
        if store().get("pd_infra", "", doc["id"]) is not None:
            raise DSSError("Infrastructure %s already exists" % doc["id"], ILLEGAL_ARGUMENT, 400)
        store().put("pd_infra", "", doc["id"], doc)
    return jsonify(dm.infra_status(doc))


@bp.get("/project-deployer/infras/<infra_id>")
def infra_status(infra_id):
    return jsonify(dm.infra_status(dm.infra(infra_id)))


@bp.get("/project-deployer/infras/<infra_id>/settings")
def infra_settings(infra_id):
    return jsonify(dm.infra(infra_id))


@bp.put("/project-deployer/infras/<infra_id>/settings")
def save_infra_settings(infra_id):
    body = _body_dict("Infrastructure settings")
    with store().transaction():
        dm.infra(infra_id)
        if body.get("id", infra_id) != infra_id:
            raise bad_request("The id of infrastructure %s cannot be changed" % infra_id)
        body["id"] = infra_id
        store().put("pd_infra", "", infra_id, dm.checked_infra(body))
    return jsonify({})


@bp.delete("/project-deployer/infras/<infra_id>")
def delete_infra(infra_id):
    with store().transaction():
        dm.infra(infra_id)
        used = dm.deployments_of(lambda d: d["infraId"] == infra_id)
        if used:
            raise DSSError("Infrastructure %s is used by deployment(s) %s"
                           % (infra_id, ", ".join(d["id"] for d in used)), ILLEGAL_STATE, 400)
        store().delete("pd_infra", "", infra_id)
    return jsonify({})


@bp.post("/project-deployer/infras/<infra_id>/generate-personal-api-key")
def generate_personal_api_key(infra_id):
    dm.infra(infra_id)
    raise DSSError("Personal API keys can only be generated on multi automation node infrastructures",
                   ILLEGAL_STATE, 400)


# -- deployments -------------------------------------------------------------------------------------------------

@bp.get("/project-deployer/deployments")
def list_deployments():
    return jsonify([dm.light_status(d) for d in store().list("pd_deployment")])


@bp.post("/project-deployer/deployments")
def create_deployment():
    settings = dm.new_deployment(_body_dict("A deployment"))
    with store().transaction():
        if settings["id"] and store().get("pd_deployment", "", settings["id"]) is not None:
            raise DSSError("Deployment %s already exists" % settings["id"], ILLEGAL_ARGUMENT, 400)
        dm.check_deployment(settings, qbool("ignoreWarnings"))
        store().put("pd_deployment", "", settings["id"], settings)
    return jsonify(dm.light_status(settings))


@bp.get("/project-deployer/deployments/<dep_id>")
def deployment_light(dep_id):
    return jsonify(dm.light_status(dm.deployment(dep_id)))


@bp.get("/project-deployer/deployments/<dep_id>/settings")
def deployment_settings(dep_id):
    return jsonify(dm.deployment(dep_id))


@bp.put("/project-deployer/deployments/<dep_id>/settings")
def save_deployment_settings(dep_id):
    body = _body_dict("Deployment settings")
    with store().transaction():
        old = dm.deployment(dep_id)
        body.setdefault("id", dep_id)
        dm.check_deployment(body, qbool("ignoreWarnings"), old=old)
        store().put("pd_deployment", "", dep_id, body)
    return jsonify({})


@bp.delete("/project-deployer/deployments/<dep_id>")
def delete_deployment(dep_id):
    st = store()
    with st.transaction():
        dm.deployment(dep_id)
        st.delete("pd_deployment", "", dep_id)
        st.delete("pd_deployment_state", "", dep_id)
        for kind in ("pd_update", "pd_test_run"):
            for id_ in st.ids(kind, dep_id):
                st.delete(kind, dep_id, id_)
    return jsonify({})


def _heavy(settings):
    """Health: the last update's outcome, then whether the automation node runs the bundle of the settings."""
    state = dm.deployment_state(settings["id"])
    messages = []
    infra_doc = dm.infra(settings["infraId"])
    active, unreachable = active_bundle(infra_doc, settings["deployedProjectKey"])
    if state.get("lastUpdateStatus") == "FAILED":
        health = "ERROR"
        messages.append(dm.message("ERROR", state.get("lastErrorCode") or "ERR_DEPLOYER_UPDATE_FAILED",
                                   "Last update failed", state.get("lastError") or "The last update failed"))
    elif unreachable:
        health = "ERROR"
        messages.append(dm.message("ERROR", "ERR_DEPLOYER_AUTOMATION_NODE_UNREACHABLE", "Automation node "
                                   "unreachable", unreachable))
    elif not state.get("lastUpdateStart"):
        health = "OUT_OF_SYNC"
        messages.append(dm.message("WARNING", "WARN_DEPLOYER_NEVER_DEPLOYED", "Never deployed",
                                   "Deployment %s has never been updated" % settings["id"]))
    elif active != settings["bundleId"]:
        health = "OUT_OF_SYNC"
        messages.append(dm.message("WARNING", "WARN_DEPLOYER_OUT_OF_SYNC", "Out of sync",
                                   "Settings name bundle %s but the automation node runs %s: update the deployment"
                                   % (settings["bundleId"], active)))
    elif state.get("lastUpdateStatus") == "WARNING":
        health = "WARNING"
        messages.extend(state.get("lastMessages") or [])
    else:
        health = "HEALTHY"
    return {"deploymentId": settings["id"], "health": health, "healthMessages": dm.report(messages),
            "deployedBundleId": active, "monitoring": {"hasScenarios": False, "failed": [], "warning": [],
                                                       "successful": [], "running": []}}


@bp.get("/project-deployer/deployments/<dep_id>/status")
def deployment_heavy(dep_id):
    return jsonify(_heavy(dm.deployment(dep_id)))


@bp.get("/project-deployer/deployments/<dep_id>/governance-status")
def governance_status(dep_id):
    settings = dm.deployment(dep_id)
    bundle_id = request.args.get("bundleId") or settings["bundleId"]
    dm.published_bundle(settings["publishedProjectKey"], bundle_id)
    return jsonify(dm.report(dm.governance_messages(dm.infra(settings["infraId"]), settings["publishedProjectKey"],
                                                    bundle_id)))


@bp.post("/project-deployer/deployments/<dep_id>/actions/update")
def start_update(dep_id):
    settings = dm.deployment(dep_id)
    infra_doc = dm.infra(settings["infraId"])
    bundle = dm.published_bundle(settings["publishedProjectKey"], settings["bundleId"])
    previous = dm.deployment_state(dep_id).get("deployedBundleId")
    start = now_ms()
    log = ["Updating deployment %s: bundle %s of %s on infrastructure %s (previous bundle: %s)"
           % (dep_id, settings["bundleId"], settings["publishedProjectKey"], infra_doc["id"], previous)]
    payload = {"type": "project_deployment_update", "deploymentId": dep_id, "bundleId": settings["bundleId"]}
    warnings = []
    try:
        for msg in dm.governance_messages(infra_doc, settings["publishedProjectKey"], settings["bundleId"]):
            log.append("Govern: %s" % msg["message"])
            if msg["severity"] == "ERROR":
                raise UpdateFailed(DSSError(msg["message"], CODED, 400, msg["code"]), log)
            if msg["severity"] == "WARNING":
                warnings.append(msg)
        lines, messages = dm.standards_messages(infra_doc, settings["publishedProjectKey"], bundle)
        log.extend(lines)
        for msg in messages:
            if msg["severity"] == "ERROR":
                raise UpdateFailed(DSSError(msg["message"], CODED, 400, msg["code"]), log)
            warnings.append(msg)
        result = run_update(infra_doc, settings, store().blob_path(bundle["archive"]["sha256"]), log)
    except UpdateFailed as failure:
        _finish(dep_id, settings, start, "FAILED", log, previous, failure.error)
        return jsonify(started_state(record_failed(payload, failure.error, log)))
    messages = warnings + [m for m in result.get("messages") or [] if m.get("severity") in ("WARNING", "ERROR")]
    status = "WARNING" if messages else "SUCCESS"
    _finish(dep_id, settings, start, status, log, settings["bundleId"], None, messages)
    return jsonify(record_done(payload, dm.report(messages)))


def _finish(dep_id, settings, start, status, log, deployed, error, messages=()):
    with store().transaction():
        dm.record_update(dep_id, {"startTimestamp": start, "endTimestamp": now_ms(), "type": "UPDATE",
                                  "status": status, "requester": current_user(), "bundleId": settings["bundleId"],
                                  "logs": {"lines": list(log)}})
        store().put("pd_deployment_state", "", dep_id, {
            "deployedBundleId": deployed, "lastUpdateStart": start, "lastUpdateStatus": status,
            "lastError": error.message if error else None, "lastErrorCode": error.code if error else None,
            "lastMessages": list(messages)})


@bp.get("/project-deployer/deployments/<dep_id>/update")
def list_updates(dep_id):
    dm.deployment(dep_id)
    return jsonify([{"startTimestamp": u["startTimestamp"], "endTimestamp": u["endTimestamp"], "type": u["type"],
                     "status": u["status"], "requester": u["requester"], "bundleId": u["bundleId"]}
                    for u in reversed(dm.updates(dep_id))])


@bp.get("/project-deployer/deployments/<dep_id>/last-update")
def last_update(dep_id):
    dm.deployment(dep_id)
    found = dm.updates(dep_id)
    if not found:
        raise not_found("Deployment %s has never been updated" % dep_id)
    return jsonify(found[-1])


@bp.get("/project-deployer/deployments/<dep_id>/update/<timestamp>")
def get_update(dep_id, timestamp):
    dm.deployment(dep_id)
    doc = store().get("pd_update", dep_id, "%015d" % int(timestamp)) if timestamp.isdigit() else None
    if doc is None:
        raise not_found("Deployment %s has no update started at %s" % (dep_id, timestamp))
    return jsonify(doc)


def _testing_status(settings, bundle_id):
    infra_doc = dm.infra(settings["infraId"])
    per_outcome = {}
    scenarios = []
    for run in store().list("pd_test_run", settings["id"]):
        if bundle_id and run["bundleId"] != bundle_id:
            continue
        try:
            outcome = test_outcome(infra_doc, settings["deployedProjectKey"], run)
        except DSSError as exc:
            raise DSSError("Cannot read the test runs of deployment %s: %s" % (settings["id"], exc.message),
                           exc.error_type, exc.status, exc.code) from exc
        per_outcome[outcome] = per_outcome.get(outcome, 0) + 1
        scenarios.append({"scenarioId": run["scenarioId"], "bundleId": run["bundleId"], "outcome": outcome,
                          "startedOn": run["startedOn"]})
    return {"nbTotalRanScenarios": len(scenarios), "nbScenariosPerOutcome": per_outcome, "scenarios": scenarios}


@bp.get("/project-deployer/deployments/<dep_id>/testing-status")
def testing_status(dep_id):
    return jsonify(_testing_status(dm.deployment(dep_id), request.args.get("bundleId")))


@bp.post("/project-deployer/deployments/<dep_id>/run-test-scenarios")
def run_test_scenarios(dep_id):
    settings = dm.deployment(dep_id)
    bundle_id = dm.deployment_state(dep_id).get("deployedBundleId")
    if not bundle_id:
        raise DSSError("Deployment %s has never been deployed: update it before running its tests" % dep_id,
                       ILLEGAL_STATE, 400)
    started = start_test_scenarios(dm.infra(settings["infraId"]), settings["deployedProjectKey"])
    with store().transaction():
        for run in started:  # the latest run of each test scenario counts
            run.update({"bundleId": bundle_id, "startedOn": now_iso()})
            store().put("pd_test_run", dep_id, run["scenarioId"], run)
    return jsonify(_testing_status(settings, bundle_id))


# -- emulator-only control: Govern sign-off ----------------------------------------------------------------------

def _govern_control(project_key, bundle_id):
    if request.method == "POST":
        body = body_json({}) or {}
        doc = dm.set_govern_status(project_key, bundle_id, str(body.get("status", "")).upper(), body.get("by"))
    else:
        dm.published_bundle(project_key, bundle_id)
        doc = dm.govern_status(project_key, bundle_id)
    return jsonify(dict(doc, publishedProjectKey=project_key, bundleId=bundle_id))


@bp.record_once
def _mount_control(state):
    # Registered on the app itself: blueprint routes all live under the DSS API prefix (and its authentication).
    state.app.add_url_rule("/__emulator__/govern/<project_key>/<bundle_id>", "govern_control", _govern_control,
                           methods=["GET", "POST"])
