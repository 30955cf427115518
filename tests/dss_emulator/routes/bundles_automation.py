"""Bundles on an Automation node (client: dataikuapi/dss/project.py, dataikuapi/dssclient.py): import (upload or server path), create a project from a
bundle, list, delete, preload, activate.

An import is validated completely (zip CRCs, manifest, config entries) before anything is stored; the archive
becomes a blob and the document (kind `imported_bundle`, scope K, id = bundle id) holds the list entry plus
`archive: {sha256, size}`. A refused import leaves no document and no blob.
"""

import copy

from flask import Blueprint, jsonify, request

from .. import activation
from ..bundle_archive import BundleArchiveError, content_summary, read_archive
from ..bundle_store import check_bundle_id, drop_blob, keep_spool, node_file, public_view, require_node, spool_file
from ..errors import ILLEGAL_ARGUMENT, DSSError, bad_request, not_found
from ..project_model import check_key, new_project_doc
from ..web import body_json, current_user, drain, now_iso, require_project, spool_upload, store

bp = Blueprint("bundles_automation", __name__)

PERMISSION_POLICIES = ("NONE", "READ_ONLY", "ALL")
_WRITE_FLAGS = ("admin", "writeProjectContent", "writeDashboards", "moderateDashboards", "manageExposedElements",
                "manageDashboardAuthorizations", "manageAdditionalDashboardUsers", "runScenarios", "executeApp",
                "shareToWorkspaces", "exportDatasetsData")


def _imported(key, bundle_id):
    doc = store().get("imported_bundle", key, bundle_id)
    if doc is None:
        raise not_found("Bundle %s has not been imported in project %s" % (bundle_id, key))
    return doc


def _read_spool(spool):
    """Validate a spooled archive; a refused archive is removed before the error is raised."""
    try:
        manifest, content = read_archive(spool.path)
        check_bundle_id(manifest["bundleId"])
        check_key(manifest["originalProjectKey"])
    except BundleArchiveError as exc:
        spool.discard()
        raise DSSError(str(exc), "com.dataiku.dip.exceptions.CodedIOException", 400,
                       "ERR_BUNDLE_INVALID_ARCHIVE") from exc
    except BaseException:
        spool.discard()
        raise
    return manifest, content


def _receive_archive():
    """The archive of this request: the multipart `file` part, or ?archivePath= for the fromArchive variants."""
    if request.path.endswith("/fromArchive") or request.path.endswith("/importFromArchive"):
        path = request.args.get("archivePath")
        if not path:
            raise bad_request("Missing archivePath parameter")
        return spool_file(node_file(path))
    return spool_upload("file")


def _store_import(key, spool, manifest, content, before=None):
    """Keep the validated archive and record the imported bundle (plus what `before(st)` adds) in one transaction."""
    st = store()
    bundle_id = manifest["bundleId"]
    doc = {"bundleId": bundle_id, "importState": {"importedOn": now_iso(), "importedBy": current_user()},
           "exportManifest": manifest, "contentSummary": content_summary(content),
           "archive": {"sha256": spool.sha256, "size": spool.size}}
    created = False
    try:
        with st.transaction():
            if before is not None:
                before(st)
            if st.get("imported_bundle", key, bundle_id) is not None:
                raise DSSError("Bundle %s has already been imported in project %s" % (bundle_id, key),
                               ILLEGAL_ARGUMENT, 400, "ERR_BUNDLE_ALREADY_IMPORTED")
            created = keep_spool(spool)
            st.put("imported_bundle", key, bundle_id, doc)
    except BaseException:
        spool.discard()
        if created:
            drop_blob(spool.sha256)
        raise
    return {"projectKey": key, "bundleId": bundle_id}


@bp.post("/projects/<key>/bundles/imported/actions/importFromStream")
@bp.post("/projects/<key>/bundles/imported/actions/importFromArchive")
def import_bundle(key):
    try:
        require_node("AUTOMATION", "Importing a bundle")
        require_project(key)
    except DSSError:
        drain()
        raise
    spool = _receive_archive()
    manifest, content = _read_spool(spool)
    # [INF] a bundle exported from another project key is accepted into this project (DSS allows it).
    return jsonify(_store_import(key, spool, manifest, content))


