"""Dataset data on a node: one CSV file per dataset, <data-dir>/datasets/<PROJECT>/<name>.csv (header = columns),
and the schema the code wrote, <name>.schema.json.

Written and read by the Python the emulator runs (runtime/dataiku), carried (the CSV) by bundles that list the
dataset in `bundleExporterSettings.exportOptions.includedDatasetsData` (or, with `exportUploads`, hold it as an
UploadedFiles dataset) and by project exports, restored on activation.
"""

import os

from . import python_process

UPLOADED = "UploadedFiles"


def path(data_dir, project_key, name):
    return os.path.join(python_process.datasets_dir(data_dir), project_key, name + ".csv")


def read(data_dir, project_key, name):
    """The dataset's CSV bytes, or None when it was never written."""
    try:
        with open(path(data_dir, project_key, name), "rb") as fp:
            return fp.read()
    except FileNotFoundError:
        return None


def write(data_dir, project_key, name, data):
    target = path(data_dir, project_key, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target + ".tmp", "wb") as fp:
        fp.write(data)
        fp.flush()
        os.fsync(fp.fileno())
    os.replace(target + ".tmp", target)


def drop(data_dir, project_key, name=None):
    """Remove a dataset's data (or, without name, all the project's)."""
    folder = os.path.dirname(path(data_dir, project_key, "x"))
    names = [name + ".csv", name + ".schema.json"] if name else (os.listdir(folder) if os.path.isdir(folder) else [])
    for entry in names:
        if os.path.exists(os.path.join(folder, entry)):
            os.unlink(os.path.join(folder, entry))


def _names(items):
    """Dataset names of an options list: entries are {"name": ...} (DSS) or plain names (accepted)."""
    out = []
    for item in items or []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name and name not in out:
            out.append(name)
    return out


def collect(data_dir, project_key, names):
    """{name: CSV bytes} of the named datasets that have data."""
    found = {}
    for name in names:
        data = read(data_dir, project_key, name)
        if data is not None:
            found[name] = data
    return found


def bundle_data(data_dir, project_key, export_options, datasets):
    """The data a bundle carries, {name: CSV bytes}: datasets listed in includedDatasetsData, and with exportUploads
    the UploadedFiles datasets, that exist and have data."""
    options = export_options or {}
    wanted = _names(options.get("includedDatasetsData"))
    if options.get("exportUploads"):
        wanted += [d["name"] for d in datasets if d.get("type") == UPLOADED and d["name"] not in wanted]
    existing = {d["name"] for d in datasets}
    return collect(data_dir, project_key, [n for n in wanted if n in existing])


def transfer_method(dataset_type):
    """`usedTransferMethod` of a dataset in a bundle manifest: UPLOAD for uploaded files (seen in a DSS 14 manifest),
    ARCHIVE for the others [INF: the emulator's name; modules must not depend on it]."""
    return "UPLOAD" if dataset_type == UPLOADED else "ARCHIVE"


def export_data(data_dir, project_key, options, datasets, recipes):
    """The data a project export carries, by its options: exportAllDatasets (all), exportAllInputDatasets (the
    datasets no recipe builds), exportUploads (UploadedFiles datasets), exportManagedFS (managed Filesystem)."""
    produced = {ref.get("ref") for r in recipes for role in (r.get("outputs") or {}).values()
                for ref in (role or {}).get("items") or []}
    options = options or {}
    names = [d["name"] for d in datasets
             if options.get("exportAllDatasets")
             or (options.get("exportAllInputDatasets") and d["name"] not in produced)
             or (options.get("exportUploads") and d.get("type") == UPLOADED)
             or (options.get("exportManagedFS") and d.get("type") == "Filesystem" and d.get("managed"))]
    return collect(data_dir, project_key, names)
