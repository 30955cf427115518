"""Project Standards (client: dataikuapi/dss/project_standards.py, project.py): check specs, checks and scopes of the
instance, runs on a project (a future whose result is the report) and the project's last report.

`/__emulator__/project-standards/check-specs/<elementType>` (outside the API prefix, emulator only) defines the
check specs that DSS would get from plugins: each run of a check made from one gives the result it was defined with.
The state and the rules are in project_standards.py; a bundle's report is made at export (routes/bundles_design.py)
and read on the deployer (routes/project_deployer.py).
"""

import json

from flask import Blueprint, current_app, jsonify, request

from .. import project_standards as standards
from ..errors import bad_request
from ..future_store import record_done
from ..web import body_json, current_user

bp = Blueprint("project_standards", __name__)


def _body(what):
    body = body_json({})
    if not isinstance(body, dict):
        raise bad_request("%s must be a JSON object" % what)
    return body


# -- check specs and checks --------------------------------------------------------------------------------------

@bp.get("/project-standards/check-specs")
def list_check_specs():
    return jsonify(standards.list_specs())


@bp.get("/project-standards/checks")
def list_checks():
    return jsonify(standards.list_checks())


@bp.post("/project-standards/checks/actions/import")
def import_checks():
    # dataikuapi passes its dict as query parameters (a repeated checkSpecElementTypes); [INF] a JSON body too.
    element_types = request.args.getlist("checkSpecElementTypes") or _body("An import request").get(
        "checkSpecElementTypes")
    return jsonify(standards.import_checks(element_types))


@bp.get("/project-standards/checks/<check_id>")
def get_check(check_id):
    return jsonify(standards.get_check(check_id))


@bp.put("/project-standards/checks/<check_id>")
def save_check(check_id):
    return jsonify(standards.save_check(check_id, _body("A check")))


@bp.delete("/project-standards/checks/<check_id>")
def delete_check(check_id):
    standards.delete_check(check_id)
    return jsonify({})


# -- scopes ------------------------------------------------------------------------------------------------------

@bp.get("/project-standards/scopes")
def list_scopes():
    return jsonify(standards.list_scopes())


@bp.get("/project-standards/default-scope")
def default_scope():
    return jsonify(standards.default_scope())


@bp.get("/project-standards/scopes/<name>")
def get_scope(name):
    return jsonify(standards.get_scope(name))


@bp.post("/project-standards/scopes/<name>")
def create_scope(name):
    return jsonify(standards.create_scope(name, _body("A scope")))


@bp.put("/project-standards/scopes/<name>")
def save_scope(name):
    return jsonify(standards.save_scope(name, _body("A scope")))


@bp.delete("/project-standards/scopes/<name>")
def delete_scope(name):
    standards.delete_scope(name)
    return jsonify({})


@bp.post("/project-standards/scopes/<name>/actions/reorder")
def reorder_scope(name):
    # dataikuapi passes {"index": i} as a query parameter; [INF] a JSON body too.
    index = request.args.get("index")
    if index is None:
        index = _body("A reorder request").get("index")
    elif index.lstrip("-").isdigit():
        index = int(index)
    standards.reorder_scope(name, index)
    return jsonify({})


# -- on a project ------------------------------------------------------------------------------------------------

def _check_ids():
    """checkIds as requests encodes a list (repeated parameter); [INF] a comma-separated or JSON list too."""
    values = request.args.getlist("checkIds")
    if not values:
        return None
    ids = []
    for value in values:
        if value.startswith("["):
            try:
                ids.extend(str(v) for v in json.loads(value))
                continue
            except ValueError as exc:
                raise bad_request("checkIds is not a JSON list: %s" % exc) from exc
        ids.extend(v for v in value.split(",") if v)
    return ids


@bp.post("/projects/<key>/project-standards/actions/run")
def run_checks(key):
    report = standards.run(key, _check_ids())
    return jsonify(record_done({"type": "project_standards_run", "projectKey": key, "requester": current_user()},
                               report))


@bp.get("/projects/<key>/project-standards/last-report")
def last_report(key):
    report = standards.last_report(key)
    # The client reads an empty body as "never run".
    return current_app.response_class("", mimetype="application/json") if report is None else jsonify(report)


@bp.get("/projects/<key>/project-standards/scope")
def project_scope(key):
    return current_app.response_class(standards.scope_of(key)["name"], mimetype="text/plain")


# -- emulator-only control: check specs that plugins would bring ---------------------------------------------------

def _spec_control(element_type):
    if request.method == "POST":
        doc = standards.define_spec(element_type, body_json({}))
    elif request.method == "DELETE":
        standards.forget_spec(element_type)
        return jsonify({"elementType": element_type, "deleted": True})
    else:
        doc = standards.defined_spec(element_type)
    return jsonify(doc)


@bp.record_once
def _mount_control(state):
    # Registered on the app itself: blueprint routes all live under the DSS API prefix (and its authentication).
    state.app.add_url_rule("/__emulator__/project-standards/check-specs/<element_type>", "project_standards_control",
                           _spec_control, methods=["GET", "POST", "DELETE"])
