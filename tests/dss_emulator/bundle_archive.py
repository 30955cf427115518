"""Bundle archives: build the zip a Design node exports, and read/validate one an Automation node receives.

Layout (see docs/emulator.md, "Bundles and activation"):
    export-manifest.json
    project_config/params.json
    project_config/variables.json            {"standard": {...}}
    project_config/datasets/<name>.json
    project_config/recipes/<name>.json
    project_config/scenarios/<id>.json
    project_config/scenarios/<id>.py         script of a custom_python scenario (store kind `scenario_payload`)
    project_config/managed_folders/<id>.json a managed folder's definition (its files do not travel)
    datasets_data/<name>.csv                 data of a dataset carried with the bundle (dataset_data.py)
    project-standards-report.json            the Project Standards report of the export, when checks ran

Archives are deterministic: entries sorted by name, fixed timestamps and attributes, canonical JSON. The same
manifest and content always give the same bytes.
"""

import json
import struct
import zipfile
import zlib

MANIFEST = "export-manifest.json"
CONFIG = "project_config/"
PARAMS = CONFIG + "params.json"
VARIABLES = CONFIG + "variables.json"
FOLDERS = {"datasets": "dataset", "recipes": "recipe", "scenarios": "scenario",
           "managed_folders": "managed_folder"}  # archive folder -> store kind
CONTENT_KINDS = tuple(FOLDERS.values())
SCENARIO_SCRIPTS = CONFIG + "scenarios/"
PAYLOAD_KIND = "scenario_payload"  # content[PAYLOAD_KIND] = {scenario id: {"script": text}}
DATA = "datasets_data/"  # content[DATA_KEY] = {dataset name: CSV bytes}
DATA_KEY = "data"
STANDARDS_REPORT = "project-standards-report.json"  # content[STANDARDS_KEY] = the report, or None
STANDARDS_KEY = "projectStandardsReport"

MANIFEST_VERSION = 3
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MAX_JSON_ENTRY = 64 * 1024 * 1024  # config entries are small; refuse to inflate a huge one into memory


class BundleArchiveError(Exception):
    """The file is not a usable bundle archive (corrupt zip, no or invalid manifest...)."""


