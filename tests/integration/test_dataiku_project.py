"""dataiku_project and dataiku_project_info through real ansible-playbook runs against emulator processes.

Every "nothing was written" claim is checked with the emulator's request counters (writes()) and state digest.
"""

# pylint: disable=redefined-outer-name
import socket

import pytest

from tests.support.playbook import run_cases, save_state_task, snapshot_steps
from tests.support.real_node import real_node_or_none, require_emulator

MODULE = "dataiku_gitops.dss.dataiku_project"
INFO = "dataiku_gitops.dss.dataiku_project_info"


def conn(node):
    return {"url": node.url, "api_key": node.api_key}


def project_task(node, title="project", **args):
    return {"name": title, MODULE: dict(conn(node), **args)}


def info_task(node, title="info", **args):
    return {"name": title, INFO: dict(conn(node), **args)}


def diff_lines(output):
    """The changed lines of the unified diffs ansible-playbook printed (without the ---/+++ headers)."""
    return [line for line in output.splitlines()
            if line[:1] in ("+", "-") and not line.startswith(("---", "+++")) and line.strip() not in ("-", "+")]


def assert_clean_failure(result, node, *fragments, host=None):
    """A failed task (the last one, or that of the case ``host`` of a run_cases run) with a short message: the
    fragments present, no traceback, the API key nowhere in the run's output."""
    assert result.rc != 0, result
    task = result.tasks[-1] if host is None else result.task("project", host=host)
    assert task["status"] == "failed", result
    msg = task["result"]["msg"]
    for fragment in fragments:
        assert fragment in msg, msg
    assert "Traceback" not in msg and "File \"/" not in msg, msg
    assert node.api_key not in result.output
    return msg


@pytest.fixture
def emulated_design(design_node):
    require_emulator(design_node)
    return design_node


def module_design_node(node_pool):
    """For a module-scoped fixture: the design node of design_node, checked out (reset) for it."""
    node = real_node_or_none("design") or node_pool.checkout("design")
    require_emulator(node)
    return node


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d" % port


def seeded(node, key, tags=None, variables=None, permissions=None):
    """A project as a first run of the module leaves it, created through the client (set-up without an
    ansible-playbook start); ``permissions`` in DSS's own form. True once the project exists."""
    project = node.client().create_project(key, key, "admin")
    if tags is not None:
        metadata = project.get_metadata()
        metadata["tags"] = tags
        project.set_metadata(metadata)
    if variables is not None:
        project.set_variables(variables)
    if permissions is not None:
        current = project.get_permissions()
        current["permissions"] = permissions
        project.set_permissions(current)
    return key in node.client().list_project_keys()


FULL = dict(project_key="CHURN", name="Churn model", description="Long text", short_description="Weekly churn",
            tags=["ml", "churn"], variables={"standard": {"threshold": 0.7}, "local": {"schema": "dev"}},
            permissions=[{"group": "readers", "read_project_content": True, "read_dashboards": True}])


def test_create_check_then_real_then_idempotent(emulated_design, playbook):
    """The plan, the real run and the re-run in one run, snapshots between them."""
    node = emulated_design
    check = real = again = playbook(tasks=snapshot_steps(
        node, project_task(node, "check", **FULL) | {"check_mode": True}, project_task(node, **FULL),
        project_task(node, "again", **FULL)), diff=True)
    assert check.rc == 0, check
    task = check.task("check")
    assert task["status"] == "changed"
    assert check.snapshot("after check") == check.snapshot("start") and check.snapshot("start")[1] == 0
    assert task["result"]["diff"]["before"] == {}
    after = task["result"]["diff"]["after"]
    assert after["project_key"] == "CHURN" and after["name"] == "Churn model" and after["tags"] == ["churn", "ml"]
    assert '"project_key": "CHURN"' in check.output_of("check")  # the diff is printed
    assert task["result"]["project"]["projectKey"] == "CHURN"

    assert real.rc == 0, real
    created = real.task("project")
    assert created["changed"] is True
    assert created["result"]["diff"] == task["result"]["diff"]
    assert created["result"]["project"]["name"] == "Churn model"
    assert created["result"]["project"]["active_bundle_id"] is None
    project = node.client().get_project("CHURN")
    assert project.get_variables() == {"standard": {"threshold": 0.7}, "local": {"schema": "dev"}}
    assert project.get_metadata()["shortDesc"] == "Weekly churn"
    assert sorted(project.get_metadata()["tags"]) == ["churn", "ml"]
    perms = project.get_permissions()["permissions"]
    assert perms == [{"group": "readers", "readProjectContent": True, "readDashboards": True}]

    assert again.rc == 0, again
    assert again.task("again")["status"] == "ok"
    assert again.snapshot("after again") == again.snapshot("after project")
    assert diff_lines(again.output_of("again")) == []


