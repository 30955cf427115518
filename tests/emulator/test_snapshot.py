"""Snapshot and restore of a node's whole state (POST /__emulator__/snapshot and /__emulator__/restore, node.Node):
documents, counters, blobs and the data dir's other directories come back exactly (same state digest), also into
another node on another URL and data dir, with the URLs and keys of other nodes rewritten as asked; a restore that
cannot be done changes nothing and says why. In-process nodes: no process is started."""

import os

import pytest
import requests

from tests.dss_emulator import python_process
from tests.dss_emulator.inprocess import InProcessNode
from tests.dss_emulator.store import rewriter

AUTOMATION_URL = "http://127.0.0.1:40001"


def control(node, path, body):
    """POST an emulator control endpoint of an in-process node: (status code, JSON answer)."""
    session = requests.Session()
    session.trust_env = False
    answer = node.mount(session, faults=False).post(node.url + path, json=body)
    return answer.status_code, answer.json()


def build_state(node):
    """A project with git history, an exported bundle (a blob), a counter, a file under fs/ and a deployer
    infrastructure naming an automation node: every kind of state a node keeps."""
    client = node.client()
    project = client.create_project("P", "P", "admin")
    project.set_variables({"standard": {"threshold": 30}, "local": {}})
    project.export_bundle("v1")
    infra = client.get_projectdeployer().create_infra("prod", "Production", "NO_CHECK")
    settings = infra.get_settings()
    settings.get_raw().update(automationNodeUrl=AUTOMATION_URL, adminApiKey="old-automation-key")
    settings.save()
    with open(os.path.join(node.data_dir, "fs", "note.txt"), "w", encoding="utf-8") as out:
        out.write("kept\n")
    return client


def infra_settings(client):
    return client.get_projectdeployer().get_infra("prod").get_settings().get_raw()


def test_restore_brings_back_every_kind_of_state_and_clears_the_counters(tmp_path):
    with InProcessNode("design") as node:
        client = build_state(node)
        saved = node.digest()
        # A script's work directory left by a node killed mid-run: no state, neither saved nor restored.
        left = os.path.join(python_process.scratch_dir(node.data_dir), "dss-python-left")
        os.mkdir(left)
        status, answer = control(node, "/__emulator__/snapshot", {"dir": str(tmp_path / "snap")})
        assert status == 200 and answer["state_digest"] == saved
        assert sorted(os.listdir(tmp_path / "snap")) == ["blobs", "fs", "git", "snapshot.json", "state.sqlite3"]
        assert answer["snapshot"]["node_type"] == "DESIGN" and answer["snapshot"]["data_dir"] == node.data_dir
        assert node.digest() == saved  # taking a snapshot changes nothing

        # Everything changes afterwards: more git history, another bundle, the file, the project itself.
        client.get_project("P").set_variables({"standard": {"threshold": 60}, "local": {}})
        client.get_project("P").export_bundle("v2")
        os.remove(os.path.join(node.data_dir, "fs", "note.txt"))
        client.create_project("Q", "Q", "admin")
        assert node.digest() != saved

        status, answer = control(node, "/__emulator__/restore", {"dir": str(tmp_path / "snap")})
        assert status == 200 and answer == {"restored": True, "state_digest": saved}
        assert node.digest() == saved and not os.path.exists(left)
        assert node.calls() == []  # the traffic counters restart, as after a reset
        assert sorted(client.list_project_keys()) == ["P"]
        project = client.get_project("P")
        assert project.get_variables()["standard"] == {"threshold": 30}
        assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["v1"]
        with project.get_exported_bundle_archive_stream("v1") as stream:
            assert stream.content[:2] == b"PK"  # the blob of the archive is back
        log = project.get_project_git().log(count=50)["entries"]
        assert log and "threshold" not in str(project.get_project_git().get_status())
        with open(os.path.join(node.data_dir, "fs", "note.txt"), encoding="utf-8") as fh:
            assert fh.read() == "kept\n"
        # The snapshot stays usable: a second restore gives the same state again.
        client.create_project("R", "R", "admin")
        assert control(node, "/__emulator__/restore", {"dir": str(tmp_path / "snap")})[1]["state_digest"] == saved


