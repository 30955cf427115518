"""In-memory stand-in for the dataikuapi client, at the boundary the remap modules use (shared by their tests)."""

import copy

import pytest

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute
from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.summary_fake import answer_from_list

API_KEY = "unit-secret-key-8c1f0e2d9b7a"


class FakeInfo:
    def __init__(self, node_type):
        self.raw = {"nodeType": node_type, "dssVersion": "15.2.0"}


class FakeSettings:
    def __init__(self, client, raw):
        self.client = client
        self.raw = raw

    def get_raw(self):
        return self.raw

    def save(self):
        self.client.calls.append("PUT settings")
        self.client.settings = copy.deepcopy(self.raw)


class FakeProject:
    def __init__(self, client):
        self.client = client

    def get_settings(self):
        self.client.calls.append("GET settings")
        return FakeSettings(self.client, copy.deepcopy(self.client.settings))

    def list_imported_bundles(self):
        self.client.calls.append("GET bundles")
        return {"bundles": copy.deepcopy(self.client.bundles)}

    def list_exported_bundles(self):
        self.client.calls.append("GET exported bundles")
        return {"bundles": copy.deepcopy(self.client.exported)}


class FakeClient:
    """State: settings (raw project settings), bundles (imported), exported, connections {name: type},
    envs [(lang, name)], project_keys."""

    def __init__(self, node_type="AUTOMATION"):
        self.node_type = node_type
        self.settings = {"projectKey": "P", "owner": "admin", "permissions": [{"group": "ops"}],
                         "bundleExporterSettings": {"exportOptions": {"exportUploads": True}}}
        self.bundles = []
        self.exported = []
        self.project_keys = ["P"]
        self.connections = {}
        self.envs = []
        self.calls = []

    def get_instance_info(self):
        self.calls.append("GET instance-info")
        return FakeInfo(self.node_type)

    def get_project(self, key):
        assert key == "P"
        return FakeProject(self)

    def list_projects(self):
        self.calls.append("GET projects")
        return [{"projectKey": key} for key in self.project_keys]

    def list_connections(self):
        self.calls.append("GET connections")
        return {name: {"name": name, "type": ctype, "params": {}} for name, ctype in self.connections.items()}

    def list_code_envs(self):
        self.calls.append("GET code-envs")
        return [{"envLang": lang, "envName": name, "deploymentMode": "AUTOMATION_SINGLE"} for lang, name in self.envs]

    def writes(self):
        return [c for c in self.calls if not c.startswith("GET")]


def bundle(bundle_id, connections=None, envs=None, imported_on="2025-03-31T10:15:30.123+0000"):
    return {"bundleId": bundle_id, "importState": {"importedOn": imported_on, "importedBy": "admin"},
            "exportManifest": {"requiredConnections": {n: {"name": n, "type": t, "isMissing": False}
                                                       for n, t in (connections or {}).items()},
                               "usedCodeEnvRefs": [{"envLang": lang, "envName": n} for lang, n in envs or []]}}


DESIGN_URL = "https://dss-design.example.com"


@pytest.fixture
def fake_client(monkeypatch):
    """The automation node; ``fake_client.design`` answers for DESIGN_URL (a second node, as ``source``)."""
    client = FakeClient()
    client.design = FakeClient("DESIGN")

    def make_client(self, url, *args, **kwargs):  # pylint: disable=unused-argument
        return client.design if url == DESIGN_URL else client

    monkeypatch.setattr(dss_module.DssModule, "make_client", make_client)
    answer_from_list(monkeypatch)
    return client


def run(module, capsys, check_mode=False, diff=False, **params):
    """Run ``module.main()`` with these options; returns (failed, result dict)."""
    args = dict(url="https://dss-auto.example.com", api_key=API_KEY, **params)
    code, result = execute(module.main, capsys, args, check_mode, diff, secrets=(API_KEY,))
    return code != 0 or bool(result.get("failed")), result
