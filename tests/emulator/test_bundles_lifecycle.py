"""Bundle lifecycle through the official client: export -> download -> first deployment -> new export -> import ->
activate -> rollback, with connection and code-env remapping."""

import zipfile

from tests.emulator.bundles_helpers import (DSS_DATE, automation_remapping, contents, expect_dss_error,
                                            seed_design_project)

MANIFEST_KEYS = {"bundleId", "originalProjectKey", "requiredConnections", "usedCodeEnvRefs", "exportUserInfo",
                 "manifestVersion", "generatedWithDSSVersion"}


def test_export_list_details_and_download(design, tmp_path):
    client = design.client()
    project = seed_design_project(client, "EXPORTS")
    assert project.export_bundle("v1", release_notes="first cut")["bundleId"] == "v1"

    bundles = project.list_exported_bundles()
    assert list(bundles) == ["bundles"]
    [entry] = bundles["bundles"]
    assert entry["bundleId"] == "v1" and entry["state"] == "BUILT" and "archive" not in entry
    manifest = entry["exportManifest"]
    assert MANIFEST_KEYS <= set(manifest)
    assert manifest["originalProjectKey"] == "EXPORTS" and manifest["bundleId"] == "v1"
    assert manifest["requiredConnections"] == {
        "filesystem_managed": {"name": "filesystem_managed", "type": "Filesystem", "isMissing": False},
        "pg_dev": {"name": "pg_dev", "type": "PostgreSQL", "isMissing": False}}
    assert manifest["usedCodeEnvRefs"] == [{"envLang": "PYTHON", "envName": "py_dev"}]
    info = manifest["exportUserInfo"]
    assert DSS_DATE.match(info["exportedOn"]) and info["exportedBy"] and info["releaseNotes"] == "first cut"
    assert entry["contentSummary"]["configContent"] == {"DATASET": 2, "RECIPE": 1, "SCENARIO": 1}

    details = client._perform_json("GET", "/projects/EXPORTS/bundles/exported/v1")  # not wrapped by the client
    assert details == entry

    path = tmp_path / "v1.zip"
    project.download_exported_bundle_archive_to_file("v1", str(path))
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    with project.get_exported_bundle_archive_stream("v1") as resp:
        assert resp.headers["Content-Type"] == "application/zip"
        assert resp.content == path.read_bytes()

    expect_dss_error("Bundle v1 already exists", project.export_bundle, "v1")
    assert project.delete_exported_bundle("v1") == {}
    assert project.list_exported_bundles() == {"bundles": []}
    expect_dss_error("NotFoundException", project.download_exported_bundle_archive_to_file, "v1", str(path))


def test_export_refused_on_automation_and_import_refused_on_design(design, automation, tmp_path):
    auto_project = automation.client().create_project("NOT_HERE", "x", "admin")
    expect_dss_error("not available on an Automation node", auto_project.export_bundle, "v1")
    project = seed_design_project(design.client(), "DESIGN_SIDE")
    project.export_bundle("v1")
    path = tmp_path / "v1.zip"
    project.download_exported_bundle_archive_to_file("v1", str(path))
    with open(path, "rb") as fp:
        expect_dss_error("not available on a Design node", project.import_bundle_from_stream, fp)


def test_deploy_update_and_rollback(design, automation, tmp_path):
    dclient, aclient = design.client(), automation.client()
    dproject = seed_design_project(dclient, "FLOW")
    dproject.export_bundle("v1", release_notes="v1")
    v1 = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(v1))

    # First deployment: the project is created from the bundle, under the bundle's project key.
    aclient.create_connection("pg_prod", "PostgreSQL", {"host": "prod-db"})
    with open(v1, "rb") as fp:
        assert aclient.create_project_from_bundle_archive(fp) == {"projectKey": "FLOW", "bundleId": "v1"}
    aproject = aclient.get_project("FLOW")
    [imported] = aproject.list_imported_bundles()["bundles"]
    assert imported["bundleId"] == "v1" and DSS_DATE.match(imported["importState"]["importedOn"])
    assert imported["importState"]["importedBy"] and imported["exportManifest"]["originalProjectKey"] == "FLOW"
    assert "activeBundleState" not in aproject.get_summary()

    automation_remapping(aproject, connections={"pg_dev": "pg_prod"}, code_envs={"py_dev": "py_prod"})
    preload = aproject.preload_bundle("v1")
    assert preload["hasResult"] is True and preload["result"]["error"] is False
    assert ("PYTHON", "py_prod") in {(e["envLang"], e["envName"]) for e in aclient.list_code_envs()}
    aproject.update_variables({"db_password_ref": "vault:prod"}, "local")

    report = aproject.activate_bundle("v1")
    assert report["hasResult"] is True and report["alive"] is False
    assert report["result"] == {"anyMessage": False, "success": False, "warning": False, "error": False,
                                "fatal": False, "messages": [], "neededAMigration": False}
    assert aproject.get_summary()["activeBundleState"]["bundleId"] == "v1"
    assert [p["activeBundleState"]["bundleId"] for p in aclient.list_projects() if p["projectKey"] == "FLOW"] == ["v1"]
    first = contents(aproject)
    assert first == {"datasets": {"customers": "pg_prod", "scored": "filesystem_managed"},
                     "recipes": {"compute_scored": "py_prod"}, "scenarios": {"TEST_SMOKE": True},
                     "standard": {"stage": "dev", "threshold": 3}, "local": {"db_password_ref": "vault:prod"}}

    # Operator switches the smoke scenario off on the automation node: DSS remembers it across activations.
    scenario = aproject.get_scenario("TEST_SMOKE").get_settings()
    scenario.active = False
    scenario.save()

    # v2 on the design node: one more dataset, a changed variable.
    dproject.create_dataset("audit", "PostgreSQL", params={"connection": "pg_dev", "table": "audit"})
    dproject.update_variables({"stage": "dev2"}, "standard")
    dproject.export_bundle("v2", release_notes="v2")
    v2 = tmp_path / "v2.zip"
    dproject.download_exported_bundle_archive_to_file("v2", str(v2))
    with open(v2, "rb") as fp:
        aproject.import_bundle_from_stream(fp)
    assert [b["bundleId"] for b in aproject.list_imported_bundles()["bundles"]] == ["v1", "v2"]
    aproject.preload_bundle("v2")
    aproject.activate_bundle("v2")
    second = contents(aproject)
    assert second["datasets"] == {"customers": "pg_prod", "scored": "filesystem_managed", "audit": "pg_prod"}
    assert second["scenarios"] == {"TEST_SMOKE": False}
    assert second["standard"] == {"stage": "dev2", "threshold": 3}
    assert second["local"] == {"db_password_ref": "vault:prod"}
    assert aproject.get_summary()["activeBundleState"]["bundleId"] == "v2"

    # Rollback: activate v1 again; content is v1's, the scenario stays as the operator left it.
    aproject.activate_bundle("v1")
    assert aproject.get_summary()["activeBundleState"]["bundleId"] == "v1"
    assert contents(aproject) == dict(first, scenarios={"TEST_SMOKE": False})

    # The override wins over the remembered state.
    aproject.activate_bundle("v1", scenarios_to_enable={"TEST_SMOKE": True})
    assert contents(aproject)["scenarios"] == {"TEST_SMOKE": True}

    # Retention: the inactive bundle can go, the active one cannot.
    expect_dss_error("active bundle", aproject.delete_imported_bundle, "v1")
    assert aproject.delete_imported_bundle("v2") == {}
    assert [b["bundleId"] for b in aproject.list_imported_bundles()["bundles"]] == ["v1"]
    expect_dss_error("NotFoundException", aproject.activate_bundle, "v2")


