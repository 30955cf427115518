"""Retries through a fault-injecting proxy (tests/support/fault_proxy.py) in front of emulator nodes.

Reads are retried by the transport (urllib3 Retry on the client's session). A write is never sent again blindly:
after a failure in transit the module re-reads, so a write that reached DSS but whose answer was lost ("lost") is
sent once, and a write that never arrived ("reset", "503") is sent again. The proxy's ``matched`` counter says how
many times the write itself was sent; the emulator's state says what happened.
"""

# pylint: disable=redefined-outer-name
from contextlib import ExitStack

import pytest

from tests.support import sample_project as sample
from tests.support.fault_proxy import FaultProxy
from tests.support.playbook import run_cases, run_playbook, snapshot_task
from tests.support.real_node import real_node_or_none, require_emulator

KEY = "CHURN"
BUNDLE_ID = "v1"
PROJECT = "dataiku_gitops.dss.dataiku_project"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
REMAP = "dataiku_gitops.dss.dataiku_connection_remap"
SCENARIO_RUN = "dataiku_gitops.dss.dataiku_scenario_run"
DEPLOY = "dataiku_gitops.dss.dataiku_bundle_deploy"
CERTIFY = "dataiku_gitops.dss.dataiku_bundle_certify"
API = "/dip/publicapi"


def _through(proxy, node):
    return {"url": proxy.url, "api_key": node.api_key}


def _cases_through_proxies(node, proxies, workdir, task_name, module, options):
    """``run_cases`` with one case per fault kind, each through a proxy of its own: ``proxies`` maps a kind to its
    (unstarted) FaultProxy, ``options(kind)`` gives the case's module options. The proxies are stopped after the run,
    or when one fails to start. Gives (result, {kind: proxy stats})."""
    with ExitStack() as stack:
        started = {kind: stack.enter_context(proxy) for kind, proxy in proxies.items()}
        cases = {kind: dict(_through(proxy, node), **options(kind)) for kind, proxy in started.items()}
        result = run_cases(workdir, task_name, module, cases)
        return result, {kind: proxy.stats() for kind, proxy in started.items()}


def _archive(design_node, key, folder):
    """A bundle archive of a small project ``key``, exported through the official client."""
    project = design_node.client().create_project(key, key.title(), "admin")
    project.create_dataset("customers", "Filesystem", params={"connection": "filesystem_managed", "path": "c"})
    project.export_bundle(BUNDLE_ID)
    path = folder / ("%s-%s.zip" % (key, BUNDLE_ID))
    project.download_exported_bundle_archive_to_file(BUNDLE_ID, str(path))
    return str(path)


def _then_again(task, node, again="again"):
    """``task``, then the same task named ``again``, each followed by a snapshot of ``node`` ("after <name>")."""
    return [task, snapshot_task("after " + task["name"], node), dict(task, name=again),
            snapshot_task("after " + again, node)]


def _active(node, key=KEY):
    return (node.client().get_project(key).get_summary().get("activeBundleState") or {}).get("bundleId")


def test_reads_are_retried_after_503_resets_and_lost_answers(automation_node, fault_proxy, playbook):
    """The run and its re-run in one ansible-playbook run, snapshots of the node between them (no module start)."""
    require_emulator(automation_node)
    proxy = fault_proxy(automation_node.url, match="^GET ", nth=(1, 2, 3, 5), kinds=("503", "reset", "lost"), seed=7)
    task = {"name": "project", PROJECT: dict(_through(proxy, automation_node), project_key=KEY, description="d")}
    result = again = playbook(tasks=_then_again(task, automation_node))
    assert result.rc == 0, result
    assert result.task("project")["changed"]
    stats = proxy.stats()  # the faults are the first run's: its 5th read is the last one faulted
    assert len(stats["faulted"]) == 4 and all(f[1] == "GET" for f in stats["faulted"]), stats
    assert automation_node.client().get_project(KEY).get_metadata()["description"] == "d"
    assert again.rc == 0 and not again.task("again")["changed"], again
    assert again.snapshot("after again") == again.snapshot("after project")


def test_without_retries_one_503_fails_with_one_clear_line(automation_node, fault_proxy, playbook):
    require_emulator(automation_node)
    digest = automation_node.digest()
    proxy = fault_proxy(automation_node.url, nth=(1,), kinds=("503",))
    task = {"name": "project", PROJECT: dict(_through(proxy, automation_node), project_key=KEY, retries=0)}
    result = playbook(tasks=[task])
    msg = result.task("project")["result"]["msg"]
    assert result.rc != 0 and msg.startswith("Failed to read the instance info on %s: " % proxy.url), msg
    assert "503 Service Unavailable" in msg and "\n" not in msg and "Traceback" not in msg
    assert automation_node.digest() == digest and automation_node.writes() == 0


