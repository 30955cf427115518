"""Datasets, recipes, scenarios and the flow graph through the official client."""

import pytest
from dataikuapi.utils import DataikuException

NOT_FOUND = r"^com\.dataiku\.dip\.server\.controllers\.NotFoundException: "


@pytest.fixture
def project(client, request):
    key = "PC_" + request.node.name.upper().replace("[", "_").replace("]", "").replace("-", "_")[:40]
    return client.create_project(key, "content", "admin")


def test_dataset_create_list_get_save_delete(design, project):
    ds = project.create_filesystem_dataset("orders", "filesystem_managed", "/data/orders")
    items = project.list_datasets()
    assert [i.name for i in items] == ["orders"] and items[0].connection == "filesystem_managed"
    assert items[0].type == "Filesystem"
    settings = ds.get_settings()
    assert type(settings).__name__ == "FSLikeDatasetSettings"
    assert settings.get_raw()["params"] == {"connection": "filesystem_managed", "path": "/data/orders"}
    before = design.digest()
    settings.save()
    assert design.digest() == before
    settings.add_raw_schema_column({"name": "id", "type": "bigint"})
    settings.get_raw()["tags"] = ["gold"]
    settings.save()
    raw = ds.get_settings().get_raw()
    assert raw["schema"]["columns"] == [{"name": "id", "type": "bigint"}]
    assert raw["versionTag"]["versionNumber"] == 1
    assert [d.name for d in project.list_datasets(tags=["gold"])] == ["orders"]
    assert project.list_datasets(tags=["silver"]) == []
    ds.delete()
    assert project.list_datasets() == []


def test_dataset_errors(project):
    project.create_dataset("dup", "Filesystem", params={"connection": "filesystem_managed", "path": "x"})
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Dataset .*\.dup already exists"):
        project.create_dataset("dup", "Filesystem")
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Invalid dataset name"):
        project.create_dataset("bad name", "Filesystem")
    with pytest.raises(DataikuException, match=NOT_FOUND + r"Dataset .*\.missing does not exist"):
        project.get_dataset("missing").get_settings()
    assert project.get_dataset("dup").exists() and not project.get_dataset("missing").exists()


def test_sql_dataset_settings_class(project):
    ds = project.create_sql_table_dataset("t", "PostgreSQL", "pg", "orders", "public")
    assert type(ds.get_settings()).__name__ == "SQLDatasetSettings"


def test_recipe_create_with_new_output_list_settings_delete(project):
    project.create_filesystem_dataset("raw", "filesystem_managed", "/raw")
    recipe = project.new_recipe("sync").with_input("raw").with_new_output("clean", "filesystem_managed").create()
    assert recipe.recipe_name == "compute_clean"
    out = project.get_dataset("clean").get_settings().get_raw()
    assert out["managed"] is True and out["params"]["connection"] == "filesystem_managed"
    items = project.list_recipes()
    assert [(r.name, r.type) for r in items] == [("compute_clean", "sync")]
    settings = recipe.get_settings()
    assert settings.type == "sync"
    assert settings.get_recipe_inputs()["main"]["items"][0]["ref"] == "raw"
    settings.get_recipe_params()["engineType"] = "DSS"
    settings.save()
    assert recipe.get_settings().get_recipe_params()["engineType"] == "DSS"
    graph = project.get_flow().get_graph()
    assert [n["ref"] for n in graph.get_successor_computables(recipe)] == ["clean"]
    assert [n["ref"] for n in graph.get_successor_recipes("raw")] == ["compute_clean"]
    recipe.delete()
    assert project.list_recipes() == []


def test_python_recipe_payload_round_trip(design, project):
    project.create_filesystem_dataset("src", "filesystem_managed", "/src")
    project.create_filesystem_dataset("dst", "filesystem_managed", "/dst")
    creator = project.new_recipe("python", "py_step").with_input("src").with_output("dst")
    creator.with_script("print('hello')")
    recipe = creator.create()
    settings = recipe.get_settings()
    assert settings.get_code() == "print('hello')"
    before = design.digest()
    settings.save()
    assert design.digest() == before
    settings.set_code("print('bye')")
    settings.save()
    assert recipe.get_settings().get_code() == "print('bye')"


def test_recipe_with_missing_input_is_refused(project):
    with pytest.raises(DataikuException, match=NOT_FOUND + r"Dataset .*\.ghost does not exist"):
        project.new_recipe("sync", "r1").with_input("ghost").with_new_output("o", "filesystem_managed").create()
    assert project.list_recipes() == [] and project.list_datasets() == []  # nothing half-created


def test_recipe_new_output_on_missing_connection(project):
    project.create_filesystem_dataset("in1", "filesystem_managed", "/in1")
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Connection 'nope' does not exist"):
        project.new_recipe("sync").with_input("in1").with_new_output("o", "nope").create()


def test_scenario_create_list_settings_delete(design, project):
    scenario = project.create_scenario("Test smoke", "step_based")
    assert scenario.id == "TEST_SMOKE"
    items = project.list_scenarios()
    assert [(i["id"], i["name"], i.running) for i in items] == [("TEST_SMOKE", "Test smoke", False)]
    settings = scenario.get_settings()
    assert type(settings).__name__ == "StepBasedScenarioSettings"
    assert settings.raw_steps == [] and settings.active is False
    before = design.digest()
    settings.save()
    assert design.digest() == before
    settings.active = True
    settings.add_periodic_trigger(every_minutes=10)
    settings.raw_steps.append({"id": "s1", "type": "build_flowitem", "params": {}})
    settings.save()
    back = scenario.get_settings()
    assert back.active is True and len(back.raw_triggers) == 1 and back.raw_steps[0]["id"] == "s1"
    assert scenario.get_status().running is False
    scenario.delete()
    assert project.list_scenarios() == []
    with pytest.raises(DataikuException, match=NOT_FOUND + r"Scenario .*\.TEST_SMOKE does not exist"):
        scenario.get_settings()


def test_python_scenario_script(project):
    scenario = project.create_scenario("Nightly", "custom_python")
    settings = scenario.get_settings()
    assert type(settings).__name__ == "PythonScriptBasedScenarioSettings" and settings.code == ""
    settings.code = "print(1)"
    settings.save()
    assert scenario.get_settings().code == "print(1)"


def test_scenario_ids_are_unique(project):
    first = project.create_scenario("Same", "step_based")
    second = project.create_scenario("Same", "step_based")
    assert first.id != second.id
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Scenario type"):
        project.create_scenario("x", "bogus")


def test_managed_dataset_creation_helper(project):
    ds = project.new_managed_dataset("managed_out").with_store_into("filesystem_managed").create()
    raw = ds.get_settings().get_raw()
    assert raw["managed"] is True and raw["type"] == "Filesystem"
    assert raw["params"]["connection"] == "filesystem_managed"


def test_dataset_metadata(project):
    ds = project.create_filesystem_dataset("meta", "filesystem_managed", "/m")
    md = ds.get_metadata()
    assert md["label"] == "meta" and md["tags"] == []
    md["tags"] = ["pii"]
    md["description"] = "customers"
    ds.set_metadata(md)
    assert ds.get_metadata()["tags"] == ["pii"]
    assert ds.get_settings().get_raw()["description"] == "customers"