def test_local_scenarios_survive_activation(design, automation, tmp_path):
    dproject = seed_design_project(design.client(), "LOCALSC")
    dproject.export_bundle("v1")
    path = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(path))
    aclient = automation.client()
    if "pg_dev" not in aclient.list_connections():
        aclient.create_connection("pg_dev", "PostgreSQL", {"host": "same-name"})
    with open(path, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("LOCALSC")
    aproject.create_scenario("Ops watchdog", "step_based", definition={"id": "OPS_WATCHDOG", "active": True})
    report = aproject.activate_bundle("v1")  # same-name connection, no remapping
    assert report["result"]["warning"] is True and report["result"]["error"] is False  # py_dev not preloaded
    assert "py_dev" in report["result"]["messages"][0]["message"]
    assert contents(aproject)["scenarios"] == {"OPS_WATCHDOG": True, "TEST_SMOKE": True}
    assert contents(aproject)["datasets"]["customers"] == "pg_dev"


def _script(project, scenario_id):
    return project.get_scenario(scenario_id).get_settings().code


def _set_script(project, scenario_id, code):
    settings = project.get_scenario(scenario_id).get_settings()
    settings.code = code
    settings.save()


def test_python_scenario_scripts_travel_with_the_bundle(design, automation, tmp_path):
    dproject = seed_design_project(design.client(), "PYSCEN")
    dproject.create_scenario("Py check", "custom_python", definition={"id": "TEST_PY", "params": {}})
    _set_script(dproject, "TEST_PY", "print('v1')\n")
    dproject.create_scenario("Shared", "custom_python", definition={"id": "SHARED_PY", "params": {}})  # no script
    dproject.export_bundle("v1")
    _set_script(dproject, "TEST_PY", "print('v2')\n")
    dproject.export_bundle("v2")
    paths = {}
    for bundle_id in ("v1", "v2"):
        paths[bundle_id] = tmp_path / ("%s.zip" % bundle_id)
        dproject.download_exported_bundle_archive_to_file(bundle_id, str(paths[bundle_id]))
    with zipfile.ZipFile(paths["v1"]) as zf:
        assert zf.read("project_config/scenarios/TEST_PY.py") == b"print('v1')\n"
        assert "project_config/scenarios/TEST_SMOKE.py" not in zf.namelist()  # step-based: no script

    aclient = automation.client()
    if "pg_dev" not in aclient.list_connections():
        aclient.create_connection("pg_dev", "PostgreSQL", {"host": "same-name"})
    with open(paths["v1"], "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)
    aproject = aclient.get_project("PYSCEN")
    aproject.create_scenario("Ops", "custom_python", definition={"id": "OPS_PY", "params": {}})
    _set_script(aproject, "OPS_PY", "print('local')\n")
    aproject.create_scenario("Shared", "custom_python", definition={"id": "SHARED_PY", "params": {}})
    _set_script(aproject, "SHARED_PY", "print('replaced by the bundle')\n")
    aproject.activate_bundle("v1")
    assert _script(aproject, "TEST_PY") == "print('v1')\n"
    assert aproject.get_scenario("TEST_PY").get_settings().get_raw()["type"] == "custom_python"
    assert _script(aproject, "SHARED_PY") == ""  # same id as a bundle scenario: the bundle's (empty) script wins

    with open(paths["v2"], "rb") as fp:
        aproject.import_bundle_from_stream(fp)
    aproject.activate_bundle("v2")
    assert _script(aproject, "TEST_PY") == "print('v2')\n"
    aproject.activate_bundle("v1")  # rollback brings the old script back
    assert _script(aproject, "TEST_PY") == "print('v1')\n"
    assert _script(aproject, "OPS_PY") == "print('local')\n"  # a local scenario keeps its script
