"""What the bundle endpoints refuse, and that a refusal changes nothing: corrupt or foreign archives, re-export,
re-import, existing projects, activation checks (missing connection, wrong type), preload in FAIL_IF_MISS mode.
Each refusal is checked through the official client, then against the node's state digest and blob directory."""

import io
import json
import os
import zipfile

import pytest

from tests.dss_emulator import bundle_archive
from tests.emulator.bundles_helpers import (automation_remapping, blob_files, contents, expect_dss_error, on_node,
                                            raw_post, seed_design_project, zip_of)
from tests.support.emulator import EmulatorNode


@pytest.fixture(scope="module")
def v1_archive(design, tmp_path_factory):
    """The archive of bundle v1 of design project REFUSE (connections pg_dev + filesystem_managed)."""
    project = seed_design_project(design.client(), "REFUSE")
    project.export_bundle("v1")
    path = tmp_path_factory.mktemp("bundles") / "v1.zip"
    project.download_exported_bundle_archive_to_file("v1", str(path))
    return path


def _unchanged(node, call, fragment, *args):
    """Run a call that must fail with `fragment` and leave the state digest and blob files untouched."""
    before, blobs = node.digest(), blob_files(node)
    message = expect_dss_error(fragment, call, *args)
    assert node.digest() == before and blob_files(node) == blobs, message
    return message


