"""dataiku_project and dataiku_project_info through real ansible-playbook runs against emulator processes.

Every "nothing was written" claim is checked with the emulator's request counters (writes()) and state digest.
"""

# pylint: disable=redefined-outer-name
import os
import pathlib
import socket
import types

import pytest

from tests.support import landscape
from tests.support.playbook import run_cases, run_playbook, save_state_task, snapshot_steps, snapshot_task
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


# The scenarios below each start from a project of their own: they share ONE ansible-playbook run on one node (built
# once per session as a landscape), with snapshots of the node where a test compares two, the node's state saved
# where a test reads it through the official client. Their tasks are named after the scenario ("tags same"), so are
# their snapshots ("tags start", "after tags same").
UPDATED = {**FULL, "short_description": "Daily churn"}
DOOMED = {**FULL, "project_key": "GONE"}
GONE = dict(project_key="GONE", state="absent", clear_managed_datasets=True)
REPLACE_VARS = dict(project_key="VARS", variables={"standard": {"only": True}}, variables_mode="replace")
EXCLUSIVE_PERMS = dict(project_key="PERMS", permissions_exclusive=True,
                       permissions=[{"group": "readers", "read_project_content": True}])


def check_mode(task):
    return task | {"check_mode": True}


def shared_tasks(node, saved):
    """The tasks of the shared run, a snapshot (``snap``) only where a test compares two; ``saved``: the folder of
    the states saved by name."""
    def snap(name):
        return snapshot_task(name, node)

    def save(name):
        return save_state_task("save " + name, node, saved / name)

    return [
        project_task(node, "update seed", **FULL), snap("update start"),
        check_mode(project_task(node, "update check", **UPDATED)), snap("after update check"),
        project_task(node, "update project", **UPDATED), snap("after update project"),

        snap("tags start"), project_task(node, "tags same", project_key="TAGS", tags=["a", "b", "a"]),
        snap("after tags same"),
        project_task(node, "tags added", project_key="TAGS", tags=["c"], purge_tags=False), save("tags added"),
        project_task(node, "tags purged", project_key="TAGS", tags=["c", "z"]),

        project_task(node, "vars merge", project_key="VARS", variables={"standard": {"b": "y", "c": [1]}}),
        snap("after vars merge"), save("vars merged"),
        check_mode(project_task(node, "vars check", **REPLACE_VARS)), snap("after vars check"),
        project_task(node, "vars replace", **REPLACE_VARS), snap("after vars replace"),
        project_task(node, "vars again", **REPLACE_VARS) | {"diff": False}, snap("after vars again"),

        project_task(node, "perms merge", project_key="PERMS", permissions=[
            {"group": "readers", "write_project_content": True}]),
        snap("after perms merge"), save("perms merged"),
        check_mode(project_task(node, "perms check", **EXCLUSIVE_PERMS)), snap("after perms check"),
        project_task(node, "perms exclusive", **EXCLUSIVE_PERMS), save("perms exclusive"),
        project_task(node, "perms owner", project_key="PERMS", owner="carol"),

        project_task(node, "delete seed", **DOOMED), snap("delete start"),
        check_mode(project_task(node, "delete check", **GONE)), snap("after delete check"),
        project_task(node, "delete project", **GONE), snap("after delete project"),
        project_task(node, "delete again", **GONE) | {"diff": False}, snap("after delete again"),

        # No url nor api_key: the module reads DATAIKU_URL and DATAIKU_API_KEY (the run's environment).
        {"name": "env project", MODULE: {"project_key": "ENVP", "tags": ["from_env"]}},
        {"name": "env info", INFO: {"project_key": "ENVP"}}]


class DesignNode(landscape.NodesOnly):
    """A landscape (tests/support/landscape.py) of one design node: run_shared and run_refused build on it."""

    NODE_TYPES = {"dev": "design"}  # the pooled design node of the other landscapes ("dev"): no process of its own

    def __init__(self, workdir):
        super().__init__(workdir)
        self.built = {}

    @property
    def node(self):
        return self.nodes["dev"]

    def cached_paths(self):
        saved = os.path.join(self.workdir, "saved")  # the states saved during the run, if any
        return ["saved"] if os.path.isdir(saved) else []

    def restore_saved(self, name):
        """The node as the shared run left it at its task "save ``name``"."""
        built = self.built["node"]
        replace = {old: new for old, new in ((built["url"], self.node.url), (built["api_key"], self.node.api_key))
                   if old != new}
        self.node.restore(os.path.join(self.workdir, "saved", name), replace)