CREATE_FAULTS = [("lost", 1), ("reset", 2), ("503", 2)]


@pytest.fixture(scope="module")
def failed_creates(node_pool, tmp_path_factory):
    """One ansible-playbook run, one host per fault kind: each creates a project of its own (CHURN_LOST...) through a
    proxy of its own that faults the first create it forwards. Gives (result, {kind: proxy stats}, project keys)."""
    node = real_node_or_none("automation") or node_pool.checkout("automation")
    require_emulator(node)
    proxies = {kind: FaultProxy(node.url, match="^POST %s/projects/$" % API, nth=(1,), kinds=(kind,))
               for kind, _sends in CREATE_FAULTS}
    result, stats = _cases_through_proxies(node, proxies, tmp_path_factory.mktemp("creates"), "project", PROJECT,
                                           lambda kind: {"project_key": "%s_%s" % (KEY, kind.upper())})
    return result, stats, node.client().list_project_keys()


@pytest.mark.parametrize("kind, sends", CREATE_FAULTS)
def test_a_failed_create_is_resent_only_if_it_did_not_happen(failed_creates, kind, sends):
    result, stats, keys = failed_creates
    assert result.rc == 0 and result.task("project", host=kind)["changed"], result
    assert stats[kind]["matched"] == sends
    # Each case's project exists once, and nothing else: no create of any case made a second project.
    assert "%s_%s" % (KEY, kind.upper()) in keys
    assert sorted(keys) == sorted("%s_%s" % (KEY, k.upper()) for k, _sends in CREATE_FAULTS)


DEPLOYED = {"lost": KEY + "_LOST", "refused": KEY + "_REFUSED", "remap": KEY + "_REMAP"}


@pytest.fixture(scope="module")
def deployments(node_pool, tmp_path_factory):
    """ONE run, each case with a project and a proxy of its own, one after the other: on the design node, the export
    of CHURN whose answer is lost; on the automation node, the deployment of CHURN_LOST whose import and activation
    answers are lost, and its re-run; the deployment of CHURN_REFUSED whose activation a proxy refuses (503);
    CHURN_REMAP imported straight to the node, then its remap whose settings save answer is lost, and the remap's
    re-run. Snapshots of the automation node after each step. Gives a dict: result, stats ({case: proxy stats}),
    active ({case: active bundle after the run}), exported (CHURN's exported bundle ids after the run)."""
    design = real_node_or_none("design") or node_pool.checkout("design")
    auto = real_node_or_none("automation") or node_pool.checkout("automation")
    require_emulator(auto)
    folder = tmp_path_factory.mktemp("deployments")
    archives = {case: _archive(design, key, folder) for case, key in DEPLOYED.items()}
    auto.client().create_connection("fs_prod", "Filesystem", params={"root": "/data/prod"})
    design.client().create_project(KEY, "Churn", "admin")
    plans = {
        "export": dict(match="^PUT %s/projects/%s/bundles/exported/" % (API, KEY), nth=(1,), kinds=("lost",)),
        "lost": dict(match="^POST %s/(projectsFromBundle/|projects/%s/bundles/imported/%s/actions/activate)" % (
            API, DEPLOYED["lost"], BUNDLE_ID), nth=(1, 2), kinds=("lost",)),
        "refused": dict(match="actions/activate$", nth=(1,), kinds=("503",)),
        "remap": dict(match="^PUT %s/projects/%s/settings" % (API, DEPLOYED["remap"]), nth=(1,), kinds=("lost",))}
    with ExitStack() as stack:
        proxies = {case: stack.enter_context(FaultProxy((design if case == "export" else auto).url, **plan))
                   for case, plan in plans.items()}

        def deploy(case, name, state="active", through=True):
            target = _through(proxies[case], auto) if through else {"url": auto.url, "api_key": auto.api_key}
            return {"name": name, BUNDLE: dict(target, project_key=DEPLOYED[case], bundle_id=BUNDLE_ID, state=state,
                                               src=archives[case])}
        remap = {"name": "remap", REMAP: dict(_through(proxies["remap"], auto), project_key=DEPLOYED["remap"],
                                              connections={"filesystem_managed": "fs_prod"})}
        export = {"name": "export", BUNDLE: dict(_through(proxies["export"], design), project_key=KEY,
                                                 bundle_id=BUNDLE_ID, state="exported")}
        tasks = [export] + _then_again(deploy("lost", "deploy"), auto) + [deploy("refused", "refused deploy")]
        tasks += [deploy("remap", "import", state="imported", through=False)]
        tasks += _then_again(remap, auto, again="remap again")
        result = run_playbook(folder / "run", tasks=tasks)
        stats = {case: proxy.stats() for case, proxy in proxies.items()}
    exported = design.client().get_project(KEY).list_exported_bundles()["bundles"]
    return {"result": result, "stats": stats, "exported": [b["bundleId"] for b in exported],
            "active": {case: _active(auto, key) for case, key in DEPLOYED.items() if case != "remap"}}


