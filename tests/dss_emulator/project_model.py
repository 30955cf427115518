"""The project document (kind `project`, scope "", id = key) and the views DSS derives from it.

The document is what GET /projects/K/settings returns (params.json-like). Summary, list item, metadata and
permissions are computed from it on every read, so they can never disagree with the settings.
"""

import copy
import re

from .errors import ILLEGAL_ARGUMENT, DSSError
from .versioning import stamp_new
from .node import store

# DSS keys are letters, digits and underscores (the UI upper-cases them); [INF] lower case is accepted.
PROJECT_KEY_RE = re.compile(r"^[A-Za-z0-9_]+$")

# Keys of GET /projects/K/metadata and where they live in the project document.
METADATA_FIELDS = {"label": "name", "shortDesc": "shortDesc", "description": "description", "tags": "tags",
                   "checklists": "checklists", "customFields": "customFields", "custom": "custom"}

DEFAULT_SETTINGS = {
    "codeEnvs": {
        "python": {"mode": "INHERIT", "useBuiltinEnv": True},
        "r": {"mode": "INHERIT", "useBuiltinEnv": True},
    },
    "container": {"containerMode": "INHERIT"},
    "containerForVisualRecipesWorkloads": {"containerMode": "INHERIT"},
    "cluster": {"clusterMode": "INHERIT"},
    "k8sCluster": {"clusterMode": "INHERIT"},
    "disableAutomaticTriggers": False,
    "gitCommitMode": "AUTO_COMMIT",
    "flowBuildSettings": {"mergeSparkPipelines": True, "pruneBeforeSparkPipelines": True},
    "integrations": {"integrations": []},
}


def check_key(key):
    if not isinstance(key, str) or not PROJECT_KEY_RE.match(key):
        raise DSSError("Invalid project key '%s': use only letters, digits and underscores" % key,
                       ILLEGAL_ARGUMENT, 400, "ERR_PROJECT_INVALID_KEY")


def _merge(base, extra):
    for name, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            _merge(base[name], value)
        else:
            base[name] = value
    return base


def new_project_doc(body):
    """The document of a project created by POST /projects/ (body as dataikuapi.create_project sends it)."""
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    if isinstance(body.get("settings"), dict):
        # [INF] create_project's "initial settings" are merged into the `settings` sub-object.
        _merge(settings, body["settings"])
    doc = {
        "projectKey": body["projectKey"],
        "name": body.get("name") or body["projectKey"],
        "owner": body.get("owner") or "admin",
        "description": body.get("description") or "",
        "shortDesc": "",
        "tags": list(body.get("tags") or []),
        "permissions": list(body.get("permissions") or []),
        "projectType": "REGULAR",
        "projectStatus": "Sandbox",
        "checklists": {"checklists": []},
        "customFields": {},
        "exposedObjects": {"objects": []},
        "dashboardAuthorizations": {"allAuthorized": False, "authorizations": []},
        "additionalDashboardUsers": {"users": []},
        "settings": settings,
    }
    return stamp_new(doc)


def summary(doc, scope_key=None):
    """GET /projects/K and the items of GET /projects/: the list/summary view of one project."""
    key = scope_key or doc["projectKey"]
    out = {
        "projectKey": key,
        "name": doc.get("name", key),
        "shortDesc": doc.get("shortDesc", ""),
        "description": doc.get("description", ""),
        "ownerLogin": doc.get("owner"),
        "ownerDisplayName": doc.get("owner"),
        "projectStatus": doc.get("projectStatus"),
        "projectType": doc.get("projectType", "REGULAR"),
        "tags": list(doc.get("tags") or []),
        "versionTag": doc.get("versionTag"),
        "creationTag": doc.get("creationTag"),
    }
    active = store().get("active_bundle", key, "state")
    if active is not None:
        out["activeBundleState"] = active
    return out


def metadata(doc):
    out = {}
    for md_key, doc_key in METADATA_FIELDS.items():
        if doc_key in doc:
            out[md_key] = copy.deepcopy(doc[doc_key])
    out.setdefault("tags", [])
    out.setdefault("checklists", {"checklists": []})
    out.setdefault("customFields", {})
    return out


def apply_metadata(doc, md):
    """PUT /projects/K/metadata: the known metadata keys replace the project's; other keys are ignored,
    as DSS's typed deserialisation would."""
    if not isinstance(md, dict):
        raise DSSError("Metadata must be a JSON object", ILLEGAL_ARGUMENT, 400)
    for md_key, doc_key in METADATA_FIELDS.items():
        if md_key in md:
            doc[doc_key] = md[md_key]
    if not isinstance(doc.get("tags"), list):
        raise DSSError("Metadata 'tags' must be a list of strings", ILLEGAL_ARGUMENT, 400)
    return doc


def permissions(doc):
    return {"owner": doc.get("owner"), "permissions": copy.deepcopy(doc.get("permissions") or [])}


def apply_permissions(doc, body):
    if not isinstance(body, dict) or not isinstance(body.get("permissions", []), list):
        raise DSSError("Permissions must be an object with an owner and a list of permissions", ILLEGAL_ARGUMENT, 400)
    if body.get("owner"):
        doc["owner"] = body["owner"]
    if "permissions" in body:
        doc["permissions"] = body["permissions"]
    return doc


def apply_settings(old, body, key):
    """PUT /projects/K/settings: the body replaces the document (unknown keys round-trip), except the key,
    which comes from the path, and the owner, which a settings body cannot remove."""
    if not isinstance(body, dict):
        raise DSSError("Project settings must be a JSON object", ILLEGAL_ARGUMENT, 400)
    new = copy.deepcopy(body)
    new["projectKey"] = key
    if not new.get("owner"):
        new["owner"] = old.get("owner")
    return new
