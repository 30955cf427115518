"""dataiku_node_export_info and the adoption files against emulated nodes in-process: what the module reads, applied
back with the collection's own modules, changes nothing and writes nothing (the round trip, object by object); the
files are what the fleet inventory plugin and the project_as_code role read; secrets never come out; Jinja in code
survives Ansible's loader; bad input is refused before any request."""

# pylint: disable=redefined-outer-name,unused-import
import hashlib

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.project_as_code import project_as_code_plan
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import adoption_files, notes, pending
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_sources import adoption_sources
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.modules import (
    dataiku_code_env, dataiku_connection, dataiku_dataset, dataiku_node_export_info, dataiku_project, dataiku_recipe,
    dataiku_scenario)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import expand
from ansible_collections.dataiku_gitops.dss.tests.support import sample_project
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    deploy, dss_error, emulated, run_module)

SECRET = "s3cret-value-never-written"
JINJA_CODE = "print('{{ not a template }}')\n"


def export(capsys, node, **params):
    failed, result = run_module(dataiku_node_export_info.main, capsys, node, secrets=(SECRET,), **params)
    assert not failed, result
    return result


@pytest.fixture
def design(emulated):
    node = emulated("design")
    client = node.client()
    sample_project.seed_design_project(client)
    project = client.get_project(sample_project.PROJECT_KEY)
    permissions = project.get_permissions()
    permissions["permissions"].append({"group": "analysts", "readProjectContent": True, "writeProjectContent": False})
    project.set_permissions(permissions)
    project.create_scenario("NIGHTLY", "custom_python", definition={"id": "NIGHTLY"})
    settings = project.get_scenario("NIGHTLY").get_settings()
    settings.code = JINJA_CODE
    settings.save()
    client.create_connection("warehouse", "PostgreSQL", params={"host": "pg", "password": SECRET})
    project.create_dataset("facts", "PostgreSQL", params={"connection": "warehouse", "table": "facts"})
    client.create_code_env("PYTHON", "py_scoring", "DESIGN_MANAGED")
    env = client.get_code_env("PYTHON", "py_scoring")
    env_settings = env.get_settings()
    env_settings.get_raw()["specPackageList"] = "pandas==2.2.2\nnumpy"
    env_settings.save()
    recipe = project.get_recipe(sample_project.RECIPE).get_settings()
    recipe.get_recipe_raw_definition()["params"]["envSelection"] = {"envMode": "EXPLICIT_ENV", "envName": "py_scoring"}
    recipe.save()
    node.forget_calls()
    return node


def test_design_read_applies_back_with_no_change_and_no_write(design, capsys):
    result = export(capsys, design, project_keys=[sample_project.PROJECT_KEY, "NOPE"])
    assert result["node_type"] == "design" and result["missing"] == ["NOPE"]
    assert all(c.startswith("GET ") for c in design.calls())
    churn = result["projects"][sample_project.PROJECT_KEY]
    assert churn["tests"] == [sample_project.SMOKE_SCENARIO]
    description = churn["description"]
    assert {"group": "analysts", "read_project_content": True, "write_project_content": False} in \
        description["project"]["permissions"]
    assert [s["id"] for s in description["scenarios"]] == ["LOAD_CUSTOMERS", "NIGHTLY", "TEST_SMOKE"]
    objects = result["environment_objects"]
    assert [c["name"] for c in objects["connections"]] == ["pg_dev", "warehouse"]
    assert objects["secret_params"] == {"warehouse": ["password"]}
    assert "password" not in objects["connections"][1]["params"]
    assert objects["code_envs"] == [{"name": "py_scoring", "lang": "python", "deployment_mode": "DESIGN_MANAGED",
                                     "packages": ["pandas==2.2.2", "numpy"]}]
    assert {"project": "CHURN", "kind": "managed folder", "id": sample_project.REPORTS_FOLDER,
            "reason": "managed folders are not part of project_as_code"} in result["not_adopted"]
    project_as_code_plan(description)  # a valid description: declared refs, no cycle

    # Each item, given to the module that manages it, finds nothing to change and writes nothing.
    design.forget_calls()
    key = sample_project.PROJECT_KEY
    project = dict(description["project"])
    applied = [(dataiku_project.main, dict(project, project_key=project.pop("key")))]
    applied += [(dataiku_dataset.main, dict(item, project_key=key)) for item in description["datasets"]]
    applied += [(dataiku_recipe.main, dict(item, project_key=key)) for item in description["recipes"]]
    applied += [(dataiku_scenario.main, dict(item, project_key=key)) for item in description["scenarios"]]
    applied += [(dataiku_connection.main, item) for item in objects["connections"]]
    applied += [(dataiku_code_env.main, item) for item in objects["code_envs"]]
    for main, params in applied:
        failed, outcome = run_module(main, capsys, design, check_mode=False, **params)
        assert not failed and outcome["changed"] is False, (params, outcome)
    assert design.writes() == []


def test_automation_read_gives_the_remapping_and_active_bundle(emulated, capsys):
    design, auto = emulated("design"), emulated("automation", "https://auto.example.com")
    deploy(design, auto, ["v1"], key="P", active="v1")
    auto.client().create_connection("pg_auto", "PostgreSQL", params={"host": "pg-auto"})
    settings = auto.client().get_project("P").get_settings()
    settings.get_raw().setdefault("bundleContainerSettings", {})["remapping"] = {
        "connections": [{"source": "pg_dev", "target": "pg_auto"}], "codeEnvs": []}
    settings.save()
    auto.forget_calls()
    result = export(capsys, auto, project_keys=["P"])
    assert result["node_type"] == "automation"
    assert result["projects"] == {"P": {"remapping": {"connections": {"pg_dev": "pg_auto"}, "code_envs": {}},
                                        "active_bundle_id": "v1"}}
    assert [c["name"] for c in result["environment_objects"]["connections"]] == ["pg_auto"]
    assert auto.writes() == []


