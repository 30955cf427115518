"""Bundle additional data through the official client: datasets listed in
bundleExporterSettings.exportOptions.includedDatasetsData (and, with exportUploads, uploaded datasets) travel in the
archive with their data, show in the content summary and in the manifest as DSS lists them (name, type, transfer
method, size), and are restored on activation (docs/emulator.md, "Bundle additional data")."""

import os
import zipfile

from tests.emulator.test_scenario_runs import python_step, scenario_with

WRITE = """import dataiku
w = dataiku.Dataset("ref_rates").get_writer()
for code, rate in (("EUR", "1.0"), ("USD", "1.1")):
    w.write_row_dict({"code": code, "rate": rate})
w.close()
"""
CHECK = """import dataiku
rows = list(dataiku.Dataset("ref_rates").iter_tuples())
assert rows == [("EUR", "1.0"), ("USD", "1.1")], rows
"""


def test_included_dataset_data_travels_and_is_restored(design, automation, tmp_path):
    dclient, aclient = design.client(), automation.client()
    dproject = dclient.create_project("WITH_DATA", "with data", "admin")
    for name in ("ref_rates", "scratch"):
        dproject.create_dataset(name, "Filesystem", params={"connection": "filesystem_managed", "path": name})
    dproject.create_dataset("holidays", "UploadedFiles", params={"uploadConnection": "filesystem_managed"})
    seed = scenario_with(dproject, "SEED", python_step(WRITE + "dataiku.Dataset('scratch').get_writer().close()\n"
                                                       "with dataiku.Dataset('holidays').get_writer() as w:\n"
                                                       "    w.write_row_dict({'day': '12-25'})\n"))
    assert seed.run_and_wait().outcome == "SUCCESS"
    scenario_with(dproject, "TEST_RATES", python_step(CHECK))
    settings = dproject.get_settings()
    settings.get_raw().setdefault("bundleExporterSettings", {})["exportOptions"] = {
        "includedDatasetsData": [{"name": "ref_rates"}, {"name": "no_such_dataset"}], "exportUploads": True}
    settings.save()

    dproject.export_bundle("v1")
    entry = [b for b in dproject.list_exported_bundles()["bundles"] if b["bundleId"] == "v1"][0]
    archive = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(archive))
    with zipfile.ZipFile(archive) as zf:
        data = {n: len(zf.read(n)) for n in zf.namelist() if n.startswith("datasets_data/")}
    assert sorted(data) == ["datasets_data/holidays.csv", "datasets_data/ref_rates.csv"]
    sizes = {"holidays": data["datasets_data/holidays.csv"], "ref_rates": data["datasets_data/ref_rates.csv"]}
    assert entry["exportManifest"]["actualContent"]["includedDatasets"] == [
        {"name": "holidays", "type": "UploadedFiles", "usedTransferMethod": "UPLOAD", "size": sizes["holidays"]},
        {"name": "ref_rates", "type": "Filesystem", "usedTransferMethod": "ARCHIVE", "size": sizes["ref_rates"]}]
    assert entry["contentSummary"]["includedDatasets"] == [{"name": n, "size": sizes[n]} for n in sorted(sizes)]

    with open(archive, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("WITH_DATA")
    imported = aproject.list_imported_bundles()["bundles"][0]
    assert imported["contentSummary"]["includedDatasets"] == entry["contentSummary"]["includedDatasets"]
    assert imported["exportManifest"]["actualContent"] == entry["exportManifest"]["actualContent"]
    restored = os.path.join(automation.data_dir, "datasets", "WITH_DATA", "ref_rates.csv")
    assert not os.path.exists(restored)  # imported, not yet activated
    aproject.activate_bundle("v1")
    assert aproject.get_scenario("TEST_RATES").run_and_wait().outcome == "SUCCESS"
    read_back = scenario_with(aproject, "READ_BACK", python_step(
        "import dataiku\nassert [r['day'] for r in dataiku.Dataset('holidays').iter_rows()] == ['12-25']\n"))
    assert read_back.run_and_wait().outcome == "SUCCESS"
    # scratch had data on the design node but was not listed: it did not travel.
    not_listed = scenario_with(aproject, "SCRATCH", python_step(
        "import dataiku\nassert list(dataiku.Dataset('scratch').iter_rows()) == []\n"))
    assert not_listed.run_and_wait().outcome == "SUCCESS"
