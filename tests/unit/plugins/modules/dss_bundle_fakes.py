"""An in-memory stand-in for dataikuapi.DSSClient, limited to what dataiku_bundle and dataiku_bundle_info call.

Each FakeNode is one DSS node (design or automation) reachable at a URL; ``install(monkeypatch, *nodes)`` makes
``dataikuapi.DSSClient(url, ...)`` return a client of the node at that URL. Every call is recorded in
``node.calls`` as (method, path) so tests can assert "no write" precisely.
"""

import io
import json
import re
import zipfile

from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.summary_fake import answer_from_list

WRITES = ("POST", "PUT", "DELETE")


class DataikuError(dss_module.DataikuException):
    pass


def bundle_zip(bundle_id, project_key, exported_on="2025-01-01T00:00:00.000+0000", padding=b"", extra=None):
    """A minimal valid bundle archive (bytes)."""
    manifest = {"bundleId": bundle_id, "originalProjectKey": project_key,
                "exportUserInfo": {"exportedOn": exported_on, "exportedBy": "admin"}}
    manifest.update(extra or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("export-manifest.json", json.dumps(manifest))
        archive.writestr("project_config/params.json", json.dumps({"projectKey": project_key}))
        if padding:
            archive.writestr("padding.bin", padding)
    return buf.getvalue()


class FakeResponse:
    def __init__(self, payload=None, content=b"", headers=None):
        self._payload = payload
        self._content = content
        self.headers = headers if headers is not None else {"Content-Length": str(len(content))}
        self.closed = False

    def json(self):
        return self._payload

    def iter_content(self, chunk_size=1):
        for start in range(0, len(self._content), chunk_size):
            yield self._content[start:start + chunk_size]

    def close(self):
        self.closed = True


class _Info:
    def __init__(self, node):
        self.raw = {"nodeType": node.node_type, "nodeId": "fake", "dssVersion": "15.2.0"}
        self.node_type = node.node_type


class _Session:
    verify = True

    def mount(self, prefix, adapter):
        pass


def parse_multipart(body, content_type):
    """The (field name, filename, content) of each part of a multipart body, parsed strictly."""
    delimiter = b"--" + content_type.split("boundary=", 1)[1].encode()
    assert body.startswith(delimiter + b"\r\n") and body.endswith(b"\r\n" + delimiter + b"--\r\n")
    inner = body[len(delimiter) + 2:-(len(delimiter) + 6)]
    parts = []
    for part in inner.split(b"\r\n" + delimiter + b"\r\n"):
        head, content = part.split(b"\r\n\r\n", 1)
        disposition = head.decode("utf-8")
        name = re.search(r'name="([^"]*)"', disposition).group(1)
        filename = re.search(r'filename="([^"]*)"', disposition)
        parts.append((name, filename.group(1) if filename else None, content))
    return parts


class FakeNode:
    def __init__(self, node_type, url):
        self.node_type = node_type
        self.url = url
        self.projects = {}        # key -> list item (may hold activeBundleState)
        self.bundles = {}         # key -> [entry] (exported on design, imported on automation), oldest first
        self.archives = {}        # (key, bundle id) -> zip bytes (design side)
        self.calls = []
        self.uploads = []         # dicts: path, params, headers, body_type, length, parts
        self.activation_result = None  # override the activate answer
        self.activation_error = None
        self.export_counter = 0
        self.download_headers = None

    # -- setup helpers -------------------------------------------------------------------------------------------
    def add_project(self, key):
        self.projects[key] = {"projectKey": key, "name": key}
        self.bundles.setdefault(key, [])

    def add_exported(self, key, bundle_id, release_notes=None):
        self.export_counter += 1
        exported_on = "2025-01-01T00:00:%02d.000+0000" % self.export_counter
        info = {"exportedOn": exported_on, "exportedBy": "admin"}
        if release_notes is not None:
            info["releaseNotes"] = release_notes
        manifest = {"bundleId": bundle_id, "originalProjectKey": key, "exportUserInfo": info}
        self.bundles[key].append({"bundleId": bundle_id, "state": "BUILT", "exportManifest": manifest})
        self.archives[(key, bundle_id)] = bundle_zip(bundle_id, key, exported_on)

    def add_imported(self, key, bundle_id, active=False):
        if key not in self.projects:
            self.add_project(key)
        self.bundles[key].append({"bundleId": bundle_id,
                                  "importState": {"importedOn": "2025-02-01T00:00:00.000+0000", "importedBy": "admin"},
                                  "exportManifest": {"bundleId": bundle_id, "originalProjectKey": key,
                                                     "exportUserInfo": {"exportedOn": "x"}}})
        if active:
            self.projects[key]["activeBundleState"] = {"bundleId": bundle_id}

    def ids(self, key):
        return [b["bundleId"] for b in self.bundles.get(key, [])]

    def active(self, key):
        return (self.projects.get(key, {}).get("activeBundleState") or {}).get("bundleId")

    def writes(self):
        return [c for c in self.calls if c[0] in WRITES]

    def client(self):
        return FakeClient(self)


class FakeClient:
    def __init__(self, node):
        self.node = node
        self._session = _Session()

    def _call(self, method, path):
        self.node.calls.append((method, path))

    def get_instance_info(self):
        self._call("GET", "/instance-info")
        return _Info(self.node)

    def list_projects(self):
        self._call("GET", "/projects/")
        return [dict(v) for v in self.node.projects.values()]

    def list_project_keys(self):
        return [p["projectKey"] for p in self.list_projects()]

    def get_project(self, key):
        return FakeProject(self, key)

    def _perform_http(self, method, path, params=None, body=None, stream=False, files=None, raw_body=None, headers=None):
        self._call(method, path)
        assert method == "POST" and files is None and body is None
        upload = dict(path=path, params=params, headers=dict(headers or {}), body_type=type(raw_body).__name__,
                      length=len(raw_body) if hasattr(raw_body, "__len__") else None)
        data = b"".join(raw_body)
        upload["parts"] = parse_multipart(data, headers["Content-Type"])
        upload["body_size"] = len(data)
        self.node.uploads.append(upload)
        archive = upload["parts"][0][2]
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            manifest = json.loads(zipped.read("export-manifest.json"))
        if path == "/projectsFromBundle/":
            key = manifest["originalProjectKey"]
            if key in self.node.projects:
                raise DataikuError("java.lang.IllegalArgumentException: Project %s already exists" % key)
            self.node.add_project(key)
        else:
            key = path.split("/")[2]
        if manifest["bundleId"] in self.node.ids(key):
            raise DataikuError("java.lang.IllegalArgumentException: Bundle already imported")
        self.node.add_imported(key, manifest["bundleId"])
        return FakeResponse({"projectKey": key, "bundleId": manifest["bundleId"]})

    def _perform_raw(self, method, path, params=None, body=None, files=None, raw_body=None, headers=None):
        self._call(method, path)
        parts = path.split("/")  # /projects/K/bundles/exported/ID/archive
        content = self.node.archives[(parts[2], parts[5])]
        return FakeResponse(content=content, headers=self.node.download_headers)


class FakeProjectGit:
    """The project's git as the release notes read it: a history of one commit, no diff."""

    HEAD = {"commit": "0123456789abcdef0123456789abcdef01234567", "author": "alice", "message": "first",
            "timestamp": 0}

    def __init__(self, project):
        self.project = project

    def log(self, path=None, start_commit=None, count=100):  # pylint: disable=unused-argument
        self.project.client._call("GET", "/projects/%s/git/log" % self.project.key)
        return {"entries": [dict(self.HEAD)], "nextCommit": None}

    def diff(self, commit_from=None, commit_to=None):  # pylint: disable=unused-argument
        self.project.client._call("GET", "/projects/%s/git/diff" % self.project.key)
        return {"entries": []}


class FakeProject:
    def __init__(self, client, key):
        self.client = client
        self.node = client.node
        self.key = key

    def get_project_git(self):
        return FakeProjectGit(self)

    def _require(self):
        if self.key not in self.node.projects:
            raise DataikuError("com.dataiku.dip.server.controllers.NotFoundException: Project %s does not exist" % self.key)

    def get_summary(self):
        self.client._call("GET", "/projects/%s" % self.key)
        self._require()
        return dict(self.node.projects[self.key])

    def list_exported_bundles(self):
        self.client._call("GET", "/projects/%s/bundles/exported" % self.key)
        self._require()
        return {"bundles": [dict(b) for b in self.node.bundles[self.key]]}

    list_imported_bundles = list_exported_bundles

    def export_bundle(self, bundle_id, release_notes=None):
        self.client._call("PUT", "/projects/%s/bundles/exported/%s" % (self.key, bundle_id))
        if bundle_id in self.node.ids(self.key):
            raise DataikuError("java.lang.IllegalArgumentException: Bundle %s already exists" % bundle_id)
        self.node.add_exported(self.key, bundle_id, release_notes)
        return {}

    def delete_exported_bundle(self, bundle_id):
        self.client._call("DELETE", "/projects/%s/bundles/exported/%s" % (self.key, bundle_id))
        self.node.bundles[self.key] = [b for b in self.node.bundles[self.key] if b["bundleId"] != bundle_id]
        return {}

    def delete_imported_bundle(self, bundle_id):
        self.client._call("DELETE", "/projects/%s/bundles/imported/%s" % (self.key, bundle_id))
        if self.node.active(self.key) == bundle_id:
            raise DataikuError("java.lang.IllegalArgumentException: Bundle is active")
        self.node.bundles[self.key] = [b for b in self.node.bundles[self.key] if b["bundleId"] != bundle_id]
        return {}

    def preload_bundle(self, bundle_id):
        self.client._call("POST", "/projects/%s/bundles/imported/%s/actions/preload" % (self.key, bundle_id))
        return {"hasResult": True, "result": {"anyMessage": False, "success": False, "error": False, "fatal": False,
                                              "messages": []}}

    def activate_bundle(self, bundle_id):
        self.client._call("POST", "/projects/%s/bundles/imported/%s/actions/activate" % (self.key, bundle_id))
        if self.node.activation_error:
            raise DataikuError(self.node.activation_error)
        if self.node.activation_result is not None:
            return {"hasResult": True, "result": self.node.activation_result}
        self.node.projects[self.key]["activeBundleState"] = {"bundleId": bundle_id}
        return {"aborted": False, "alive": False, "hasResult": True,
                "result": {"anyMessage": False, "success": False, "warning": False, "error": False, "fatal": False,
                           "messages": []}}


def install(monkeypatch, *nodes):
    by_url = {n.url: n for n in nodes}

    def factory(url, api_key, **_kwargs):
        if url not in by_url:
            raise AssertionError("no fake node at %s" % url)
        return by_url[url].client()

    monkeypatch.setattr(dss_module.dataikuapi, "DSSClient", factory)
    answer_from_list(monkeypatch)
