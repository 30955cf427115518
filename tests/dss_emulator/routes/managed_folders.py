"""Managed folders (client: dataikuapi/dss/project.py create_managed_folder / list_managed_folders,
dataikuapi/dss/managedfolder.py): create, list, settings, delete, and the folder's files.

A folder is stored (kind `managed_folder`, scope = project key, id = its id) as its GET returns it; its files live in
<data-dir>/managed_folders/<KEY>/<id>/ (python_process.folders_dir), where recipes and scenario steps reach them
through `dataiku.Folder`. Bundles carry the folder definitions (not their files) and activation installs them.
"""

import hashlib
import os
import shutil

from flask import Blueprint, jsonify, request, send_file

from ..errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from ..python_process import folders_dir
from ..versioning import save_if_changed, stamp_new
from ..web import body_json, require_project, store

bp = Blueprint("managed_folders", __name__)


def _get(key, folder_id):
    require_project(key)
    folder = store().get("managed_folder", key, folder_id)
    if folder is None:
        raise DSSError("Managed folder %s.%s does not exist" % (key, folder_id), NOT_FOUND, 404)
    return folder


def _new_id(key, name):
    """[INF] DSS gives folders a random 8-character id; the emulator derives it from the name (stable state)."""
    base = hashlib.sha1(("%s.%s" % (key, name)).encode("utf-8")).hexdigest()[:8]
    folder_id, n = base, 1
    while store().get("managed_folder", key, folder_id) is not None:
        folder_id, n = "%s%d" % (base[:7], n), n + 1
    return folder_id


def _root(key, folder_id):
    return os.path.join(folders_dir(store().data_dir), key, folder_id)


@bp.get("/projects/<key>/managedfolders")
def list_folders(key):
    require_project(key)
    return jsonify(store().list("managed_folder", key))


@bp.post("/projects/<key>/managedfolders")
def create_folder(key):
    body = body_json({})
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise DSSError("A managed folder needs a name", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        require_project(key)
        if any(f.get("name") == body["name"] for f in st.list("managed_folder", key)):
            raise DSSError("Managed folder %s already exists in project %s" % (body["name"], key),
                           ILLEGAL_ARGUMENT, 400)
        folder_id = _new_id(key, body["name"])
        params = dict(body.get("params") or {})
        params["path"] = str(params.get("path") or "/${projectKey}/${odbId}")
        folder = stamp_new({"projectKey": key, "id": folder_id, "name": body["name"],
                            "type": body.get("type") or "Filesystem", "params": params,
                            "partitioning": {"dimensions": []}, "tags": [], "description": "", "shortDesc": ""})
        st.put("managed_folder", key, folder_id, folder)
    return jsonify({"id": folder_id, "projectKey": key, "name": body["name"]})


@bp.get("/projects/<key>/managedfolders/<folder_id>")
def get_folder(key, folder_id):
    return jsonify(_get(key, folder_id))


@bp.put("/projects/<key>/managedfolders/<folder_id>")
def save_folder(key, folder_id):
    body = body_json({})
    if not isinstance(body, dict):
        raise DSSError("A managed folder must be a JSON object", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        old = _get(key, folder_id)
        new = dict(body, projectKey=key, id=folder_id)
        save_if_changed("managed_folder", key, folder_id, old, new)
    return jsonify({})


@bp.delete("/projects/<key>/managedfolders/<folder_id>")
def delete_folder(key, folder_id):
    st = store()
    with st.transaction():
        _get(key, folder_id)
        st.delete("managed_folder", key, folder_id)
    if request.args.get("dropData", "").lower() == "true":
        shutil.rmtree(_root(key, folder_id), ignore_errors=True)
    return jsonify({})


@bp.get("/projects/<key>/managedfolders/<folder_id>/contents")
def list_contents(key, folder_id):
    _get(key, folder_id)
    root, items = _root(key, folder_id), []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            stat = os.stat(full)
            items.append({"path": "/" + os.path.relpath(full, root).replace(os.sep, "/"), "size": stat.st_size,
                          "lastModified": int(stat.st_mtime * 1000)})
    return jsonify({"items": sorted(items, key=lambda i: i["path"])})


@bp.get("/projects/<key>/managedfolders/<folder_id>/contents/<path:path>")
def get_file(key, folder_id, path):
    _get(key, folder_id)
    root = os.path.realpath(_root(key, folder_id))
    target = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if os.path.commonpath([root, target]) != root or not os.path.isfile(target):
        raise DSSError("Path /%s does not exist in managed folder %s.%s" % (path.lstrip("/"), key, folder_id),
                       NOT_FOUND, 404)
    return send_file(target, mimetype="application/octet-stream", conditional=False, etag=False, max_age=0)
