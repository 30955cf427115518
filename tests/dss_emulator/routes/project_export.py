"""Project export (client: dataikuapi/dss/project.py): POST /projects/K/export, what `DSSProject.get_export_stream()` and
`export_to_file()` call with their options dict as the body. The answer is a zip of the project's configuration
in the bundle layout (bundle_archive.py) whose manifest has no bundleId, plus the data of the datasets the options
select (dataset_data.export_data). Nothing is stored: an export is a read."""

import io

from flask import Blueprint, send_file

from .. import dataset_data
from ..app import DSS_VERSION
from ..bundle_archive import DATA_KEY, MANIFEST_VERSION, write_archive
from ..errors import bad_request
from .bundles_design import project_content
from ..web import body_json, current_user, now_iso, require_project, store

bp = Blueprint("project_export", __name__)


@bp.post("/projects/<key>/export")
def export_project(key):
    project = require_project(key)
    options = body_json({})
    if not isinstance(options, dict):
        raise bad_request("Export options must be a JSON object")
    content = project_content(key, project)
    content[DATA_KEY] = dataset_data.export_data(store().data_dir, key, options, content["dataset"],
                                                 [r.get("recipe") or r for r in content["recipe"]])
    manifest = {"exportType": "PROJECT_EXPORT", "originalProjectKey": key,  # [INF] field names
                "manifestVersion": MANIFEST_VERSION, "generatedWithDSSVersion": DSS_VERSION,
                "exportUserInfo": {"exportedOn": now_iso(), "exportedBy": current_user()},
                "exportedWithOptions": options,
                "includedDatasetsData": sorted(content[DATA_KEY])}
    buf = io.BytesIO()
    write_archive(buf, manifest, content)
    buf.seek(0)
    return send_file(buf, mimetype="application/zip", as_attachment=True, download_name="%s.zip" % key,
                     conditional=False, etag=False, max_age=0)
