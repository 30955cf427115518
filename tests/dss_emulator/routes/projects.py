"""Projects: list, create, summary, delete, metadata, settings, variables, permissions, tags (client: dataikuapi/dss/project.py).

All views of a project come from its one `project` document (project_model.py); writes that change nothing are
not written, so saving back what was read leaves the state digest unchanged.
"""

import copy
import hashlib
import json

from flask import Blueprint, jsonify, request

from .. import dataset_data
from ..bundle_store import archive_shas, drop_blob
from ..errors import ILLEGAL_ARGUMENT, DSSError
from ..future_store import record_done
from ..project_model import (apply_metadata, apply_permissions, apply_settings, check_key, metadata,
                             new_project_doc, permissions, summary)
from ..versioning import save_if_changed
from ..web import body_json, qbool, require_project, store

bp = Blueprint("projects", __name__)

EMPTY_VARIABLES = {"standard": {}, "local": {}}


def _location(key):
    loc = store().get("project_location", key, "location") or {"projectFolderId": "ROOT"}
    return {"projectFolderId": loc["projectFolderId"], "path": "/" if loc["projectFolderId"] == "ROOT"
            else "/%s" % loc["projectFolderId"]}


@bp.get("/projects")
def list_projects():
    with_location = qbool("includeLocation")
    out = []
    for doc in store().list("project"):
        item = summary(doc)
        if with_location:
            item["projectLocation"] = _location(doc["projectKey"])
        out.append(item)
    return jsonify(out)


@bp.post("/projects")
def create_project():
    body = body_json({})
    if not isinstance(body, dict) or not body.get("projectKey"):
        raise DSSError("Missing projectKey", ILLEGAL_ARGUMENT, 400)
    key = body["projectKey"]
    check_key(key)
    if not isinstance(body.get("permissions") or [], list) or not isinstance(body.get("tags") or [], list):
        raise DSSError("'permissions' and 'tags' must be lists", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        if st.get("project", "", key) is not None:
            raise DSSError("Project %s already exists" % key, ILLEGAL_ARGUMENT, 400, "ERR_PROJECT_ALREADY_EXISTS")
        doc = new_project_doc(body)
        st.put("project", "", key, doc)
        st.put("variables", key, "variables", copy.deepcopy(EMPTY_VARIABLES))
        folder = request.args.get("projectFolderId")
        if folder:
            st.put("project_location", key, "location", {"projectFolderId": folder})
    return jsonify(summary(doc))


@bp.get("/projects/<key>")
def get_summary(key):
    return jsonify(summary(require_project(key)))


@bp.delete("/projects/<key>")
def delete_project(key):
    require_project(key)
    flags = {name: qbool(name, default) for name, default in (
        ("clearManagedDatasets", False), ("clearOutputManagedFolders", False), ("clearJobAndScenarioLogs", True),
        ("clearManagedKnowledgeBanks", False))}
    st = store()
    with st.transaction():
        shas = archive_shas(key)
        st.delete("project", "", key)
        st.delete_scope(key)
        # dataikuapi wraps the answer with DSSFuture.from_resp: a finished future with its jobId works both for
        # wait=True (result read from this state) and wait=False (polling /futures/{jobId}).
        state = record_done({"type": "project_deletion", "projectKey": key, "options": flags},
                            {"anyMessage": False, "success": False, "warning": False, "error": False,
                             "fatal": False, "messages": []})
    for sha in sorted(shas):  # after the commit: see drop_blob
        drop_blob(sha)
    if flags["clearManagedDatasets"]:
        dataset_data.drop(st.data_dir, key)
    return jsonify(state)


# -- metadata, settings, permissions: views of the project document --------------------------------------------


def _update_project(key, change):
    """Apply `change(doc_copy) -> new doc` and store it if it differs; returns the stored document."""
    st = store()
    with st.transaction():
        old = require_project(key)
        new = change(copy.deepcopy(old))
        _changed, stored = save_if_changed("project", "", key, old, new)
    return stored


@bp.get("/projects/<key>/metadata")
def get_metadata(key):
    return jsonify(metadata(require_project(key)))


@bp.put("/projects/<key>/metadata")
def put_metadata(key):
    body = body_json({})
    return jsonify(metadata(_update_project(key, lambda doc: apply_metadata(doc, body))))


@bp.get("/projects/<key>/settings")
def get_settings(key):
    return jsonify(require_project(key))


@bp.put("/projects/<key>/settings")
def put_settings(key):
    body = body_json({})
    _update_project(key, lambda doc: apply_settings(doc, body, key))
    return jsonify({})


@bp.get("/projects/<key>/permissions")
def get_permissions(key):
    return jsonify(permissions(require_project(key)))


@bp.put("/projects/<key>/permissions")
def put_permissions(key):
    body = body_json({})
    return jsonify(permissions(_update_project(key, lambda doc: apply_permissions(doc, body))))


# -- variables --------------------------------------------------------------------------------------------------


def _variables(key):
    return store().get("variables", key, "variables") or copy.deepcopy(EMPTY_VARIABLES)


@bp.get("/projects/<key>/variables")
def get_variables(key):
    require_project(key)
    return jsonify(_variables(key))


@bp.put("/projects/<key>/variables")
def put_variables(key):
    body = body_json({})
    if not isinstance(body, dict) or not all(isinstance(body.get(t), dict) for t in ("standard", "local")):
        raise DSSError("Variables must be an object with 'standard' and 'local' objects", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        require_project(key)
        if _variables(key) != body:
            st.put("variables", key, "variables", body)
    return jsonify({})


@bp.get("/projects/<key>/variables-resolved")
def resolved_variables(key):
    require_project(key)
    variables = _variables(key)
    merged = dict(variables.get("standard") or {})
    merged.update(variables.get("local") or {})  # local variables override standard ones
    if not qbool("typed"):
        # [INF] untyped resolution gives strings: non-string values as their JSON text.
        merged = {k: v if isinstance(v, str) else json.dumps(v) for k, v in merged.items()}
    return jsonify(merged)


# -- tags (tag definitions with colours) -----------------------------------------------------------------------


def _default_color(tag):
    return "#" + hashlib.sha256(tag.encode("utf-8")).hexdigest()[:6]


def _tags(key, doc):
    stored = store().get("project_tags", key, "tags") or {"tags": {}}
    out = copy.deepcopy(stored)
    for tag in doc.get("tags") or []:
        out["tags"].setdefault(tag, {"color": _default_color(tag)})
    return out


@bp.get("/projects/<key>/tags")
def get_tags(key):
    return jsonify(_tags(key, require_project(key)))


@bp.put("/projects/<key>/tags")
def put_tags(key):
    body = body_json({})
    if not isinstance(body, dict) or not isinstance(body.get("tags", {}), dict):
        raise DSSError("Tags must be an object whose tags map each tag name to its color", ILLEGAL_ARGUMENT, 400)
    new = dict(body)
    new.setdefault("tags", {})
    st = store()
    with st.transaction():
        # Compared with the view, not the stored doc: saving back a GET (which adds default colours) is a no-op.
        if _tags(key, require_project(key)) != new:
            st.put("project_tags", key, "tags", new)
    return jsonify({})
