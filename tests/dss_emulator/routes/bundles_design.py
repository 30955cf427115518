"""Bundles on a Design node (client: dataikuapi/dss/project.py): export, list, details, archive download, delete.

An export snapshots the project content (datasets, recipes, scenarios and their Python scripts, standard variables,
params.json) into a deterministic zip stored as a blob; the document (kind `exported_bundle`, scope K, id = bundle
id) holds the list entry plus `archive: {sha256, size}`.
"""

import copy
import io

from flask import Blueprint, jsonify, request, send_file

from ..activation import required_connections, used_code_env_refs
from ..app import DSS_VERSION
from .. import dataset_data
from .. import project_standards as standards
from ..bundle_archive import (CONTENT_KINDS, DATA_KEY, MANIFEST_VERSION, PAYLOAD_KIND, STANDARDS_KEY, content_summary,
                              write_archive)
from ..bundle_store import check_bundle_id, drop_blob, public_view, require_node
from ..errors import ILLEGAL_ARGUMENT, DSSError, not_found
from ..web import current_user, now_iso, qbool, require_project, store

bp = Blueprint("bundles_design", __name__)

_AUTOMATION_ONLY_PARAMS = ("bundleContainerSettings",)


def _exported(key, bundle_id):
    doc = store().get("exported_bundle", key, bundle_id)
    if doc is None:
        raise not_found("Bundle %s does not exist in project %s" % (bundle_id, key))
    return doc


def project_content(key, project):
    st = store()
    params = {k: copy.deepcopy(v) for k, v in project.items() if k not in _AUTOMATION_ONLY_PARAMS}
    content = {"params": params,
               "variables": {"standard": (st.get("variables", key, "variables") or {}).get("standard") or {}}}
    for kind in CONTENT_KINDS:
        content[kind] = st.list(kind, key)
    payloads = {sid: st.get(PAYLOAD_KIND, key, sid) for sid in st.ids("scenario", key)}
    content[PAYLOAD_KIND] = {sid: payload for sid, payload in payloads.items() if payload is not None}
    options = (project.get("bundleExporterSettings") or {}).get("exportOptions")
    content[DATA_KEY] = dataset_data.bundle_data(st.data_dir, key, options, content["dataset"])
    return content


def _included_datasets(content):
    types = {d["name"]: d.get("type") for d in content["dataset"]}
    return [{"name": name, "type": types.get(name), "usedTransferMethod": dataset_data.transfer_method(types.get(name)),
             "size": len(data)} for name, data in sorted(content[DATA_KEY].items())]


def build_manifest(key, bundle_id, project, content, release_notes):
    user_info = {"exportedOn": now_iso(), "exportedBy": current_user()}
    if release_notes is not None:
        user_info["releaseNotes"] = release_notes
    return {
        "bundleId": bundle_id,
        "originalProjectKey": key,
        "manifestVersion": MANIFEST_VERSION,
        "generatedWithDSSVersion": DSS_VERSION,
        "generatedWithDSSConfVersion": DSS_VERSION.replace(".", "").ljust(5, "0"),
        "exportUserInfo": user_info,
        "exportedWithOptions": copy.deepcopy((project.get("bundleExporterSettings") or {}).get("exportOptions") or {}),
        "actualContent": {"includedDatasets": _included_datasets(content), "includedSavedModels": [],
                          "includedManagedFolders": [], "includedModelEvaluationStores": []},
        "requiredConnections": required_connections(store(), content["dataset"]),
        "allowedMissingConnections": [],
        "usedCodeEnvRefs": used_code_env_refs(content["params"], content["recipe"]),
        "allowedMissingCodeEnvs": [],
        "usedContainerExecConfs": [],
        "foreignObjects": [],
        "exportedWithPlugins": [],
        "hasPartitionedDataset": False,
    }


@bp.get("/projects/<key>/bundles/exported")
def list_exported(key):
    require_project(key)
    return jsonify({"bundles": [public_view(d) for d in store().list("exported_bundle", key)]})


@bp.put("/projects/<key>/bundles/exported/<bundle_id>")
def export_bundle(key, bundle_id):
    require_node("DESIGN", "Exporting a bundle")
    project = require_project(key)
    check_bundle_id(bundle_id)
    st = store()
    if st.get("exported_bundle", key, bundle_id) is not None:
        raise DSSError("Bundle %s already exists" % bundle_id, ILLEGAL_ARGUMENT, 400)
    content = project_content(key, project)
    manifest = build_manifest(key, bundle_id, project, content, request.args.get("releaseNotes"))
    # [INF] DSS evaluates unless told not to (the client always says): the report travels in the archive too.
    if qbool("evaluateProjectStandardsChecks", True):
        content[STANDARDS_KEY] = standards.bundle_report(key, bundle_id)
    buf = io.BytesIO()  # config-only archive: small, built in memory
    write_archive(buf, manifest, content)
    sha, size = st.save_blob_bytes(buf.getvalue())
    doc = {"bundleId": bundle_id, "state": "BUILT", "exportManifest": manifest,
           "contentSummary": content_summary(content), "archive": {"sha256": sha, "size": size}}
    if content.get(STANDARDS_KEY) is not None:
        doc[standards.REPORT_FIELD] = content[STANDARDS_KEY]
    try:
        with st.transaction():
            if st.get("exported_bundle", key, bundle_id) is not None:
                raise DSSError("Bundle %s already exists" % bundle_id, ILLEGAL_ARGUMENT, 400)
            st.put("exported_bundle", key, bundle_id, doc)
    except BaseException:
        drop_blob(sha)
        raise
    return jsonify(public_view(doc))


@bp.get("/projects/<key>/bundles/exported/<bundle_id>")
def get_exported(key, bundle_id):
    require_project(key)
    return jsonify(public_view(_exported(key, bundle_id)))


@bp.get("/projects/<key>/bundles/exported/<bundle_id>/archive")
def download_archive(key, bundle_id):
    require_project(key)
    doc = _exported(key, bundle_id)
    # send_file streams the blob in blocks; the archive is never read whole into memory.
    return send_file(store().blob_path(doc["archive"]["sha256"]), mimetype="application/zip", as_attachment=True,
                     download_name="%s-%s.zip" % (key, bundle_id), conditional=False, etag=False, max_age=0)


@bp.delete("/projects/<key>/bundles/exported/<bundle_id>")
def delete_exported(key, bundle_id):
    require_project(key)
    st = store()
    with st.transaction():
        doc = _exported(key, bundle_id)
        st.delete("exported_bundle", key, bundle_id)
    drop_blob(doc["archive"]["sha256"])
    return jsonify({})