def _permissions(policy, bundle_permissions):
    if policy == "NONE":
        return []
    perms = copy.deepcopy(bundle_permissions or [])
    if policy == "READ_ONLY":
        for perm in perms:
            for flag in _WRITE_FLAGS:
                if flag in perm:
                    perm[flag] = False
    return perms


@bp.post("/projectsFromBundle")
@bp.post("/projectsFromBundle/fromArchive")
def create_project_from_bundle():
    policy = request.args.get("permissionsPropagationPolicy", "NONE")
    try:
        require_node("AUTOMATION", "Creating a project from a bundle")
        if policy not in PERMISSION_POLICIES:
            raise bad_request("Invalid permissionsPropagationPolicy %s" % policy)
    except DSSError:
        drain()
        raise
    spool = _receive_archive()
    manifest, content = _read_spool(spool)
    key = manifest["originalProjectKey"]
    params = content["params"]

    def create(st):
        if st.get("project", "", key) is not None:
            raise DSSError("Project %s already exists" % key, ILLEGAL_ARGUMENT, 400, "ERR_PROJECT_ALREADY_EXISTS")
        doc = new_project_doc({"projectKey": key, "name": params.get("name") or key, "owner": current_user(),
                               "description": params.get("description"), "tags": params.get("tags") or [],
                               "permissions": _permissions(policy, params.get("permissions"))})
        doc["shortDesc"] = params.get("shortDesc") or ""
        st.put("project", "", key, doc)
        st.put("variables", key, "variables", {"standard": {}, "local": {}})

    return jsonify(_store_import(key, spool, manifest, content, before=create))


@bp.get("/projects/<key>/bundles/imported")
def list_imported(key):
    require_project(key)
    return jsonify({"bundles": [public_view(d) for d in store().list("imported_bundle", key)]})


@bp.get("/projects/<key>/bundles/imported/<bundle_id>")
def get_imported(key, bundle_id):
    require_project(key)
    return jsonify(public_view(_imported(key, bundle_id)))


@bp.delete("/projects/<key>/bundles/imported/<bundle_id>")
def delete_imported(key, bundle_id):
    require_project(key)
    st = store()
    with st.transaction():
        doc = _imported(key, bundle_id)
        if (st.get("active_bundle", key, "state") or {}).get("bundleId") == bundle_id:
            raise DSSError("Bundle %s is the active bundle of project %s and cannot be deleted" % (bundle_id, key),
                           ILLEGAL_ARGUMENT, 400, "ERR_BUNDLE_IS_ACTIVE")
        st.delete("imported_bundle", key, bundle_id)
    drop_blob(doc["archive"]["sha256"])
    return jsonify({})


@bp.post("/projects/<key>/bundles/imported/<bundle_id>/actions/preload")
def preload(key, bundle_id):
    require_node("AUTOMATION", "Preloading a bundle")
    require_project(key)
    return jsonify(activation.preload(store(), key, _imported(key, bundle_id)))


@bp.post("/projects/<key>/bundles/imported/<bundle_id>/actions/activate")
def activate(key, bundle_id):
    require_node("AUTOMATION", "Activating a bundle")
    body = body_json({})
    if not isinstance(body, dict):
        raise bad_request("The activation body must be a JSON object")
    st = store()
    with st.transaction():  # checks and writes see one consistent state
        require_project(key)
        bundle = _imported(key, bundle_id)
        try:
            _manifest, content = read_archive(st.blob_path(bundle["archive"]["sha256"]), verify=False)
        except BundleArchiveError as exc:
            raise DSSError("Stored archive of bundle %s is unreadable: %s" % (bundle_id, exc),
                           "com.dataiku.dip.exceptions.CodedIOException", 500) from exc
        return jsonify(activation.activate(st, key, bundle, content, body))
