"""POST /__emulator__/latency: a running node's latency profile changes without a restart (what the crash-safety
tests use to slow a node down only for the run they interrupt); a bad scale is refused and changes nothing."""

import time

import requests


def _set(node, body):
    return requests.post(node.url + "/__emulator__/latency", json=body, timeout=10)


def test_the_scale_of_a_running_node_changes_and_a_bad_one_is_refused(design):
    try:
        answer = _set(design, {"scale": 0.001})
        assert answer.status_code == 200 and answer.json() == {"scale": 0.001}
        # A slow operation (the export, 20 s x 0.001) still answers as before.
        project = design.client().create_project("LATENCY", "Latency", "admin")
        project.export_bundle("v1")
        assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["v1"]
        for bad in ({"scale": -1}, {"scale": "fast"}, {"scale": True}, {}):
            refused = _set(design, bad)
            assert refused.status_code == 400 and "number >= 0" in refused.json()["error"], bad
        assert design.set_latency(0).latency_scale == 0
    finally:
        design.set_latency(0)


def _in_progress_settled(node, timeout):
    """in_progress once it is 0, or after ``timeout`` (a request counts until the server has closed its answer,
    which may come just after the client read it)."""
    deadline = time.time() + timeout
    while node.stats()["in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    return node.stats()["in_progress"]


def test_a_request_waiting_out_its_latency_is_in_progress_until_answered_even_once_its_client_is_gone(design):
    """/__emulator__/stats in_progress: the crash-safety tests wait for 0 before a re-run, because a killed run's
    request still runs on the node (the export here: 20 s x 0.05 = 1 s)."""
    project = design.client().create_project("INFLIGHT", "In flight", "admin")
    assert _in_progress_settled(design, 5) == 0
    try:
        design.set_latency(0.05)
        url = "%s/public/api/projects/INFLIGHT/bundles/exported/v1" % design.url
        try:  # the client gives up long before the answer: the request goes on without it
            requests.put(url, auth=(design.api_key, ""), timeout=0.2)
        except requests.exceptions.Timeout:
            pass
        assert design.stats()["in_progress"] == 1
        assert _in_progress_settled(design, 30) == 0
        assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["v1"]
    finally:
        design.set_latency(0)