def test_update_one_field_check_diff_then_real(emulated_design, playbook):
    node = emulated_design
    changed = {**FULL, "short_description": "Daily churn"}
    tasks = [project_task(node, "seed", **FULL)] + snapshot_steps(node, project_task(node, "check", **changed) | {
        "check_mode": True}, project_task(node, **changed))
    check = real = playbook(tasks=tasks, diff=True)
    assert check.task("seed")["changed"] is True, check
    assert check.rc == 0, check
    assert check.snapshot("after check") == check.snapshot("start")
    assert diff_lines(check.output_of("check")) == ['-    "short_description": "Weekly churn",',
                                                    '+    "short_description": "Daily churn",']
    predicted = check.task("check")["result"]

    assert real.rc == 0, real
    done = real.task("project")["result"]
    assert (done["changed"], done["diff"]) == (predicted["changed"], predicted["diff"]) == (True, predicted["diff"])
    assert diff_lines(real.output_of("project")) == diff_lines(check.output_of("check"))
    assert real.snapshot("after project")[1] == real.snapshot("start")[1] + 1  # one PUT of the metadata, nothing else
    assert done["project"]["shortDesc"] == predicted["project"]["shortDesc"] == "Daily churn"


def test_tags_order_purge_and_add(emulated_design, playbook, tmp_path):
    node = emulated_design
    assert seeded(node, "TAGS", tags=["b", "a"])
    same = added = purged = playbook(tasks=snapshot_steps(
        node, project_task(node, "same", project_key="TAGS", tags=["a", "b", "a"]),
        project_task(node, "added", project_key="TAGS", tags=["c"], purge_tags=False),
        save_state_task("save added", node, tmp_path / "added"),
        project_task(node, "purged", project_key="TAGS", tags=["c", "z"])), diff=True)
    # order and duplicates ignored
    assert same.task("same")["status"] == "ok" and same.snapshot("after same")[1] == same.snapshot("start")[1]
    assert added.task("added")["changed"] is True
    assert purged.task("purged")["result"]["diff"]["after"]["tags"] == ["c", "z"]
    assert node.client().get_project("TAGS").get_metadata()["tags"] == ["c", "z"]
    node.restore(tmp_path / "added")  # the node as the task "added" left it
    assert node.client().get_project("TAGS").get_metadata()["tags"] == ["b", "a", "c"]


def test_variables_merge_then_replace(emulated_design, playbook, tmp_path):
    node = emulated_design
    start = {"standard": {"a": 1, "b": "x"}, "local": {"env": "dev"}}
    assert seeded(node, "VARS", variables=start)
    replace_args = dict(project_key="VARS", variables={"standard": {"only": True}}, variables_mode="replace")
    merge = check = replace = again = playbook(tasks=snapshot_steps(
        node, project_task(node, "merge", project_key="VARS", variables={"standard": {"b": "y", "c": [1]}}),
        save_state_task("save merged", node, tmp_path / "merged"),
        project_task(node, "check", **replace_args) | {"check_mode": True}, project_task(node, "replace", **replace_args),
        project_task(node, "again", **replace_args) | {"diff": False}), diff=True)
    assert merge.task("merge")["result"]["diff"] == {
        "before": {"project_key": "VARS", "variables": {"standard": {"b": "x"}}},
        "after": {"project_key": "VARS", "variables": {"standard": {"b": "y", "c": [1]}}}}
    project = node.client().get_project("VARS")

    assert check.task("check")["changed"] is True and check.snapshot("after check")[1] == check.snapshot("after merge")[1]
    assert replace.task("replace")["result"]["diff"] == check.task("check")["result"]["diff"]
    assert project.get_variables() == {"standard": {"only": True}, "local": {"env": "dev"}}
    assert again.task("again")["status"] == "ok" and again.snapshot("after again")[1] == again.snapshot("after replace")[1]
    node.restore(tmp_path / "merged")  # the node as the merge left it
    assert project.get_variables() == {"standard": {"a": 1, "b": "y", "c": [1]}, "local": {"env": "dev"}}


