"""What one deployment of a new bundle costs in requests: dataiku_bundle_deploy with tests and the gates (the call
promote.yml makes per project and environment) against emulated design and automation nodes in-process, each
request counted as the node received it. Pins the count so that it cannot creep back (tests/benchmarks/README.md,
"Requests and CPU of one deployment")."""

# pylint: disable=redefined-outer-name,unused-import
from collections import Counter

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle_deploy
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    design_project, emulated, export, run_module)
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.scenario_nodes import clock, ok

DESIGN_URL = "https://design.example.com"
AUTO_URL = "https://auto.example.com"
# The automation node's requests for a new bundle, the scenario's polls aside: node type, project, bundles (3); the
# lock in force (1); the remap plan: settings, connections (2); the roll-back target's test record (1); taking the
# lock: variables, write, settle re-read (3); import and its check (3); preload (1); lease renewal before the
# activation (2); activation (1: the certification's read after the tests checks it); scenarios, last runs, start,
# run of the trigger (4); certification: project, bundles, record, variables (4); release (1). Before issue 27's
# sixth round: 32.
AUTOMATION_REQUESTS = 26
# On the design node: node type, project, bundle list (once: the import, the gates and the release notes share it;
# 3 more requests before), the archive. Bundle ids b1 and b2 name no commit, so no git log is read.
DESIGN_REQUESTS = 4


@pytest.fixture
def nodes(emulated, clock):
    design = emulated("design", DESIGN_URL)
    auto = emulated("automation", AUTO_URL)
    auto.node.clock = clock.time
    project = design_project(design, "CHURN")
    project.create_dataset("customers", "PostgreSQL", params={"connection": "pg_dev"})
    project.create_scenario("Smoke", "step_based", definition={"id": "TEST_SMOKE", "params": {"steps": [ok()]}})
    auto.client().create_connection("pg_staging", "PostgreSQL")
    return design, auto


def deploy(design, auto, capsys, bundle_id):
    return run_module(dataiku_bundle_deploy.main, capsys, auto, project_key="CHURN", bundle_id=bundle_id,
                      lock_owner="run-1", source={"url": design.url, "api_key": design.api_key},
                      connections={"pg_dev": "pg_staging"}, tests={"prefix": "TEST_"}, expect_export=True,
                      gates={"project_standards": "warn"}, secrets=(design.api_key,))


def test_a_deployment_of_a_new_bundle_sends_a_fixed_number_of_requests(nodes, capsys):
    design, auto = nodes
    export(design, "b1")
    failed, first = deploy(design, auto, capsys, "b1")
    assert not failed and first["certified"], first
    export(design, "b2")
    design.forget_calls()
    auto.forget_calls()
    failed, result = deploy(design, auto, capsys, "b2")
    assert not failed, result
    assert (result["certified"], result["active_bundle_id"], result["lock"]) == (True, "b2", None)
    polls = [c for c in auto.calls() if c.startswith("GET /projects/CHURN/scenarios/TEST_SMOKE/") and
             c.rsplit("/", 1)[1][:2] == "20"]
    assert 1 <= len(polls) <= 3, auto.calls()
    assert len(auto.calls()) - len(polls) <= AUTOMATION_REQUESTS, auto.calls()
    assert len(design.calls()) <= DESIGN_REQUESTS, design.calls()
    routes = Counter(auto.calls())
    # No object read twice in a row where the first answer still holds.
    assert routes["GET /projects/CHURN/variables"] <= 5 and routes["GET /projects/CHURN"] <= 3, routes
    assert Counter(design.calls())["GET /projects/CHURN/bundles/exported"] == 1, design.calls()
    assert len(auto.writes()) == 7, auto.writes()  # lock, import, preload, renewal, activation, start, release
    assert "dataiku_gitops_lock" not in auto.client().get_project("CHURN").get_variables()["local"]  # released
