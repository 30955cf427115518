"""Fleet topologies through the real ansible-playbook against emulator nodes (docs/topologies.md): staging on two
nodes, prod on three with p1 as the canary (then one node per batch), projects CUSTOMERS <- CHURN <- RETENTION
(each exposes its scores dataset to its dependent, and depends_on says so in the fleet description).

The first promotion (every node, upstream projects activated first, the canary before the other prod nodes) builds
the landscape once per session (tests/support/landscape.py); each test then gets a copy of the promoted landscape: a
no-op re-run (one read per node, nothing written); a new bundle whose tests fail on the canary only (its connection
broken there): the canary rolls back, its dependents are held back naming the upstream project, and the other prod
nodes are left untouched, then a plan of prod alone checks the gate on both staging nodes by reading them."""

import pytest

from tests.support import landscape, sample_project
from tests.support.topology import NODES, TopologyLandscape, node_name

pytestmark = pytest.mark.slow  # whole promotions on six nodes (the tier of tests/conftest.py's SLOW files)

UPSTREAM, MIDDLE, DOWNSTREAM = "CUSTOMERS", "CHURN", "RETENTION"
PROJECTS = {UPSTREAM: [], MIDDLE: [UPSTREAM], DOWNSTREAM: [MIDDLE]}
DEPLOY = "dataiku_gitops.dss.bundle_deploy : Deploy, test and certify the bundle on "
AUTOMATION = [node_name(env, node) for env in ("staging", "prod") for node in NODES[env]]


def failure_message(result, host):
    failed = [t for t in result.tasks if t["host"] == host and t["status"] == "failed"]
    assert failed, "no failed task on %s\n%s" % (host, result.output[-4000:])
    return failed[-1]["result"].get("msg", "")


def host(node, key):
    return "%s-%s" % (node.replace("_", "-", 1), key)


def first_promotion(land):
    promoted = land.run("promote.yml")
    return {"promoted": promoted, "leaked": land.leaked_keys()}


# The connections of the automation nodes are made through the official client: playbooks/environment.yml is not
# what these tests are about (test_environment_and_drift.py runs it).
TOPOLOGY = landscape.Kind("topology", lambda workdir: TopologyLandscape(workdir, PROJECTS, environment_playbook=False),
                          first_promotion)


@pytest.fixture
def land(tmp_path, tmp_path_factory):
    """The topology after its first promotion (from scratch once per session, restored for each test)."""
    return landscape.restored(TOPOLOGY, tmp_path, tmp_path_factory)


def canary_failure(land):
    """A new bundle for every project; on the canary only, the connection its tests build on is broken. Then a plan
    of prod alone (staging not in the run): the gate reads both staging nodes; a plan, so nothing is written."""
    land.first = land.bundle_id()
    sample_project.change_variable(land.client("dev"), 45, UPSTREAM)
    land.second = land.commit("CUSTOMERS: 45 days")
    sample_project.break_connection(land.client("prod_p1"), "prod")
    land.untouched = {node: land.nodes[node].digest() for node in ("prod_p2", "prod_p3")}
    land.canary_failed = land.run("promote.yml")
    land.before_plan = land.writes()
    land.prod_plan = land.run("promote.yml", envs=("prod",), check=True, diff=True,
                              extra_vars={"dss_bundle_id": land.second})
    return land


def test_every_node_gets_every_project_upstream_first_and_the_canary_first(land):
    promoted = land.built["promoted"]
    assert promoted.rc == 0, promoted.output[-6000:]
    assert land.built["leaked"] == []
    activated = {(node, key): land.activation(node, key) for node in AUTOMATION for key in PROJECTS}
    all_certified = all(land.certified(node, key) for node in AUTOMATION for key in PROJECTS)
    assert {bundle for bundle, _activated_on in activated.values()} == {land.bundle_id()} and all_certified
    for node in AUTOMATION:  # never a dependent before its upstream project on the same node
        assert activated[(node, UPSTREAM)][1] < activated[(node, MIDDLE)][1] < activated[(node, DOWNSTREAM)][1]
    for key in PROJECTS:  # the canary, then p2, then p3 (batch_size 1)
        assert activated[("prod_p1", key)][1] < activated[("prod_p2", key)][1] < activated[("prod_p3", key)][1]
    deployed = [t["host"] for t in promoted.tasks if t["task"].startswith(DEPLOY) and t["status"] == "changed"]
    assert sorted(deployed) == sorted(host(node, key) for node in AUTOMATION for key in PROJECTS)


def test_a_rerun_reads_each_node_once_and_writes_nothing(land):
    noop = land.run("promote.yml")
    assert noop.rc == 0, noop.output[-4000:]
    assert set(land.writes().values()) == {0}  # the counters restart at the restore
    reads = [t for t in noop.tasks
             if t["action"] == "dataiku_gitops.dss.dataiku_bundle_state_info" and t["status"] != "skipped"]
    assert sorted(t["host"] for t in reads) == sorted(["dev-" + UPSTREAM] + [host(node, UPSTREAM)
                                                                             for node in AUTOMATION])
    assert not [t for t in noop.tasks if t["task"].startswith(DEPLOY)]


def test_a_failing_canary_rolls_back_and_stops_the_environment_and_prod_alone_reads_every_staging_node(land):
    result = canary_failure(land).canary_failed
    assert result.rc != 0
    for node in ("staging_s1", "staging_s2"):
        assert all(land.activation(node, key)[0] == land.second and land.certified(node, key) for key in PROJECTS)
    # The canary: the upstream project failed and was rolled back, its dependents never started.
    assert land.activation("prod_p1", UPSTREAM)[0] == land.first
    assert land.second in failure_message(result, host("prod_p1", UPSTREAM))
    message = failure_message(result, host("prod_p1", MIDDLE))
    assert "depends on %s" % UPSTREAM in message and host("prod_p1", UPSTREAM) in message
    assert "depends on %s" % MIDDLE in failure_message(result, host("prod_p1", DOWNSTREAM))
    assert all(land.activation("prod_p1", key)[0] == land.first for key in (MIDDLE, DOWNSTREAM))
    # The other prod nodes: held back by the canary, not a single write.
    assert {node: land.nodes[node].digest() for node in ("prod_p2", "prod_p3")} == land.untouched
    for node in ("prod_p2", "prod_p3"):
        for key in PROJECTS:
            assert "stopped after the canary node p1" in failure_message(result, host(node, key))
    assert not [t for t in result.tasks if t["task"].startswith(DEPLOY) and "-p2-" in t["host"] + t["host"]
                and t["status"] != "skipped"]
    assert land.leaked_keys() == []

    # prod alone: the plan reads both staging nodes for the gate.
    result = land.prod_plan
    assert result.rc == 0, result.output[-4000:]
    reads = [t for t in result.tasks if t["task"] == "Read the test records of every node of the gate environment"
             and t["status"] == "ok"]
    assert len(reads) == 1
    assert sorted(item["promote_gate_item"]["node"] for item in reads[0]["result"]["results"]) == \
        ["staging-s1", "staging-s2"]
    planned = {t["host"] for t in result.tasks if t["task"].startswith(DEPLOY) and t["status"] == "changed"}
    assert planned == {host(node, key) for node in ("prod_p1", "prod_p2", "prod_p3") for key in PROJECTS}
    assert land.writes() == land.before_plan
    assert land.leaked_keys() == []