def test_permissions_merge_then_exclusive_and_owner(emulated_design, playbook, tmp_path):
    node = emulated_design
    assert seeded(node, "PERMS", permissions=[{"group": "readers", "readProjectContent": True},
                                              {"group": "ops", "runScenarios": True, "readProjectContent": True}])
    exclusive = dict(project_key="PERMS", permissions_exclusive=True,
                     permissions=[{"group": "readers", "read_project_content": True}])
    merge = check = real = owner = playbook(tasks=snapshot_steps(
        node, project_task(node, "merge", project_key="PERMS", permissions=[
            {"group": "readers", "write_project_content": True}]),
        save_state_task("save merged", node, tmp_path / "merged"),
        project_task(node, "check", **exclusive) | {"check_mode": True}, project_task(node, "exclusive", **exclusive),
        save_state_task("save exclusive", node, tmp_path / "exclusive"),
        project_task(node, "owner", project_key="PERMS", owner="carol")), diff=True)
    assert merge.task("merge")["changed"] is True

    assert check.snapshot("after check") == check.snapshot("after merge")
    diff = check.task("check")["result"]["diff"]
    assert {"group": "ops", "read_project_content": True, "run_scenarios": True} in diff["before"]["permissions"]
    assert diff["after"]["permissions"] == [{"group": "readers", "read_project_content": True}]
    assert real.task("exclusive")["result"]["diff"] == diff
    after_owner = node.client().get_project("PERMS").get_permissions()["permissions"]
    node.restore(tmp_path / "exclusive")  # the node as the exclusive run left it
    perms = node.client().get_project("PERMS").get_permissions()
    assert perms["permissions"] == [{"group": "readers", "readProjectContent": True, "writeProjectContent": True}]

    assert owner.task("owner")["result"]["diff"]["after"] == {"project_key": "PERMS", "owner": "carol"}
    assert owner.task("owner")["result"]["project"]["ownerLogin"] == "carol"
    assert after_owner == perms["permissions"]
    node.restore(tmp_path / "merged")  # the node as the merge left it
    perms = node.client().get_project("PERMS").get_permissions()["permissions"]
    assert perms == [{"group": "readers", "readProjectContent": True, "writeProjectContent": True},
                     {"group": "ops", "runScenarios": True, "readProjectContent": True}]


def test_delete_check_real_and_again(emulated_design, playbook):
    node = emulated_design
    absent = dict(project_key="CHURN", state="absent", clear_managed_datasets=True)
    tasks = [project_task(node, "seed", **FULL)] + snapshot_steps(
        node, project_task(node, "check", **absent) | {"check_mode": True}, project_task(node, **absent),
        project_task(node, "again", **absent) | {"diff": False})
    check = real = again = playbook(tasks=tasks, diff=True)
    assert check.task("seed")["changed"] is True, check
    assert check.task("check")["changed"] is True
    assert check.snapshot("after check") == check.snapshot("start")
    assert check.task("check")["result"]["diff"]["after"] == {}
    assert real.task("project")["result"]["diff"] == check.task("check")["result"]["diff"]
    assert real.task("project")["result"]["project"] == {}
    assert "CHURN" not in node.client().list_project_keys()
    assert "DELETE /projects/CHURN" in node.stats()["calls"]
    # The emulator records the deletion options in the (finished) future's payload.
    deletions = [f["payload"] for f in node.client().list_futures() if f.get("payload", {}).get("projectKey") == "CHURN"]
    assert deletions[-1]["options"] == {"clearManagedDatasets": True, "clearOutputManagedFolders": False,
                                        "clearJobAndScenarioLogs": True, "clearManagedKnowledgeBanks": False}
    assert again.task("again")["status"] == "ok"
    assert again.snapshot("after again") == again.snapshot("after project")


INVALID_KEYS = ["my-project", "A#B"]


@pytest.fixture(scope="module")
def refused_before_any_request(node_pool, tmp_path_factory):
    """The cases refused before any request, in one ansible-playbook run (one case per host): invalid project keys,
    a URL without scheme, an unreachable URL. Gives (result, node, requests the node received, digest unchanged)."""
    node = module_design_node(node_pool)
    digest = node.digest()
    unreachable, bare = closed_port_url(), node.url.split("://", 1)[1]
    cases = {"key_%d" % i: dict(conn(node), project_key=key) for i, key in enumerate(INVALID_KEYS)}
    cases["unreachable"] = dict(url=unreachable, api_key=node.api_key, project_key="P")
    cases["no_scheme"] = dict(url=bare, api_key=node.api_key, project_key="P")
    result = run_cases(tmp_path_factory.mktemp("refused"), "project", MODULE, cases)
    return result, node, node.stats()["requests"], node.digest() == digest, unreachable, bare


@pytest.fixture(scope="module")
def refused_by_the_node(node_pool, tmp_path_factory):
    """The cases the node refuses, in one run: a wrong API key, the wrong node type. Gives (result, node, writes,
    digest unchanged, the wrong key)."""
    node = module_design_node(node_pool)
    digest = node.digest()
    wrong = "wrong-key-0f3c9a7d51e24b68"
    cases = {"wrong_key": dict(url=node.url, api_key=wrong, project_key="P"),
             "node_type": dict(conn(node), project_key="P", node_type="automation")}
    result = run_cases(tmp_path_factory.mktemp("refused-by-node"), "project", MODULE, cases)
    return result, node, node.writes(), node.digest() == digest, wrong


