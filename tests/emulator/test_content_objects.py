"""Emulator fidelity, through the official client, of what the content modules rely on: connection secrets come
back encrypted and survive a save of the read definition; code env package updates; scenario ids given on creation;
dataset, recipe and scenario settings saved back unchanged leave the state untouched."""

import pytest
from dataikuapi.utils import DataikuException


def test_connection_secrets_are_encrypted_and_kept_on_save(design, client):
    client.create_connection("pg", "PostgreSQL", params={"host": "h", "password": "pw-in-clear"})
    raw = client.get_connection("pg").get_settings().get_raw()
    assert raw["params"]["host"] == "h"
    assert raw["params"]["password"].startswith("e:AES:") and "pw-in-clear" not in str(client.list_connections())
    settings = client.get_connection("pg").get_settings()
    before = design.digest()
    settings.save()  # the encrypted value written back keeps the secret
    assert design.digest() == before
    settings.get_raw()["params"]["password"] = "rotated"
    settings.save()
    assert design.digest() != before
    assert client.get_connection("pg").get_settings().get_raw()["params"]["password"] != raw["params"]["password"]


def test_code_env_update_packages_installs_the_spec(design, client):
    env = client.create_code_env("PYTHON", "py", "DESIGN_MANAGED")
    settings = env.get_settings()
    settings.set_required_packages("pandas==2.2.2", "numpy")
    settings.save()
    assert "actualPackageList" not in env.get_definition()
    result = env.update_packages()
    assert result["messages"]["error"] is False
    assert env.get_definition()["actualPackageList"] == "pandas==2.2.2\nnumpy"
    before = design.digest()
    env.update_packages()  # nothing new to install
    assert design.digest() == before


def test_code_env_update_packages_on_automation_single(automation):
    client = automation.client()
    env = client.create_code_env("PYTHON", "py_auto", "AUTOMATION_SINGLE")
    settings = env.get_settings()
    settings.get_version().set_required_packages("requests")
    settings.save()
    env.update_packages()
    assert env.get_definition()["currentVersion"]["actualPackageList"] == "requests"


def test_code_env_update_packages_of_missing_env(client):
    with pytest.raises(DataikuException, match="env nope doesn't exist"):
        client.get_code_env("PYTHON", "nope").update_packages()


def test_scenario_created_with_given_id_and_settings_round_trip(design, client):
    project = client.create_project("CONTENT", "Content", "admin")
    scenario = project.create_scenario("Nightly build", "custom_python", definition={"id": "NIGHTLY", "params": {}})
    assert scenario.id == "NIGHTLY"
    settings = scenario.get_settings()
    settings.code = "print(1)"
    settings.save()
    assert project.get_scenario("NIGHTLY").get_settings().code == "print(1)"
    before = design.digest()
    project.get_scenario("NIGHTLY").get_settings().save()
    assert design.digest() == before


def test_dataset_and_recipe_settings_round_trip(design, client):
    project = client.create_project("CONTENT2", "Content", "admin")
    project.new_managed_dataset("out").with_store_into("filesystem_managed").create()
    project.create_dataset("src", "Filesystem", params={"connection": "filesystem_managed", "path": "/src"})
    project.create_recipe({"type": "python", "name": "compute_out",
                           "inputs": {"main": {"items": [{"ref": "src", "deps": []}]}},
                           "outputs": {"main": {"items": [{"ref": "out", "appendMode": False}]}}}, {})
    before = design.digest()
    project.get_dataset("out").get_settings().save()
    project.get_recipe("compute_out").get_settings().save()
    assert design.digest() == before
    assert project.get_dataset("out").get_settings().get_raw()["managed"] is True
    settings = project.get_recipe("compute_out").get_settings()
    settings.str_payload = "print(2)"
    settings.save()
    assert project.get_recipe("compute_out").get_settings().str_payload == "print(2)"
