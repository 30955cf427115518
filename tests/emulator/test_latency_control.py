"""POST /__emulator__/latency: a running node's latency profile changes without a restart (what the crash-safety
tests use to slow a node down only for the run they interrupt); a bad scale is refused and changes nothing."""

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