@pytest.mark.parametrize("index", range(len(INVALID_KEYS)), ids=INVALID_KEYS)
def test_invalid_project_key(refused_before_any_request, index):
    result, node, requests, digest_unchanged = refused_before_any_request[:4]
    assert_clean_failure(result, node, "not a valid DSS project key", repr(INVALID_KEYS[index]), host="key_%d" % index)
    assert requests.get("GET", 0) == 0  # rejected before any request (no case of the run sent one)
    assert digest_unchanged


def test_wrong_api_key(refused_by_the_node):
    result, node, _writes, digest_unchanged, wrong = refused_by_the_node
    assert_clean_failure(result, node, "Failed to read the instance info on %s" % node.url, host="wrong_key")
    assert wrong not in result.output
    assert digest_unchanged


def test_unreachable_url(refused_before_any_request):
    result, node, _requests, _digest, url = refused_before_any_request[:5]
    assert_clean_failure(result, node, "Could not connect to DSS at %s" % url, "refused", host="unreachable")


def test_url_without_scheme(refused_before_any_request):
    result, node, requests, _digest, _url, bare = refused_before_any_request
    assert_clean_failure(result, node, "http:// or https://", bare, host="no_scheme")
    assert requests.get("GET", 0) == 0


def test_wrong_node_type(refused_by_the_node, emulated_design, playbook):
    result, node, writes, digest_unchanged, _wrong = refused_by_the_node
    assert_clean_failure(result, node, "AUTOMATION", "DESIGN", host="node_type")
    assert writes == 0 and digest_unchanged
    node = emulated_design
    info = playbook(tasks=[info_task(node, node_type="automation")])
    assert_clean_failure(info, node, "AUTOMATION", "DESIGN")


def test_env_var_fallbacks(emulated_design, playbook):
    node = emulated_design
    env = {"DATAIKU_URL": node.url, "DATAIKU_API_KEY": node.api_key}
    result = playbook(tasks=[{"name": "project", MODULE: {"project_key": "ENVP", "tags": ["from_env"]}},
                             {"name": "info", INFO: {"project_key": "ENVP"}}], env=env)
    assert result.rc == 0, result
    assert result.task("project")["changed"] is True
    assert result.task("info")["result"]["projects"][0]["tags"] == ["from_env"]
    assert node.api_key not in result.output


def test_module_defaults_action_group(emulated_design, playbook):
    node = emulated_design
    play = [{"name": "defaults", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/dataiku_gitops.dss.dss": conn(node)},
             "tasks": [{"name": "project", MODULE: {"project_key": "GRP", "name": "Grouped"}},
                       {"name": "info", INFO: {"project_key": "GRP"}},
                       {"name": "missing", INFO: {"project_key": "NOPE"}},
                       {"name": "all", INFO: {}}]}]
    result = playbook(playbook=play)
    assert result.rc == 0, result
    assert result.task("project")["changed"] is True
    info = result.task("info")["result"]
    assert info["changed"] is False and info["exists"] is True
    assert info["projects"][0]["name"] == "Grouped" and info["projects"][0]["active_bundle_id"] is None
    missing = result.task("missing")["result"]
    assert (missing["exists"], missing["projects"]) == (False, [])
    assert [p["projectKey"] for p in result.task("all")["result"]["projects"]] == ["GRP"]
    assert node.api_key not in result.output


def test_info_shows_the_active_bundle_on_automation(design_node, automation_node, playbook, tmp_path):
    require_emulator(automation_node)
    design = design_node.client()
    design.create_project("SHIP", "Ship", "admin")
    design.get_project("SHIP").export_bundle("v1")
    archive = str(tmp_path / "v1.zip")
    design.get_project("SHIP").download_exported_bundle_archive_to_file("v1", archive)
    auto = automation_node.client()
    with open(archive, "rb") as fp:
        auto.create_project_from_bundle_archive(fp)
    auto.get_project("SHIP").activate_bundle("v1")

    result = playbook(tasks=[info_task(automation_node, project_key="SHIP"),
                             project_task(automation_node, title="local vars", project_key="SHIP",
                                          variables={"local": {"schema": "prod"}})])
    assert result.rc == 0, result
    item = result.task("info")["result"]["projects"][0]
    assert item["active_bundle_id"] == "v1"
    assert item["activeBundleState"]["bundleId"] == "v1"
    assert result.task("local vars")["result"]["project"]["active_bundle_id"] == "v1"
    assert auto.get_project("SHIP").get_variables()["local"] == {"schema": "prod"}
