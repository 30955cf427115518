"""Code envs through the official client: definitions only, shaped per node type."""

import pytest
from dataikuapi.utils import DataikuException


def test_design_create_list_get_save_delete(design, client):
    env = client.create_code_env("PYTHON", "py39", "DESIGN_MANAGED", params={"pythonInterpreter": "PYTHON39"})
    items = {(e["envLang"], e["envName"]): e for e in client.list_code_envs()}
    assert items[("PYTHON", "py39")]["deploymentMode"] == "DESIGN_MANAGED"
    assert [(e.env_lang, e.env_name) for e in client.list_code_envs(as_objects=True)
            if e.env_name == "py39"] == [("PYTHON", "py39")]
    settings = env.get_settings()
    assert type(settings).__name__ == "DSSDesignCodeEnvSettings"
    assert settings.get_raw()["desc"]["pythonInterpreter"] == "PYTHON39"
    before = design.digest()
    settings.save()
    assert design.digest() == before
    settings.set_required_packages("pandas==2.2.0")
    settings.save()
    assert "pandas==2.2.0" in env.get_settings().get_raw()["specPackageList"]
    assert env.delete()["messages"]["error"] is False
    assert ("PYTHON", "py39") not in [(e["envLang"], e["envName"]) for e in client.list_code_envs()]


def test_automation_definition_has_versions(automation):
    client = automation.client()
    env = client.create_code_env("PYTHON", "py_auto", "AUTOMATION_SINGLE")
    settings = env.get_settings()
    assert type(settings).__name__ == "DSSAutomationCodeEnvSettings"
    assert settings.get_version().get_raw()["versionId"]
    versioned = client.create_code_env("PYTHON", "py_ver", "AUTOMATION_VERSIONED").get_settings()
    assert versioned.get_raw()["versions"][0]["versionId"] == "v1"


def test_missing_env_is_the_real_dss_error(client):
    with pytest.raises(DataikuException,
                       match=r"^com\.dataiku\.dip\.exceptions\.CodedIOException: PYTHON env nope doesn't exist$"):
        client.get_code_env("PYTHON", "nope").get_settings()


def test_duplicate_env_is_an_error(client):
    client.create_code_env("R", "r_env", "DESIGN_MANAGED")
    with pytest.raises(DataikuException, match=r"R env r_env already exists"):
        client.create_code_env("R", "r_env", "DESIGN_MANAGED")


def test_create_without_wait_returns_a_finished_future(client):
    future = client.create_code_env("PYTHON", "py_async", "DESIGN_MANAGED", wait=False)
    assert future.job_id and future.wait_for_result()["envName"] == "py_async"
    assert future.get_state()["hasResult"] is True
