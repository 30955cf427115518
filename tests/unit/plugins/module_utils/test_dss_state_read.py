"""The bulk state read: a fixed number of requests per project, not-found by HTTP status, errors returned per
project (never raised from a worker thread)."""

import threading

import requests

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import LOCK_VARIABLE
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.state_read import (
    read_all, reuse_environment_settings)

NOT_FOUND = {"errorType": "com.dataiku.dip.server.controllers.NotFoundException", "message": "no such project"}


class _Response:
    def __init__(self, status, payload):
        self.status_code = status
        self._payload = payload
        self.text = str(payload)

    def json(self):
        return self._payload


class _Status:
    def __init__(self, raw):
        self._raw = raw

    def get_raw(self):
        return self._raw


class _Project:
    def __init__(self, client, key):
        self.client, self.key = client, key

    def list_imported_bundles(self):
        self.client.sent("GET /projects/%s/bundles/imported" % self.key)
        if self.key == "BROKEN":
            raise RuntimeError("boom")
        return {"bundles": [{"bundleId": "b1", "importState": {"importedOn": "2026-01-01"}}, {"bundleId": "b2"}]}

    def get_testing_status(self, bundle_id):
        self.client.sent("GET /projects/%s/scenarios/testing-status?bundleId=%s" % (self.key, bundle_id))
        outcomes = {"SUCCESS": 1} if bundle_id == "b2" else {"FAILED": 1}
        return _Status({"nbTotalRanScenarios": 1, "nbScenariosPerOutcome": outcomes})

    def get_variables(self):
        self.client.sent("GET /projects/%s/variables" % self.key)
        return {"standard": {}, "local": {LOCK_VARIABLE: {"owner": "run-9", "expires": 4102444800}}}


class _Session:
    verify = True  # what project_summary passes on, as dataikuapi does

    def __init__(self, client):
        self.client = client

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        return {"proxies": proxies, "stream": stream, "verify": verify, "cert": cert}

    def request(self, method, url, **_kwargs):
        key = url.rstrip("/").rsplit("/", 1)[1]
        self.client.sent("%s /projects/%s/" % (method, key))
        if key == "MISSING":
            return _Response(404, NOT_FOUND)
        return _Response(200, {"projectKey": key, "activeBundleState": {"bundleId": "b2"}})


class _Client:
    host = "http://dss"

    def __init__(self):
        self._session = _Session(self)
        self.requests = []
        self._lock = threading.Lock()

    def sent(self, what):
        with self._lock:
            self.requests.append(what)

    def get_project(self, key):
        return _Project(self, key)


def test_states_with_a_fixed_number_of_requests_per_project():
    client = _Client()
    keys = ["P%02d" % i for i in range(30)] + ["MISSING", "BROKEN"]
    states = read_all(client, keys, automation=True, targets={"P00": "b1"})
    assert states["P01"]["certified"] is True and states["P01"]["active_bundle_id"] == "b2"
    assert states["P01"]["bundle_ids"] == ["b1", "b2"] and states["P01"]["lock"]["owner"] == "run-9"
    assert states["P01"]["bundles"][0] == {"bundle_id": "b1", "imported_on": "2026-01-01", "release_notes": None}
    assert states["P00"]["target_certified"] is False and states["P01"]["target_certified"] is None
    assert states["MISSING"]["exists"] is False
    assert isinstance(states["BROKEN"], RuntimeError)
    per_project = {}
    for request in client.requests:
        key = request.split("/projects/", 1)[1].split("/", 1)[0]
        per_project[key] = per_project.get(key, 0) + 1
    assert per_project["P01"] == 4 and per_project["P00"] == 5 and per_project["MISSING"] == 1
    assert not any(r.rstrip("/") == "GET /projects" for r in client.requests)


def test_environment_settings_are_worked_out_once_per_node_and_equal_what_requests_computes(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.setenv("NO_PROXY", "dss-direct.example.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/pki/dss-ca.pem")
    session, plain = requests.Session(), requests.Session()
    reuse_environment_settings(session)
    # As Session.request calls it: a new proxies dict each time (requests adds the environment's proxies to it).
    calls = (("https://dss.example.com/dip/publicapi/projects/A/", False, None),
             ("https://dss.example.com/dip/publicapi/projects/B/git/status", False, True),
             ("https://dss-direct.example.com/dip/publicapi/projects/A/", True, None))

    def merged(which, url, stream, verify):
        return which.merge_environment_settings(url, {}, stream, verify, None)

    for call in calls:
        assert merged(session, *call) == merged(plain, *call)
    assert merged(session, *calls[0])["proxies"]["https"] == "http://proxy.example.com:3128"
    assert "https" not in merged(session, *calls[2])["proxies"]  # NO_PROXY
    assert merged(session, *calls[0])["verify"] == "/etc/pki/dss-ca.pem"
    scans = []
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", lambda *a, **k: scans.append(a) or {})
    for _request in range(50):
        merged(session, *calls[1])  # known: the environment is not read again
    settings = merged(session, *calls[1])
    settings["proxies"]["http"] = "changed by one request"
    assert scans == [] and "http" not in merged(session, *calls[1])["proxies"]