def test_files_are_what_the_fleet_plugin_and_the_role_read(design, capsys):
    read = dict(export(capsys, design, project_keys=[sample_project.PROJECT_KEY]), item="dev")
    nodes = {"dev": {"url": design.url, "api_key": design.api_key, "validate_certs": True, "ca_path": None}}
    files = dict((f["path"], f["content"]) for f in adoption_files([read], nodes, "TEST_"))
    for text in files.values():
        assert SECRET not in text and design.api_key not in text
    fleet = yaml.safe_load(files["inventories/fleet.yml"])
    hosts = expand(fleet)
    assert [name for name, _groups, _vars in hosts] == ["dev-CHURN"]
    assert hosts[0][2]["dss_url"] == "{{ lookup('ansible.builtin.env', 'DSS_DEV_URL') | default('%s', true) }}" \
        % design.url
    assert '#   warehouse: secret_params: {password: "{{ vault_dev_warehouse_password }}"}' in \
        files["inventories/fleet.yml"]
    # Ansible's loader reads the project file back as it was read from DSS; code with Jinja stays text (!unsafe).
    loaded = DataLoader().load(files["projects/CHURN.yml"])
    nightly = [s for s in loaded["scenarios"] if s["id"] == "NIGHTLY"][0]
    assert nightly["script"] == JINJA_CODE and "!unsafe" in files["projects/CHURN.yml"]
    assert loaded["recipes"][0]["payload"] == sample_project.RECIPE_CODE
    assert any("secret parameter(s) password not adopted: fill in vault_dev_warehouse_password" in line
               for line in notes([read]))


def test_pending_files_are_missing_or_differ(tmp_path):
    files = [dict(path=p, content=c, sha1=hashlib.sha1(c.encode()).hexdigest())
             for p, c in (("same.yml", "a\n"), ("sub/other.yml", "b\n"), ("new.yml", "c\n"))]
    (tmp_path / "same.yml").write_text("a\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.yml").write_text("edited\n")
    assert [(f["path"], f["exists"]) for f in pending(files, str(tmp_path))] == [("sub/other.yml", True),
                                                                                 ("new.yml", False)]


@pytest.mark.parametrize("results, message", [
    ([], "exactly one design node among the nodes read (the source of the bundles), found 0: none"),
    ([{"item": "dev", "node_type": "design"}, {"item": "qa", "node_type": "design"}], "found 2: dev, qa"),
    ([{"item": "Dev", "node_type": "design"}], "lower case letters"),
    ([{"item": "dev", "failed": True, "msg": "boom"}], "The read of environment dev did not succeed: boom"),
])
def test_bad_reads_are_refused_with_a_message(results, message):
    with pytest.raises(DssError) as exc:
        adoption_files(results, {"dev": {"url": "https://x"}, "qa": {"url": "https://y"}})
    assert message in exc.value.msg


def test_sources_from_given_nodes_take_keys_from_the_environment(monkeypatch):
    monkeypatch.setenv("DSS_PROD_API_KEY", "prod-key")
    monkeypatch.delenv("DATAIKU_API_KEY", raising=False)
    assert adoption_sources({}, [], {"prod": {"url": "https://prod"}}) == {
        "nodes": {"prod": {"url": "https://prod", "api_key": "prod-key", "validate_certs": True, "ca_path": None}},
        "projects": None}
    with pytest.raises(DssError, match="dss_adopt_nodes.dev: no API key - set DSS_DEV_API_KEY"):
        adoption_sources({}, [], {"dev": {"url": "https://dev"}})
    with pytest.raises(DssError, match=r"unknown key\(s\) token; allowed: url, api_key"):
        adoption_sources({}, [], {"dev": {"url": "https://dev", "api_key": "k", "token": "t"}})
    with pytest.raises(DssError, match="No node to read"):
        adoption_sources({"h": {}}, ["h"], {})


def test_sources_from_the_inventory_first_host_per_environment():
    hostvars = {"dev-A": {"dss_env": "dev", "dss_url": "https://dev", "dss_api_key": "k", "dss_project_key": "A"},
                "dev-B": {"dss_env": "dev", "dss_url": "https://dev", "dss_api_key": "k", "dss_project_key": "B"},
                "other": {"ansible_connection": "local"}}
    sources = adoption_sources(hostvars, ["dev-A", "dev-B", "other"])
    assert sources["projects"] == ["A", "B"] and list(sources["nodes"]) == ["dev"]


def test_bad_project_key_is_refused_before_any_request(emulated, capsys):
    node = emulated("design")
    failed, result = run_module(dataiku_node_export_info.main, capsys, node, project_keys=["bad-key"])
    assert failed and "not a valid DSS project key" in result["msg"]
    assert node.calls() == []


def test_a_read_refused_by_dss_fails_naming_the_project_and_writes_nothing(emulated, capsys):
    node = emulated("design")
    for key in ("A", "B", "C"):
        node.client().create_project(key, key, "admin")
    node.faults.answer("GET", r"/projects/B/permissions$", 403, dss_error("Action forbidden"))
    node.forget_calls()
    failed, result = run_module(dataiku_node_export_info.main, capsys, node)
    assert failed and result["msg"].startswith("Failed to read project B on https://dss.example.com: ")
    assert "Action forbidden" in result["msg"] and "Traceback" not in result["msg"]
    assert node.writes() == []
