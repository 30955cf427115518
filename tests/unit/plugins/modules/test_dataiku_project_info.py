"""dataiku_project_info against an emulated node in-process: one project, all projects, missing project, validation,
and include (the same reads as the deprecated info modules, which these tests compare it with)."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.modules import (
    dataiku_bundle_info, dataiku_connection_remap_info, dataiku_project_content_info, dataiku_project_git_info,
    dataiku_project_info)
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    deploy, emulated, export, reads, run_module)


def run(capsys, node, **params):
    return run_module(dataiku_project_info.main, capsys, node, **params)[1]


def test_all_projects_in_dss_order(emulated, capsys):
    node = emulated("design")
    for key in ("B", "A"):
        node.client().create_project(key, key, "admin")
    node.forget_calls()
    result = run(capsys, node, check_mode=True)
    assert result["changed"] is False
    assert [p["projectKey"] for p in result["projects"]] == ["B", "A"]
    assert "exists" not in result
    assert reads(node) == ["GET /projects"]


def test_one_project_with_its_active_bundle(emulated, capsys):
    design, auto = emulated("design"), emulated("automation", "https://auto.example.com")
    deploy(design, auto, ["v2", "v3"], key="P", active="v3")
    result = run(capsys, auto, project_key="P")
    assert result["exists"] is True
    assert result["projects"][0]["active_bundle_id"] == "v3"
    assert result["projects"][0]["activeBundleState"]["bundleId"] == "v3"


def test_missing_project_is_empty_not_an_error(emulated, capsys):
    node = emulated("design")
    node.client().create_project("OTHER", "OTHER", "admin")
    result = run(capsys, node, project_key="P")
    assert result == dict(result, changed=False, projects=[], exists=False)
    assert "failed" not in result


def test_invalid_key_fails_before_any_request(emulated, capsys):
    node = emulated("design")
    result = run(capsys, node, project_key="my-project")
    assert result["failed"] and "not a valid DSS project key" in result["msg"]
    assert node.calls() == []


# -- include: the same reads as the deprecated info modules, each under its own key ---------------------------------

def test_include_bundles_git_content_on_a_design_node(emulated, capsys):
    design = emulated("design")
    export(design, "v1", release_notes="first")
    design.client().get_project("CHURN").create_dataset("customers", "PostgreSQL", params={"connection": "pg"})
    writes = design.writes()
    result = run(capsys, design, check_mode=True, project_key="CHURN", include=["bundles", "git", "content"])
    assert result["changed"] is False and "failed" not in result, result
    assert [b["bundle_id"] for b in result["bundles"]] == ["v1"] and result["bundles"][0]["release_notes"] == "first"
    assert [d["name"] for d in result["content"]["datasets"]] == ["customers"]
    assert result["git"]["branch"] and result["git"]["head"] and result["git"]["remote"] is None
    assert "remapping" not in result and design.writes() == writes
    bundles = run_module(dataiku_bundle_info.main, capsys, design, check_mode=True, project_key="CHURN")[1]
    assert bundles["bundles"] == result["bundles"]
    git = run_module(dataiku_project_git_info.main, capsys, design, check_mode=True, project_key="CHURN")[1]
    assert {k: git[k] for k in result["git"]} == result["git"]
    content = run_module(dataiku_project_content_info.main, capsys, design, check_mode=True, project_key="CHURN")[1]
    assert {k: content[k] for k in result["content"]} == result["content"]


def test_include_bundles_and_remapping_on_an_automation_node(emulated, capsys):
    design, auto = emulated("design"), emulated("automation", "https://auto.example.com")
    deploy(design, auto, ["v1", "v2"], key="P", active="v2")
    auto.forget_calls()
    result = run(capsys, auto, project_key="P", include=["bundles", "remapping"], bundle_id="v1")
    assert "failed" not in result, result
    assert [(b["bundle_id"], b["active"]) for b in result["bundles"]] == [("v1", False)]
    assert result["projects"][0]["active_bundle_id"] == "v2"
    remap = run_module(dataiku_connection_remap_info.main, capsys, auto, project_key="P", bundle_id="v1")[1]
    assert {k: remap[k] for k in result["remapping"]} == result["remapping"] and result["remapping"]["ok"] is True
    assert auto.writes() == []


def test_include_on_a_missing_project_reads_nothing_more(emulated, capsys):
    node = emulated("design")
    result = run(capsys, node, project_key="P", include=["bundles", "git", "content"])
    assert result["exists"] is False and not set(result) & {"bundles", "git", "content"}
    assert reads(node) == ["GET /projects"]


def test_include_bad_input_fails_before_any_request(emulated, capsys):
    node = emulated("design")
    cases = [
        (dict(include=["git"]), "include needs project_key: it reads one project (got include=git)."),
        (dict(project_key="P", bundle_id="v1"), "bundle_id is used with include bundles or remapping only."),
        (dict(project_key="P", include=["git"], remote_name="a..b"), "remote_name 'a..b' is not a valid git name"),
    ]
    for params, message in cases:
        result = run(capsys, node, **params)
        assert result["failed"] and message in result["msg"], result
    result = run(capsys, node, project_key="P", include=["everything"])
    assert result["failed"] and "value of include must be one or more of: bundles, git, content, remapping" in \
        result["msg"], result
    assert node.calls() == []


def test_include_remapping_needs_an_automation_node(emulated, capsys):
    node = emulated("design")
    node.client().create_project("P", "P", "admin")
    writes = node.writes()
    result = run(capsys, node, project_key="P", include=["remapping"])
    assert result["msg"] == ("Reading the bundle activation remapping (include remapping) needs a AUTOMATION node, "
                             "but %s is a DESIGN node." % node.url)
    assert node.writes() == writes
