"""Response traffic accounting of /__emulator__/stats: body bytes per answered call and per route template, kept in
memory only (never in the state digest)."""

import requests
from dataikuapi.utils import DataikuException


def _last(node, path):
    return [r for r in node.stats()["responses"] if r["path"] == path][-1]


def test_each_response_is_logged_with_its_route_status_and_body_size(design):
    client = design.client()
    client.create_project("TRAFFIC", "Traffic", "admin")
    body = requests.get(design.url + "/dip/publicapi/projects/TRAFFIC", auth=(design.api_key, ""), timeout=10)
    entry = _last(design, "/projects/TRAFFIC")
    assert entry == {"method": "GET", "path": "/projects/TRAFFIC", "route": "/projects/<key>", "status": 200,
                     "bytes": len(body.content)}


def test_errors_are_logged_too(design):
    try:
        design.client().get_project("NOSUCHKEY").get_summary()
    except DataikuException:
        pass
    entry = _last(design, "/projects/NOSUCHKEY")
    assert entry["status"] == 404 and entry["route"] == "/projects/<key>" and entry["bytes"] > 0


def test_routes_add_up_calls_on_different_keys_with_bytes_and_largest_response(design):
    client = design.client()
    for key in ("TRAFFICA", "TRAFFICB"):
        client.create_project(key, "Traffic " + key, "admin")
    before = design.stats()["routes"].get("GET /projects/<key>/variables", {"calls": 0, "bytes": 0})
    sizes = [len(requests.get(design.url + "/public/api/projects/%s/variables/" % key, auth=(design.api_key, ""),
                              timeout=10).content) for key in ("TRAFFICA", "TRAFFICB")]
    after = design.stats()["routes"]["GET /projects/<key>/variables"]
    assert after["calls"] - before["calls"] == 2
    assert after["bytes"] - before["bytes"] == sum(sizes)
    assert after["max_bytes"] >= max(sizes)


def test_a_listing_is_one_route_whose_response_grows_with_the_projects(design):
    def listing_size():
        design.client().list_project_keys()
        return _last(design, "/projects")["bytes"]

    first = listing_size()
    design.client().create_project("TRAFFICGROW", "Traffic grows", "admin")
    assert listing_size() > first
    assert design.stats()["routes"]["GET /projects"]["max_bytes"] >= first


def test_traffic_accounting_is_not_part_of_the_state_digest(design):
    digest = design.digest()
    design.client().list_project_keys()
    assert design.stats()["routes"] and design.digest() == digest