def test_lost_import_and_activation_answers_are_confirmed_by_reading(deployments):
    """The deployment and its re-run (through the same proxy) in one run, snapshots of the node between them."""
    result = again = deployments["result"]
    assert result.rc == 0, result
    done = result.task("deploy")["result"]
    assert done["changed"] and done["active_bundle_id"] == BUNDLE_ID and done["project_created"], done
    # the import and the activation, each sent once: none re-sent, by the re-run neither
    stats = deployments["stats"]["lost"]
    assert stats["matched"] == 2 and [f[3] for f in stats["faulted"]] == ["lost", "lost"], stats
    assert deployments["active"]["lost"] == BUNDLE_ID
    assert again.rc == 0 and not again.task("again")["changed"], again
    assert again.snapshot("after again") == again.snapshot("after deploy")


def test_activation_refused_by_a_proxy_is_sent_again(deployments):
    result = deployments["result"]
    assert result.rc == 0, result
    assert deployments["stats"]["refused"]["matched"] == 2 and deployments["active"]["refused"] == BUNDLE_ID


def test_lost_remap_save_is_not_sent_again(deployments):
    """The import (straight to the node), the remap and its re-run (through the proxy) in the run, snapshots of the
    node between them."""
    setup = result = again = deployments["result"]
    assert setup.task("import")["changed"], setup
    assert result.rc == 0 and result.task("remap")["changed"], result
    assert deployments["stats"]["remap"]["matched"] == 1  # sent once, by the remap: the re-run sent no settings
    assert result.task("remap")["result"]["connections"] == {"filesystem_managed": "fs_prod"}
    assert again.rc == 0 and not again.task("remap again")["changed"], again
    assert again.snapshot("after remap again")[1] == again.snapshot("after remap")[1]


def test_lost_export_answer_is_confirmed_by_reading(deployments):
    result = deployments["result"]
    assert result.rc == 0 and result.task("export")["changed"], result
    assert deployments["stats"]["export"]["matched"] == 1  # exported once, not re-sent
    assert deployments["exported"] == [BUNDLE_ID]


def _smoke_project(node, key=KEY):
    """Project ``key`` with a scenario TEST_SMOKE that builds a dataset (SUCCESS on the emulator)."""
    project = node.client().create_project(key, key.title(), "admin")
    for name in ("raw", "clean"):
        project.create_dataset(name, "Filesystem", params={"connection": "filesystem_managed", "path": name})
    project.new_recipe("sync", "compute_clean").with_input("raw").with_existing_output("clean").create()
    project.create_scenario("Smoke", "step_based", {"id": "TEST_SMOKE", "params": {"steps": [
        {"type": "build_flowitem", "name": "Build clean",
         "params": {"builds": [{"type": "DATASET", "itemId": "clean"}], "jobType": "RECURSIVE_BUILD"}}]}})
    return project.get_scenario("TEST_SMOKE")


START_FAULTS = [("lost", 1), ("reset", 2), ("503", 2)]


