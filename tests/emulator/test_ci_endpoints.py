"""Calls CI/CD scripts make besides bundles, through the official client and plain HTTP: the monitoring
endpoints outside the public API, and project export (docs/emulator.md, "Monitoring and project export")."""

import io
import json
import zipfile

import requests

SCORE = "import dataiku\nw = dataiku.Dataset('raw').get_writer()\nw.write_row_dict({'id': 1, 'v': 'a'})\nw.close()\n"


def test_ping_and_get_configuration_answer_without_a_key(design):
    before = design.stats()
    for path in ("/dip/api/ping", "/dip/api/ping/", "/dip/api/get-configuration"):
        resp = requests.get(design.url + path, timeout=10)
        assert resp.status_code == 200 and isinstance(resp.json(), dict), path
    keyed = requests.get(design.url + "/dip/api/get-configuration", auth=(design.api_key, ""), timeout=10)
    assert keyed.status_code == 200 and keyed.json()["version"]["product_version"] == keyed.headers["DSS-Version"]
    assert requests.post(design.url + "/dip/api/ping", timeout=10).status_code == 405
    after = design.stats()
    assert after["state_digest"] == before["state_digest"] and design.writes(after) == design.writes(before)


def test_project_export_zip_with_selected_data(design, tmp_path):
    client = design.client()
    project = client.create_project("EXPORTED", "exported", "admin")
    project.create_dataset("raw", "Filesystem", params={"connection": "filesystem_managed", "path": "raw"})
    project.create_dataset("empty", "Filesystem", params={"connection": "filesystem_managed", "path": "empty"})
    scenario = project.create_scenario("Seed", "step_based", definition={
        "id": "SEED", "params": {"steps": [{"type": "custom_python", "params": {"script": SCORE}}]}})
    assert scenario.run_and_wait().outcome == "SUCCESS"
    before = design.digest()

    path = tmp_path / "export.zip"
    project.export_to_file(str(path))
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("export-manifest.json"))
    assert {"project_config/params.json", "project_config/datasets/raw.json",
            "project_config/scenarios/SEED.json"} <= names
    assert not [n for n in names if n.startswith("datasets_data/")]  # no data unless asked
    assert manifest["originalProjectKey"] == "EXPORTED" and "bundleId" not in manifest

    stream = project.get_export_stream({"exportAllDatasets": True})
    try:
        with zipfile.ZipFile(io.BytesIO(stream.read())) as zf:
            assert zf.read("datasets_data/raw.csv").decode().splitlines() == ["id,v", "1,a"]
            assert "datasets_data/empty.csv" not in zf.namelist()  # never written: no data
            assert json.loads(zf.read("export-manifest.json"))["exportedWithOptions"] == {"exportAllDatasets": True}
    finally:
        stream.close()
    assert design.digest() == before  # an export is a read
    missing = requests.post(design.url + "/dip/publicapi/projects/NOPE/export", auth=(design.api_key, ""),
                            timeout=10)
    assert missing.status_code == 404 and missing.json()["code"] == "ERR_PROJECT_UNKNOWN_PROJECT_KEY"
