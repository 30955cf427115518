"""An in-memory stand-in for dataikuapi.DSSClient (projects only), and a helper that runs a module with it.

Modules are tested at the client boundary: DssModule.make_client is patched to return this fake, so no HTTP
happens; every call is recorded so tests can assert which endpoints were read and written.
"""

import copy

import pytest


from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute
from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.summary_fake import answer_from_list

API_KEY = "unit-test-api-key-5f0c1d9e8b7a"
URL = "https://dss.example.com:11200"


class FakeFuture:
    def __init__(self, state):
        self.state = state

    def wait_for_result(self):
        return self.state.get("result")


class FakeProject:
    def __init__(self, client, key):
        self.client = client
        self.key = key

    def _doc(self):
        return self.client.projects[self.key]

    def _read(self, name, part):
        self.client.calls.append(("GET", name))
        return copy.deepcopy(self._doc()[part])

    def _write(self, name, part, value):
        self.client.calls.append(("PUT", name))
        value = copy.deepcopy(value)
        for dropped in self.client.drop.get(part, ()):
            value.pop(dropped, None)
        if self.client.drop.get(part):
            value = dict(self._doc()[part], **value)  # dropped keys keep their old value
        self._doc()[part] = value

    def get_summary(self):
        self.client.calls.append(("GET", "summary"))
        return self.client.summary(self.key)

    def get_metadata(self):
        return self._read("metadata", "metadata")

    def set_metadata(self, value):
        self._write("metadata", "metadata", value)

    def get_permissions(self):
        return self._read("permissions", "permissions")

    def set_permissions(self, value):
        self._write("permissions", "permissions", value)

    def get_variables(self):
        return self._read("variables", "variables")

    def set_variables(self, value):
        self._write("variables", "variables", value)

    def delete(self, **kwargs):
        self.client.calls.append(("DELETE", "project"))
        self.client.delete_args = kwargs
        del self.client.projects[self.key]
        return FakeFuture({"hasResult": True, "result": {}})


class FakeInstanceInfo:
    raw = {"nodeType": "DESIGN", "dssVersion": "15.2.0"}


class FakeClient:
    def __init__(self):
        self.projects = {}
        self.calls = []
        self.drop = {}  # part -> keys silently dropped on write, like a DSS that ignores them
        self.delete_args = None

    def add_project(self, key, name=None, owner="admin", tags=(), permissions=(), variables=None, **metadata):
        md = {"label": name or key, "description": "", "shortDesc": "", "tags": list(tags),
              "checklists": {"checklists": []}, "customFields": {}}
        md.update(metadata)
        self.projects[key] = {
            "metadata": md,
            "permissions": {"owner": owner, "permissions": [dict(p) for p in permissions]},
            "variables": variables or {"standard": {}, "local": {}},
        }

    def summary(self, key):
        doc = self.projects[key]
        md = doc["metadata"]
        return {"projectKey": key, "name": md["label"], "description": md["description"],
                "shortDesc": md["shortDesc"], "tags": list(md["tags"]), "ownerLogin": doc["permissions"]["owner"],
                "projectStatus": "Sandbox"}

    def list_projects(self):
        self.calls.append(("GET", "projects"))
        return [self.summary(k) for k in self.projects]

    def get_project(self, key):
        return FakeProject(self, key)

    def get_instance_info(self):
        # DssModule checks every node is DSS-shaped; not recorded in ``calls``, which list the project reads.
        return FakeInstanceInfo()

    def get_auth_info(self):
        self.calls.append(("GET", "auth"))
        return {"authIdentifier": "api-user"}

    def create_project(self, key, name, owner, description=None, permissions=None, tags=None, **kwargs):
        self.calls.append(("POST", "projects"))
        self.create_args = dict(key=key, name=name, owner=owner, description=description, permissions=permissions,
                                tags=tags, **kwargs)
        self.add_project(key, name=name, owner=owner, tags=tags or [], permissions=permissions or [],
                         description=description or "")

    def writes(self):
        return [c for c in self.calls if c[0] != "GET"]

    def reads(self):
        return [c[1] for c in self.calls if c[0] == "GET"]


@pytest.fixture
def fake_client(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(dss_module.DssModule, "make_client", lambda self, *args, **kwargs: client)
    answer_from_list(monkeypatch)
    return client


def run_module(main, capsys, check_mode=False, diff=False, connection=True, **params):
    """Run ``main`` with the given module params (plus url/api_key unless ``connection`` is false); returns the
    parsed JSON result (exit or fail)."""
    args = dict(url=URL, api_key=API_KEY) if connection else {}
    args.update(params)
    return execute(main, capsys, args, check_mode, diff)[1]