def test_restore_into_another_node_rewrites_the_urls_and_keys_it_is_given(tmp_path):
    with InProcessNode("design") as first, InProcessNode("design") as second:
        build_state(first)
        assert control(first, "/__emulator__/snapshot", {"dir": str(tmp_path / "snap")})[0] == 200
        # A restore without a replace map: the same state, on another data dir and URL.
        status, answer = control(second, "/__emulator__/restore", {"dir": str(tmp_path / "snap")})
        assert status == 200 and answer["state_digest"] == first.digest() == second.digest()
        assert second.client().get_project("P").get_variables()["standard"] == {"threshold": 30}

        # The automation node is now elsewhere: its URL and key are rewritten, a longer port is left alone.
        replace = {AUTOMATION_URL: "http://127.0.0.1:40002", "old-automation-key": "new-automation-key"}
        status, answer = control(second, "/__emulator__/restore", {"dir": str(tmp_path / "snap"), "replace": replace})
        assert status == 200 and answer["state_digest"] == second.digest() != first.digest()
        raw = infra_settings(second.client())
        assert raw["automationNodeUrl"] == "http://127.0.0.1:40002"
        assert raw["adminApiKey"] == "new-automation-key"
        assert infra_settings(first.client())["automationNodeUrl"] == AUTOMATION_URL


def test_a_snapshot_or_restore_that_cannot_be_done_changes_nothing(tmp_path):
    with InProcessNode("design") as design, InProcessNode("automation") as automation:
        build_state(design)
        assert control(design, "/__emulator__/snapshot", {"dir": str(tmp_path / "snap")})[0] == 200
        automation.client().create_project("A", "A", "admin")
        before = design.digest(), automation.digest()
        refusals = [
            (automation, "/__emulator__/restore", {"dir": str(tmp_path / "snap")},
             "is of a DESIGN node: it cannot be restored into this AUTOMATION node"),
            (design, "/__emulator__/restore", {"dir": str(tmp_path)}, "holds no emulator snapshot"),
            (design, "/__emulator__/restore", {"dir": "relative/snap"}, "the directory of the snapshot"),
            (design, "/__emulator__/restore", {"dir": str(tmp_path / "snap"), "replace": {"": "x"}},
             "replace must map non-empty strings to strings"),
            (design, "/__emulator__/restore", {"dir": os.path.join(design.data_dir, "fs")},
             "is inside the node's data dir"),
            (design, "/__emulator__/snapshot", {"dir": str(tmp_path / "snap")}, "exists and is not empty"),
            (design, "/__emulator__/snapshot", {}, "the directory of the snapshot"),
        ]
        for node, path, body, expected in refusals:
            status, answer = control(node, path, body)
            assert status == 400 and expected in answer["message"], (path, body, answer)
            assert "Traceback" not in answer["message"]
        assert (design.digest(), automation.digest()) == before

        design.node.confine_paths = True  # a shared machine: no endpoint reads or writes any directory
        status, answer = control(design, "/__emulator__/snapshot", {"dir": str(tmp_path / "other")})
        assert status == 400 and "--confine-paths" in answer["message"]
        assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("text, expected", [
    ('{"url": "http://h:1234/x", "other": "http://h:12345"}', '{"url": "http://h:5678/x", "other": "http://h:12345"}'),
    ("http://h:1234 http://h:5678", "http://h:5678 http://h:1234"),  # two nodes swap ports: no double replacement
    ("key-a key-ab", "KEY-A key-ab"),
])
def test_the_rewrite_replaces_whole_values_in_one_pass(text, expected):
    rewrite = rewriter({"http://h:1234": "http://h:5678", "http://h:5678": "http://h:1234", "key-a": "KEY-A"})
    assert rewrite(text) == expected
    assert rewriter(None)(text) == text
