"""The emulator's in-process mode and reset: the same routes and answers as a node process, faults in transit,
and a reset that gives back a fresh node (in Python and through POST /__emulator__/reset)."""

import pytest
import requests
from dataikuapi.utils import DataikuException

from tests.dss_emulator.inprocess import InProcessNode, routed
from tests.support.emulator import EmulatorNode


def _answers(client):
    """A few calls through the official client: a write, reads, and a DSS error."""
    client.create_project("P", "P", "admin")
    project = client.get_project("P")
    project.set_variables({"standard": {"a": 1}, "local": {}})
    with pytest.raises(DataikuException) as missing:
        client.get_project("NOPE").get_metadata()
    return {"variables": project.get_variables(), "connections": sorted(client.list_connections()),
            "keys": client.list_project_keys(), "error": str(missing.value),
            "node_type": client.get_instance_info().node_type}


def test_in_process_answers_as_the_node_process(design):
    with InProcessNode("design") as node:
        assert _answers(node.client()) == _answers(design.client())
        assert node.calls()[:2] == ["POST /projects", "PUT /projects/P/variables"]
        raw = requests.Session()
        node.mount(raw)
        answer = raw.get(node.url + "/public/api/projects/NOPE/", auth=(node.api_key, ""))
        assert answer.status_code == 404 and answer.json()["errorType"].endswith("NotFoundException")
        assert raw.get(node.url + "/dip/publicapi/projects/", auth=("wrong", "")).status_code == 401


def test_faults_in_transit():
    with InProcessNode("design") as node:
        client = node.client()
        client.create_project("P", "P", "admin")
        node.faults.add("PUT", r"/projects/P/variables$", "lost").add("PUT", r"/projects/P/variables$", "refused")
        for value in (1, 2):
            with pytest.raises(requests.exceptions.ConnectionError):
                client.get_project("P").set_variables({"standard": {"a": value}, "local": {}})
        assert client.get_project("P").get_variables()["standard"] == {"a": 1}  # lost: applied; refused: not
        assert [r.json()["standard"]["a"] for r in node.received() if r.method == "PUT"] == [1, 2]
        node.faults.add("GET", r"/projects/P/variables$", "503")
        with pytest.raises(DataikuException):
            client.get_project("P").get_variables()


def test_routed_answers_clients_that_mount_their_own_adapter():
    with InProcessNode("automation", url="https://dss.example.com") as node, routed(node):
        session = requests.Session()
        session.mount("https://", requests.adapters.HTTPAdapter(max_retries=0))
        answer = session.get("https://dss.example.com/dip/publicapi/instance-info", auth=(node.api_key, ""))
        assert answer.json()["nodeType"] == "AUTOMATION"
    assert node.calls() == ["GET /instance-info"]


def test_reset_gives_a_fresh_node_in_process_and_over_http():
    with InProcessNode("design") as node:
        fresh = node.digest()
        client = node.client()
        client.create_project("P", "P", "admin")
        client.get_connection("filesystem_managed").delete()
        node.reset()
        assert node.digest() == fresh and node.calls() == []
        assert client.list_project_keys() == [] and list(client.list_connections()) == ["filesystem_managed"]
    with EmulatorNode("design") as process:
        fresh = process.digest()
        process.client().create_project("P", "P", "admin")
        answer = requests.post(process.url + "/__emulator__/reset", timeout=30).json()
        assert answer == {"reset": True, "state_digest": fresh}
        assert process.stats()["requests"] == {} and process.client().list_project_keys() == []