def _bad_archives(good):
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(entries["export-manifest.json"])
    no_id = dict(entries, **{"export-manifest.json": json.dumps(dict(manifest, bundleId=None))})
    bad_id = dict(entries, **{"export-manifest.json": json.dumps(dict(manifest, bundleId="../x"))})
    crc = bytearray(zip_of({"export-manifest.json": entries["export-manifest.json"], "big.bin": b"A" * 4096}))
    crc[crc.index(b"A" * 64) + 10] ^= 0xFF  # stored entry data flipped: CRC check must catch it
    return {
        "random bytes": os.urandom(2048),
        "truncated zip": good[: len(good) // 2],
        "no manifest": zip_of({"project_config/params.json": b"{}"}),
        "manifest not json": zip_of({"export-manifest.json": b"{not json"}),
        "project export, not a bundle": zip_of(no_id),
        "unsafe bundle id": zip_of(bad_id),
        "corrupt entry": bytes(crc),
    }


def test_corrupt_and_foreign_archives_store_nothing(automation, v1_archive):
    aclient = automation.client()
    target = aclient.create_project("REFUSE_TARGET", "target", "admin")
    for label, data in _bad_archives(v1_archive.read_bytes()).items():
        msg = _unchanged(automation, aclient.create_project_from_bundle_archive, "Invalid", io.BytesIO(data))
        assert "CodedIOException" in msg or "IllegalArgumentException" in msg, label
        _unchanged(automation, target.import_bundle_from_stream, "Invalid", io.BytesIO(data))
    assert target.list_imported_bundles() == {"bundles": []}
    assert "REFUSE" not in aclient.list_project_keys()


def test_upload_shape_errors(automation):
    automation.client().create_project("REFUSE_SHAPE", "x", "admin")
    before = automation.digest()
    not_multipart = raw_post(automation, "/projects/REFUSE_SHAPE/bundles/imported/actions/importFromStream",
                             data=b"PK\x03\x04...")
    assert not_multipart.status_code >= 400 and "multipart" in not_multipart.json()["message"]
    wrong_field = raw_post(automation, "/projects/REFUSE_SHAPE/bundles/imported/actions/importFromStream",
                           files={"archive": ("b.zip", b"PK")})
    assert wrong_field.status_code >= 400 and "'file'" in wrong_field.json()["message"]
    unknown = raw_post(automation, "/projects/NO_SUCH/bundles/imported/actions/importFromStream",
                       files={"file": ("b.zip", b"PK" * 1000)})
    assert unknown.json()["code"] == "ERR_PROJECT_UNKNOWN_PROJECT_KEY"
    assert automation.digest() == before and not [f for f in blob_files(automation) if f.startswith(".")]


def test_reimport_existing_project_and_foreign_key(automation, v1_archive):
    aclient = automation.client()
    with open(v1_archive, "rb") as fp:
        assert aclient.create_project_from_bundle_archive(fp)["projectKey"] == "REFUSE"
    with open(v1_archive, "rb") as fp:
        _unchanged(automation, aclient.create_project_from_bundle_archive, "Project REFUSE already exists", fp)
    project = aclient.get_project("REFUSE")
    with open(v1_archive, "rb") as fp:
        _unchanged(automation, project.import_bundle_from_stream, "already been imported", fp)
    _unchanged(automation, project.import_bundle_from_archive, "already been imported", on_node(automation, v1_archive))

    # [INF] DSS accepts a bundle exported from another project key into this one.
    other = aclient.create_project("REFUSE_OTHER", "other", "admin")
    assert other.import_bundle_from_archive(on_node(automation, v1_archive)) == {"projectKey": "REFUSE_OTHER",
                                                                                 "bundleId": "v1"}
    assert other.list_imported_bundles()["bundles"][0]["exportManifest"]["originalProjectKey"] == "REFUSE"
    # Both projects share one blob; deleting one import keeps the other's archive.
    assert other.delete_imported_bundle("v1") == {}
    assert [b["bundleId"] for b in project.list_imported_bundles()["bundles"]] == ["v1"]
    _unchanged(automation, project.import_bundle_from_archive, "Cannot read archive", "/nonexistent/b.zip")


def test_server_path_variant(design, automation, tmp_path, monkeypatch):
    project = seed_design_project(design.client(), "REFUSE_PATH")
    project.export_bundle("p1")
    path = tmp_path / "p1.zip"
    project.download_exported_bundle_archive_to_file("p1", str(path))
    # By default a node reads the path on its host, as a DSS node does: here the client's host.
    aclient = automation.client()
    _unchanged(automation, aclient.create_project_from_bundle_local_archive, "No such file on the node",
               str(tmp_path / "missing.zip"))
    created = aclient.create_project_from_bundle_local_archive(str(path))
    assert created == {"projectKey": "REFUSE_PATH", "bundleId": "p1"}
    assert aclient.get_project("REFUSE_PATH").list_imported_bundles()["bundles"][0]["bundleId"] == "p1"

    # --confine-paths (here through its environment default): only files under <data-dir>/fs exist for the node.
    monkeypatch.setenv("DSS_EMULATOR_CONFINE_PATHS", "1")
    with EmulatorNode("automation") as confined:
        cclient = confined.client()
        _unchanged(confined, cclient.create_project_from_bundle_local_archive, "No such file on the node", str(path))
        outside = on_node(confined, path, "../p1.zip")  # in the data dir, but outside the node's filesystem
        _unchanged(confined, cclient.create_project_from_bundle_local_archive, "No such file on the node", outside)
        escape = os.path.join(confined.data_dir, "fs", "..", "p1.zip")
        _unchanged(confined, cclient.create_project_from_bundle_local_archive, "No such file on the node", escape)
        created = cclient.create_project_from_bundle_local_archive(on_node(confined, path, "srv/p1.zip"))
        assert created == {"projectKey": "REFUSE_PATH", "bundleId": "p1"}


def test_activation_checks_leave_the_project_untouched(design, automation, tmp_path):
    dclient, aclient = design.client(), automation.client()
    dproject = seed_design_project(dclient, "REFUSE_ACT")
    dproject.export_bundle("v1")
    path = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(path))
    if "pg_audit" not in dclient.list_connections():
        dclient.create_connection("pg_audit", "PostgreSQL", {})
    dproject.create_dataset("audit", "PostgreSQL", params={"connection": "pg_audit", "table": "audit"})
    dproject.export_bundle("v2")
    v2 = tmp_path / "v2.zip"
    dproject.download_exported_bundle_archive_to_file("v2", str(v2))

    for name, type_ in (("pg_target", "PostgreSQL"), ("sf_target", "Snowflake")):
        if name not in aclient.list_connections():
            aclient.create_connection(name, type_, {})
    with open(path, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("REFUSE_ACT")
    with open(v2, "rb") as fp:
        aproject.import_bundle_from_stream(fp)

    # Never activated yet: missing connection (pg_dev has no remapping and no same-name connection here).
    msg = _unchanged(automation, aproject.activate_bundle, "pg_dev", "v1")
    assert "do not exist" in msg and "activeBundleState" not in aproject.get_summary()
    automation_remapping(aproject, connections={"pg_dev": "pg_target"})
    aproject.activate_bundle("v1")
    good = contents(aproject)

    # v2 needs pg_audit, which exists nowhere on the automation node.
    msg = _unchanged(automation, aproject.activate_bundle, "CodedException", "v2")
    assert "pg_audit" in msg
    url = "/projects/REFUSE_ACT/bundles/imported/v2/actions/activate"
    assert raw_post(automation, url, data="{}").json()["code"] == "ERR_BUNDLE_ACTIVATE_MISSING_CONNECTION"

    # Remapped to a connection of another type.
    automation_remapping(aproject, connections={"pg_dev": "sf_target", "pg_audit": "pg_target"})
    msg = _unchanged(automation, aproject.activate_bundle, "type", "v2")
    assert "sf_target" in msg and "Snowflake" in msg and "PostgreSQL" in msg
    assert raw_post(automation, url, data="{}").json()["code"] == "ERR_BUNDLE_ACTIVATE_BAD_CONNECTION_TYPE"
    assert contents(aproject) == good
    assert aproject.get_summary()["activeBundleState"]["bundleId"] == "v1"

    _unchanged(automation, aproject.activate_bundle, "scenariosActiveOnActivation", "v1", {"TEST_SMOKE": "yes"})


def test_preload_modes(design, automation, tmp_path):
    dproject = seed_design_project(design.client(), "REFUSE_ENV")
    dproject.export_bundle("v1")
    path = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(path))
    aclient = automation.client()
    with open(path, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("REFUSE_ENV")

    automation_remapping(aproject, code_envs={"py_dev": "py_strict"}, import_mode="FAIL_IF_MISS")
    _unchanged(automation, aproject.preload_bundle, "PYTHON env py_strict doesn't exist", "v1")

    automation_remapping(aproject, code_envs={"py_dev": "py_strict"}, import_mode="DO_NOTHING")
    report = aproject.preload_bundle("v1")["result"]
    assert report["warning"] is True and report["error"] is False
    assert "py_strict" not in [e["envName"] for e in aclient.list_code_envs()]

    automation_remapping(aproject, code_envs={"py_dev": "py_strict"})  # default INSTALL_IF_MISS
    report = aproject.preload_bundle("v1")["result"]
    assert report["anyMessage"] is True and report["error"] is False
    assert "py_strict" in [e["envName"] for e in aclient.list_code_envs()]
    aclient.get_code_env("PYTHON", "py_strict").get_settings()  # readable as an automation env


def test_archives_are_deterministic():
    content = {"params": {"name": "x"}, "variables": {"standard": {"a": 1}},
               "dataset": [{"name": "b"}, {"name": "a"}], "recipe": [], "scenario": [{"id": "S"}]}
    outs = []
    for _attempt in range(2):
        buf = io.BytesIO()
        bundle_archive.write_archive(buf, {"bundleId": "v1", "originalProjectKey": "X"}, content)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    names = zipfile.ZipFile(io.BytesIO(outs[0])).namelist()
    assert names == sorted(names) and "export-manifest.json" in names