def _json_bytes(obj):
    return (json.dumps(obj, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode("utf-8")


def object_name(kind, obj):
    """The identifying name of a content object (recipes may be stored as GET returns them: {recipe, payload})."""
    field = "id" if kind in ("scenario", "managed_folder") else "name"
    inner = obj.get("recipe") if kind == "recipe" and isinstance(obj.get("recipe"), dict) else obj
    return inner.get(field) or obj.get(field)


def write_archive(fileobj, manifest, content):
    """Write a bundle zip to a binary file object.

    content: {"params": {...}, "variables": {"standard": {...}}, "dataset": [..], "recipe": [..], "scenario": [..],
              "scenario_payload": {scenario id: {"script": text}}, "data": {dataset name: CSV bytes}}
    """
    entries = {MANIFEST: _json_bytes(manifest), PARAMS: _json_bytes(content.get("params") or {}),
               VARIABLES: _json_bytes({"standard": (content.get("variables") or {}).get("standard") or {}})}
    for folder, kind in FOLDERS.items():
        for obj in content.get(kind) or []:
            entries["%s%s/%s.json" % (CONFIG, folder, object_name(kind, obj))] = _json_bytes(obj)
    for sid, payload in (content.get(PAYLOAD_KIND) or {}).items():
        entries["%s%s.py" % (SCENARIO_SCRIPTS, sid)] = (payload.get("script") or "").encode("utf-8")
    for name, data in (content.get(DATA_KEY) or {}).items():
        entries["%s%s.csv" % (DATA, name)] = data
    if content.get(STANDARDS_KEY) is not None:
        entries[STANDARDS_REPORT] = _json_bytes(content[STANDARDS_KEY])
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def _read_text(zf, name):
    if zf.getinfo(name).file_size > _MAX_JSON_ENTRY:
        raise BundleArchiveError("Invalid bundle archive: entry %s is too large" % name)
    try:
        return zf.read(name).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleArchiveError("Invalid bundle archive: entry %s is not UTF-8 text: %s" % (name, exc)) from exc


def _read_json(zf, name):
    text = _read_text(zf, name)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BundleArchiveError("Invalid bundle archive: entry %s is not valid JSON: %s" % (name, exc)) from exc


def _open(path):
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleArchiveError("Invalid bundle archive, not a readable zip file: %s" % exc) from exc


def _check_manifest(manifest):
    if not isinstance(manifest, dict):
        raise BundleArchiveError("Invalid bundle archive: %s is not a JSON object" % MANIFEST)
    for field in ("originalProjectKey", "bundleId"):
        value = manifest.get(field)
        if not isinstance(value, str) or not value:
            raise BundleArchiveError("Invalid bundle archive: %s has no %s (not a bundle export?)" % (MANIFEST, field))
    if not isinstance(manifest.get("requiredConnections", {}), dict):
        raise BundleArchiveError("Invalid bundle archive: requiredConnections must be an object")
    if not isinstance(manifest.get("usedCodeEnvRefs", []), list):
        raise BundleArchiveError("Invalid bundle archive: usedCodeEnvRefs must be a list")


def read_archive(path, verify=True):
    """Validate a bundle zip on disk and return (manifest, content). verify=True also checks every entry's CRC,
    streaming (memory stays bounded whatever the archive size)."""
    try:
        return _read_archive(path, verify)
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError) as exc:  # whatever a damaged or exotic zip raises while being read
        raise BundleArchiveError("Invalid bundle archive, corrupt zip: %s" % exc) from exc


def _read_archive(path, verify):
    with _open(path) as zf:
        if verify:
            bad = zf.testzip()
            if bad is not None:
                raise BundleArchiveError("Invalid bundle archive, corrupt entry %s" % bad)
        names = set(zf.namelist())
        if MANIFEST not in names:
            raise BundleArchiveError("Invalid bundle archive: no %s at the archive root" % MANIFEST)
        manifest = _read_json(zf, MANIFEST)
        _check_manifest(manifest)
        content = {"params": _read_json(zf, PARAMS) if PARAMS in names else {},
                   "variables": _read_json(zf, VARIABLES) if VARIABLES in names else {"standard": {}}}
        for folder, kind in FOLDERS.items():
            prefix = "%s%s/" % (CONFIG, folder)
            objs = [_read_json(zf, n) for n in sorted(names) if n.startswith(prefix) and n.endswith(".json")]
            if any(not isinstance(o, dict) or not object_name(kind, o) for o in objs):
                raise BundleArchiveError("Invalid bundle archive: an entry under %s has no name or id" % prefix)
            content[kind] = objs
        # [INF] only scripts of the archive's scenarios are read: another one could never be read back.
        content[PAYLOAD_KIND] = {}
        for sid in sorted(object_name("scenario", o) for o in content["scenario"]):
            script = "%s%s.py" % (SCENARIO_SCRIPTS, sid)
            if script in names:
                content[PAYLOAD_KIND][sid] = {"script": _read_text(zf, script)}
        # Likewise only data of the archive's datasets.
        content[DATA_KEY] = {}
        for name in sorted(object_name("dataset", o) for o in content["dataset"]):
            entry = "%s%s.csv" % (DATA, name)
            if entry in names:
                content[DATA_KEY][name] = zf.read(entry)
        report = _read_json(zf, STANDARDS_REPORT) if STANDARDS_REPORT in names else None
        content[STANDARDS_KEY] = report if isinstance(report, dict) else None  # [INF] lenient: a bad one is no report
    if not isinstance(content["params"], dict) or not isinstance(content["variables"], dict):
        raise BundleArchiveError("Invalid bundle archive: params.json and variables.json must be JSON objects")
    return manifest, content


def content_summary(content):
    """The `contentSummary` of bundle list entries [INF: item-type keys]."""
    return {
        # [INF] item types of the first emulated kinds always, managed folders only when the bundle has some
        "configContent": {kind.upper(): len(content.get(kind) or []) for kind in CONTENT_KINDS
                          if content.get(kind) or kind != "managed_folder"},
        "includedDatasets": [{"name": name, "size": len(data)}
                             for name, data in sorted((content.get(DATA_KEY) or {}).items())],
        "includedSavedModels": [],
        "includedManagedFolders": [],
        "includedModelEvaluationStores": [],
    }