@pytest.fixture(scope="module")
def faulted_starts(node_pool, tmp_path_factory):
    """One ansible-playbook run, one host per fault kind, at the same time: each runs the scenario TEST_SMOKE of a
    project of its own (CHURN_LOST...) that already ran once, through a proxy of its own that faults the first start
    it forwards; the waits of the kinds whose start never arrived overlap. Gives (result, {kind: proxy stats},
    {kind: the run from before}, {kind: the scenario's last runs after})."""
    node = real_node_or_none("automation") or node_pool.checkout("automation")
    require_emulator(node)
    keys = {kind: "%s_%s" % (KEY, kind.upper()) for kind, _sends in START_FAULTS}
    scenarios = {kind: _smoke_project(node, key) for kind, key in keys.items()}
    # A run from before ours in each project (never taken for ours), the three started before any is waited for.
    fires = {kind: scenario.run() for kind, scenario in scenarios.items()}
    earlier = {}
    for kind, fire in fires.items():
        run = fire.wait_for_scenario_run()
        run.wait_for_completion()
        earlier[kind] = run.run["runId"]
    proxies = {kind: FaultProxy(node.url, match="^POST %s/projects/%s/scenarios/TEST_SMOKE/run$" % (API, key),
                                nth=(1,), kinds=(kind,)) for kind, key in keys.items()}
    result, stats = _cases_through_proxies(
        node, proxies, tmp_path_factory.mktemp("starts"), "tests", SCENARIO_RUN,
        lambda kind: {"project_key": keys[kind], "scenarios": ["TEST_SMOKE"], "poll_interval": 0.5})
    runs = {kind: [r.run["runId"] for r in scenario.get_last_runs(limit=10)] for kind, scenario in scenarios.items()}
    return result, stats, earlier, runs


@pytest.mark.parametrize("kind, sends", START_FAULTS)
def test_a_scenario_start_whose_answer_is_lost_is_followed_not_started_twice(faulted_starts, kind, sends):
    result, stats, earlier, runs = faulted_starts
    assert result.rc == 0, result
    row = result.task("tests", host=kind)["result"]["results"][0]
    assert row["outcome"] == "SUCCESS" and row["run_id"] != earlier[kind], row
    assert stats[kind]["matched"] == sends
    # exactly one run started by the task, and it is the one reported
    assert runs[kind] == [row["run_id"], earlier[kind]]


def test_lost_answers_to_lock_and_retention_writes_are_confirmed_by_reading(
        design_node, automation_node, fault_proxy, playbook):
    """A second promotion (b2, keep_last 1) whose lock take, retention delete and lock release all lose their
    answer: each is sent once, and the node ends with b2 active, b1 deleted and no lock."""
    require_emulator(automation_node)
    sample.seed_design_project(design_node.client())
    sample.seed_connection(automation_node.client(), "staging")
    design = design_node.client().get_project(sample.PROJECT_KEY)
    design.export_bundle("b1")
    design.export_bundle("b2")

    def promotion(url, bundle_id):
        target = {"url": url, "api_key": automation_node.api_key, "project_key": sample.PROJECT_KEY}
        return [
            {"name": "deploy " + bundle_id, DEPLOY: dict(
                target, bundle_id=bundle_id, lock_owner="run-" + bundle_id,
                source={"url": design_node.url, "api_key": design_node.api_key}, connections={"pg_dev": "pg_staging"})},
            {"name": "tests " + bundle_id, SCENARIO_RUN: dict(target, prefix="TEST_", poll_interval=0.2)},
            {"name": "certify " + bundle_id, CERTIFY: dict(target, bundle_id=bundle_id, lock_owner="run-" + bundle_id,
                                                           keep_last=1)},
        ]
    proxy = fault_proxy(automation_node.url, match="^(PUT %s/projects/%s/variables/|DELETE %s/projects/%s/bundles/"
                        "imported/)" % (API, sample.PROJECT_KEY, API, sample.PROJECT_KEY), nth=(1, 3, 4),
                        kinds=("lost",))
    # Both promotions in one run: the first straight to the node, the second through the proxy.
    first = second = playbook(tasks=promotion(automation_node.url, "b1") + promotion(proxy.url, "b2"))
    assert first.rc == 0, first
    assert second.rc == 0, second
    stats = proxy.stats()
    # 1 take (lost), 2 the lease extended before the activation, 3 retention (lost), 4 release (lost): none re-sent
    assert [f[1] for f in stats["faulted"]] == ["PUT", "DELETE", "PUT"] and stats["matched"] == 4, stats
    certified = second.task("certify b2")["result"]
    assert certified["lock_released"] and certified["deleted_bundle_ids"] == ["b1"], certified
    project = automation_node.client().get_project(sample.PROJECT_KEY)
    assert [b["bundleId"] for b in project.list_imported_bundles()["bundles"]] == ["b2"]
    assert _active(automation_node, sample.PROJECT_KEY) == "b2"
    assert "dataiku_gitops_lock" not in project.get_variables()["local"]