def run_shared(land):
    """The shared run on the landscape's node, the projects TAGS, VARS and PERMS seeded through the client first.
    Records the run, whether each seeded project exists, and the node's URL and API key."""
    node = land.node
    seeds = {"TAGS": seeded(node, "TAGS", tags=["b", "a"]),
             "VARS": seeded(node, "VARS", variables={"standard": {"a": 1, "b": "x"}, "local": {"env": "dev"}}),
             "PERMS": seeded(node, "PERMS", permissions=[
                 {"group": "readers", "readProjectContent": True},
                 {"group": "ops", "runScenarios": True, "readProjectContent": True}])}
    saved = pathlib.Path(land.workdir) / "saved"
    saved.mkdir()
    result = run_playbook(os.path.join(land.workdir, "run"), tasks=shared_tasks(node, saved), diff=True,
                          env={"DATAIKU_URL": node.url, "DATAIKU_API_KEY": node.api_key})
    return {"run": result, "seeds": seeds, "node": {"url": node.url, "api_key": node.api_key}}


# Built once per test session (shared by the xdist workers), restored for each test that reads the node.
SHARED = landscape.Kind("dataiku-project-shared-run", DesignNode, run_shared,
                        description="one design node after the shared run of test_dataiku_project.py")


@pytest.fixture
def shared(tmp_path, tmp_path_factory):
    """The node as the shared run left it (``shared.node``; ``shared.restore_saved(name)``: at a save task), the
    run's records in ``shared.built``."""
    require_emulator(real_node_or_none("design"))  # None (no real DSS named): the emulator's nodes
    return landscape.restored(SHARED, tmp_path / "land", tmp_path_factory)


@pytest.fixture
def shared_records(tmp_path_factory):
    """The shared run's records, for the tests that read no node."""
    require_emulator(real_node_or_none("design"))
    return landscape.records(SHARED, tmp_path_factory)


def test_update_one_field_check_diff_then_real(shared_records):
    check = real = shared_records["run"]
    assert check.task("update seed")["changed"] is True, check
    assert check.rc == 0, check
    assert check.snapshot("after update check") == check.snapshot("update start")
    assert diff_lines(check.output_of("update check")) == ['-    "short_description": "Weekly churn",',
                                                           '+    "short_description": "Daily churn",']
    predicted = check.task("update check")["result"]

    assert real.rc == 0, real
    done = real.task("update project")["result"]
    assert (done["changed"], done["diff"]) == (predicted["changed"], predicted["diff"]) == (True, predicted["diff"])
    assert diff_lines(real.output_of("update project")) == diff_lines(check.output_of("update check"))
    # one PUT of the metadata, nothing else
    assert real.snapshot("after update project")[1] == real.snapshot("update start")[1] + 1
    assert done["project"]["shortDesc"] == predicted["project"]["shortDesc"] == "Daily churn"


def test_tags_order_purge_and_add(shared):
    node, result, seeds = shared.node, shared.built["run"], shared.built["seeds"]
    assert seeds["TAGS"]
    same = added = purged = result
    # order and duplicates ignored
    assert same.task("tags same")["status"] == "ok" and same.snapshot("after tags same")[1] == same.snapshot(
        "tags start")[1]
    assert added.task("tags added")["changed"] is True
    assert purged.task("tags purged")["result"]["diff"]["after"]["tags"] == ["c", "z"]
    assert node.client().get_project("TAGS").get_metadata()["tags"] == ["c", "z"]
    shared.restore_saved("tags added")  # the node as the task "tags added" left it
    assert node.client().get_project("TAGS").get_metadata()["tags"] == ["b", "a", "c"]


def test_variables_merge_then_replace(shared):
    node, result, seeds = shared.node, shared.built["run"], shared.built["seeds"]
    assert seeds["VARS"]
    merge = check = replace = again = result
    assert merge.task("vars merge")["result"]["diff"] == {
        "before": {"project_key": "VARS", "variables": {"standard": {"b": "x"}}},
        "after": {"project_key": "VARS", "variables": {"standard": {"b": "y", "c": [1]}}}}
    project = node.client().get_project("VARS")

    assert check.task("vars check")["changed"] is True and check.snapshot("after vars check")[1] == check.snapshot(
        "after vars merge")[1]
    assert replace.task("vars replace")["result"]["diff"] == check.task("vars check")["result"]["diff"]
    assert project.get_variables() == {"standard": {"only": True}, "local": {"env": "dev"}}
    assert again.task("vars again")["status"] == "ok" and again.snapshot("after vars again")[1] == again.snapshot(
        "after vars replace")[1]
    shared.restore_saved("vars merged")  # the node as the merge left it
    assert project.get_variables() == {"standard": {"a": 1, "b": "y", "c": [1]}, "local": {"env": "dev"}}


