"""Transport fidelity: prefixes, slashes, auth forms, headers, body and query encoding,
DSS-shaped errors."""

import base64

import dataikuapi
import pytest
import requests
from dataikuapi.utils import DataikuException


def _get(node, path, auth="basic-user", key=None, **kwargs):
    key = key or node.api_key
    headers = {
        "basic-user": {"Authorization": "Basic " + base64.b64encode(("%s:" % key).encode()).decode()},
        "basic-password": {"Authorization": "Basic " + base64.b64encode((":%s" % key).encode()).decode()},
        "bearer": {"Authorization": "Bearer " + key},
        "none": {},
    }[auth]
    return requests.get(node.url + path, headers=headers, timeout=10, **kwargs)


@pytest.mark.parametrize("path", ["/dip/publicapi/projects/", "/public/api/projects/", "/dip/publicapi/projects",
                                  "/public/api/projects", "//dip/publicapi//projects//", "/dip/publicapi/instance-info/"])
def test_both_prefixes_trailing_slash_and_double_slash(design, path):
    resp = _get(design, path)
    assert resp.status_code == 200, resp.text
    assert isinstance(resp.json(), (list, dict))


def test_host_with_trailing_slash_works_through_the_client(design):
    client = dataikuapi.DSSClient(design.url + "/", design.api_key)
    assert client.get_instance_info().node_type == "DESIGN"


@pytest.mark.parametrize("auth", ["basic-user", "basic-password", "bearer"])
def test_three_auth_forms(design, auth):
    assert _get(design, "/dip/publicapi/instance-info", auth=auth).json()["nodeType"] == "DESIGN"


@pytest.mark.parametrize("auth,key", [("basic-user", "wrong-key"), ("bearer", "wrong-key"), ("none", None)])
def test_bad_or_missing_key_is_a_dss_shaped_401(design, auth, key):
    resp = _get(design, "/dip/publicapi/projects/", auth=auth, key=key)
    assert resp.status_code == 401
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["errorType"] and body["message"] and body["detailedMessage"]


def test_wrong_key_surfaces_as_dataiku_exception(design):
    with pytest.raises(DataikuException, match=r"^com\.dataiku\.dip\.exceptions\.UnauthorizedException: "):
        dataikuapi.DSSClient(design.url, "not-the-key").list_project_keys()


def test_dss_version_headers_on_success_and_error(design):
    for resp in (_get(design, "/dip/publicapi/projects/"), _get(design, "/dip/publicapi/nope"),
                 _get(design, "/dip/publicapi/projects/", key="bad")):
        assert resp.headers["DSS-Version"] == "15.2.0"
        assert resp.headers["DSS-API-Version"]


def test_unknown_endpoint_is_a_dss_shaped_error(design):
    resp = _get(design, "/dip/publicapi/no/such/endpoint")
    assert resp.status_code == 404
    assert resp.json()["errorType"] == "com.dataiku.dip.server.controllers.NotFoundException"


def test_json_body_is_parsed_whatever_the_content_type(design):
    auth = (design.api_key, "")
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        key = "CT%d" % len(headers.get("Content-Type", ""))
        resp = requests.post(design.url + "/dip/publicapi/projects/", auth=auth, headers=headers, timeout=10,
                             data='{"projectKey": "%s", "name": "n", "owner": "admin"}' % key)
        assert resp.status_code == 200, resp.text
    assert {"CT0", "CT10", "CT33"} <= set(design.client().list_project_keys())


def test_invalid_json_body_is_a_dss_error(design):
    resp = requests.post(design.url + "/dip/publicapi/projects/", auth=(design.api_key, ""), data="{nope",
                         timeout=10)
    assert resp.status_code == 400
    assert resp.json()["errorType"] == "java.lang.IllegalArgumentException"


@pytest.mark.parametrize("value", ["True", "true", "TRUE"])
def test_query_booleans_any_case(design, value):
    if "QB" not in design.client().list_project_keys():
        design.client().create_project("QB", "query booleans", "admin")
    items = _get(design, "/dip/publicapi/projects/?includeLocation=%s" % value).json()
    assert items and all("projectLocation" in item for item in items)
    items = _get(design, "/dip/publicapi/projects/?includeLocation=False").json()
    assert not any("projectLocation" in item for item in items)


def test_stats_endpoint_counts_calls_and_needs_no_key(design):
    before = design.stats()
    design.client().list_project_keys()
    after = design.stats()
    assert after["requests"]["GET"] == before["requests"].get("GET", 0) + 1
    assert after["calls"][-1] == "GET /projects"
    assert after["node_type"] == "DESIGN" and len(after["state_digest"]) == 64