def test_permissions_merge_then_exclusive_and_owner(shared):
    node, result, seeds = shared.node, shared.built["run"], shared.built["seeds"]
    assert seeds["PERMS"]
    merge = check = real = owner = result
    assert merge.task("perms merge")["changed"] is True

    assert check.snapshot("after perms check") == check.snapshot("after perms merge")
    diff = check.task("perms check")["result"]["diff"]
    assert {"group": "ops", "read_project_content": True, "run_scenarios": True} in diff["before"]["permissions"]
    assert diff["after"]["permissions"] == [{"group": "readers", "read_project_content": True}]
    assert real.task("perms exclusive")["result"]["diff"] == diff
    after_owner = node.client().get_project("PERMS").get_permissions()["permissions"]
    shared.restore_saved("perms exclusive")  # the node as the exclusive run left it
    perms = node.client().get_project("PERMS").get_permissions()
    assert perms["permissions"] == [{"group": "readers", "readProjectContent": True, "writeProjectContent": True}]

    assert owner.task("perms owner")["result"]["diff"]["after"] == {"project_key": "PERMS", "owner": "carol"}
    assert owner.task("perms owner")["result"]["project"]["ownerLogin"] == "carol"
    assert after_owner == perms["permissions"]
    shared.restore_saved("perms merged")  # the node as the merge left it
    perms = node.client().get_project("PERMS").get_permissions()["permissions"]
    assert perms == [{"group": "readers", "readProjectContent": True, "writeProjectContent": True},
                     {"group": "ops", "runScenarios": True, "readProjectContent": True}]


def test_delete_check_real_and_again(shared):
    node, result = shared.node, shared.built["run"]
    check = real = again = result
    assert check.task("delete seed")["changed"] is True, check
    assert check.task("delete check")["changed"] is True
    assert check.snapshot("after delete check") == check.snapshot("delete start")
    assert check.task("delete check")["result"]["diff"]["after"] == {}
    assert real.task("delete project")["result"]["diff"] == check.task("delete check")["result"]["diff"]
    assert real.task("delete project")["result"]["project"] == {}
    assert "GONE" not in node.client().list_project_keys()
    assert "DELETE /projects/GONE" in real.stats_at("after delete project")["calls"]
    # The emulator records the deletion options in the (finished) future's payload.
    deletions = [f["payload"] for f in node.client().list_futures() if f.get("payload", {}).get("projectKey") == "GONE"]
    assert deletions[-1]["options"] == {"clearManagedDatasets": True, "clearOutputManagedFolders": False,
                                        "clearJobAndScenarioLogs": True, "clearManagedKnowledgeBanks": False}
    assert again.task("delete again")["status"] == "ok"
    assert again.snapshot("after delete again") == again.snapshot("after delete project")


INVALID_KEYS = ["my-project", "A#B"]


def run_refused(land):
    """The cases refused before any request, in one ansible-playbook run (one case per host): invalid project keys,
    a URL without scheme, an unreachable URL; then the cases the node refuses, in another: a wrong API key, the wrong
    node type. Records each run with the requests (writes) the node had received and whether its digest stayed."""
    node = land.node
    digest = node.digest()
    unreachable, bare = closed_port_url(), node.url.split("://", 1)[1]
    cases = {"key_%d" % i: dict(conn(node), project_key=key) for i, key in enumerate(INVALID_KEYS)}
    cases["unreachable"] = dict(url=unreachable, api_key=node.api_key, project_key="P")
    cases["no_scheme"] = dict(url=bare, api_key=node.api_key, project_key="P")
    before = run_cases(os.path.join(land.workdir, "refused"), "project", MODULE, cases)
    records = {"before": before, "requests": node.stats()["requests"],
               "before_digest_unchanged": node.digest() == digest,
               "unreachable": unreachable, "bare": bare, "node": {"url": node.url, "api_key": node.api_key}}
    digest = node.digest()
    wrong = "wrong-key-0f3c9a7d51e24b68"
    cases = {"wrong_key": dict(url=node.url, api_key=wrong, project_key="P"),
             "node_type": dict(conn(node), project_key="P", node_type="automation")}
    by_node = run_cases(os.path.join(land.workdir, "refused-by-node"), "project", MODULE, cases)
    return dict(records, by_node=by_node, writes=node.writes(), by_node_digest_unchanged=node.digest() == digest,
                wrong=wrong)


# Built once per test session, like SHARED: the tests read its records only.
REFUSED = landscape.Kind("dataiku-project-refused", DesignNode, run_refused,
                         description="one design node after the refused cases of test_dataiku_project.py")


@pytest.fixture
def refused(tmp_path_factory):
    """REFUSED's records, and the node of its build (``url``, ``api_key``) as ``refused["built_on"]``."""
    require_emulator(real_node_or_none("design"))
    records = landscape.records(REFUSED, tmp_path_factory)
    return dict(records, built_on=types.SimpleNamespace(**records["node"]))


@pytest.fixture
def refused_before_any_request(refused):
    """(result, node, requests the node received, digest unchanged, the unreachable URL, the URL without scheme)."""
    return (refused["before"], refused["built_on"], refused["requests"], refused["before_digest_unchanged"],
            refused["unreachable"], refused["bare"])


@pytest.fixture
def refused_by_the_node(refused):
    """(result, node, writes, digest unchanged, the wrong key)."""
    return (refused["by_node"], refused["built_on"], refused["writes"], refused["by_node_digest_unchanged"],
            refused["wrong"])


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


def test_env_var_fallbacks(shared_records):
    result, api_key = shared_records["run"], shared_records["node"]["api_key"]
    assert result.rc == 0, result
    assert result.task("env project")["changed"] is True
    assert result.task("env info")["result"]["projects"][0]["tags"] == ["from_env"]
    assert api_key not in result.output


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
