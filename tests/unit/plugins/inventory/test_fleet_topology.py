"""Unit tests of fleet topologies in the fleet description: several nodes per environment, rollout phases and
project dependencies (plugins/plugin_utils/fleet_description.py, fleet_topology.py)."""

import copy

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import FleetError, expand
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_topology import TopologyError, phases, waves
from tests.unit.plugins.inventory.test_fleet_description import changed

TOPOLOGY = {
    "environments": {
        "dev": {"node_type": "design", "url": "https://dev.example.com", "api_key": {"env": "DEV_KEY"}},
        "staging": {"node_type": "automation", "api_key": {"var": "vault_staging_key"}, "ca_path": "/etc/ca.pem",
                    "nodes": {"s1": {"url": "https://s1.example.com"},
                              "s2": {"url": "https://s2.example.com", "api_key": {"env": "S2_KEY"},
                                     "validate_certs": False, "connections": {"pg_dev": "pg_staging_s2"}}}},
        "prod": {"node_type": "automation", "route": "deployer", "deployer": {"url": "https://deployer.example.com"},
                 "nodes": {"eu": {"url": "https://eu.example.com", "api_key": {"env": "EU_KEY"},
                                  "deployer": {"infra_id": "prod-eu"}},
                           "us": {"url": "https://us.example.com", "api_key": {"env": "US_KEY"}},
                           "ap": {"url": "https://ap.example.com", "api_key": {"env": "AP_KEY"}}},
                 "rollout": {"canary": "us", "batch_size": 1, "max_fail_percentage": 20}},
    },
    "projects": {
        "SALES": {"environments": {"staging": {"connections": {"pg_dev": "pg_staging", "pg_x": "pg_x_staging"}}}},
        "CHURN": {"depends_on": ["SALES"], "environments": {"prod": {"nodes": ["eu", "us"]}}},
        "REPORT": {"depends_on": ["CHURN", "SALES"], "environments": {"prod": {"nodes": ["us"]}}},
    },
}


def hosts(description=None, **kwargs):
    return {name: (groups, host_vars) for name, groups, host_vars in expand(description or TOPOLOGY, **kwargs)}


def order(description=None, **kwargs):
    return [host[0] for host in expand(description or TOPOLOGY, **kwargs)]


def test_one_host_per_node_and_project_in_node_order():
    names = order(selected=["staging", "prod"])
    assert names == ["staging-s1-SALES", "staging-s1-CHURN", "staging-s1-REPORT",
                     "staging-s2-SALES", "staging-s2-CHURN", "staging-s2-REPORT",
                     "prod-eu-SALES", "prod-eu-CHURN", "prod-us-SALES", "prod-us-CHURN", "prod-us-REPORT",
                     "prod-ap-SALES"]
    groups = hosts()["prod-us-CHURN"][0]
    assert groups == ["prod", "dss_automation", "project_CHURN", "dss_node_prod_us"]
    assert "dev-SALES" in hosts(selected=["dev"])  # the design environment keeps one host per project


def test_each_node_has_its_connection_and_remapping_overrides():
    expanded = hosts()
    s1, s2 = expanded["staging-s1-SALES"][1], expanded["staging-s2-SALES"][1]
    assert (s1["dss_url"], s1["dss_api_key"], s1["dss_validate_certs"], s1["dss_ca_path"]) == \
        ("https://s1.example.com", "{{ vault_staging_key }}", True, "/etc/ca.pem")
    assert s2["dss_api_key"] == "{{ lookup('ansible.builtin.env', 'S2_KEY') }}" and s2["dss_validate_certs"] is False
    assert s1["dss_connections"] == {"pg_dev": "pg_staging", "pg_x": "pg_x_staging"}
    assert s2["dss_connections"] == {"pg_dev": "pg_staging_s2", "pg_x": "pg_x_staging"}
    assert (s2["dss_node"], s2["dss_node_group"], s2["dss_env"]) == ("s2", "dss_node_staging_s2", "staging")
    assert expanded["prod-eu-SALES"][1]["dss_route"] == "deployer"
    assert expanded["prod-eu-SALES"][1]["dss_deployer"] == {"url": "https://deployer.example.com", "infra_id": "prod-eu"}
    assert expanded["prod-us-SALES"][1]["dss_deployer"] == {"url": "https://deployer.example.com"}


def test_rollout_steps_put_the_canary_first_then_batches_and_waves_inside_each():
    expanded = hosts()
    # Three waves (SALES, CHURN, REPORT); prod phases: us (canary) 0, eu 1, ap 2 (batch_size 1).
    steps = {name: host_vars["dss_rollout_step"] for name, (_groups, host_vars) in expanded.items()
             if name.startswith("prod-")}
    assert steps == {"prod-us-SALES": 0, "prod-us-CHURN": 1, "prod-us-REPORT": 2, "prod-eu-SALES": 3,
                     "prod-eu-CHURN": 4, "prod-ap-SALES": 6}
    prod = expanded["prod-eu-CHURN"][1]
    assert prod["dss_rollout_steps"] == list(range(9)) and prod["dss_rollout_phase"] == 1
    assert prod["dss_rollout"] == {"canary": "us", "max_fail_percentage": 20}
    assert prod["dss_wave"] == 1 and prod["dss_depends_on"] == ["SALES"]
    assert prod["dss_upstream_hosts"] == ["prod-eu-SALES"]
    staging = expanded["staging-s2-REPORT"][1]  # no canary: both nodes in one phase
    assert (staging["dss_rollout_phase"], staging["dss_rollout_step"]) == (0, 2)
    assert staging["dss_upstream_hosts"] == ["staging-s2-CHURN", "staging-s2-SALES"]
    assert "dss_rollout_step" not in expanded["dev-CHURN"][1]  # exports need no order


def test_the_gate_is_every_node_of_the_previous_environment():
    prod = hosts()["prod-us-CHURN"][1]
    assert prod["dss_gate_env"] == "staging"
    assert prod["dss_gate_hosts"] == ["staging-s1-CHURN", "staging-s2-CHURN"]
    assert prod["dss_gate_host"] == "staging-s1-CHURN"
    assert prod["dss_gate_nodes"]["staging-s2-CHURN"]["url"] == "https://s2.example.com"
    assert prod["dss_gate_node"] == prod["dss_gate_nodes"]["staging-s1-CHURN"]


def test_a_fleet_without_nodes_or_dependencies_keeps_its_hosts_and_variables():
    plain = {"environments": {"dev": TOPOLOGY["environments"]["dev"],
                              "prod": {"node_type": "automation", "url": "https://prod", "api_key": {"env": "K"}}},
             "projects": {"B": {}, "A": {}}}
    assert order(plain) == ["dev-B", "prod-B", "dev-A", "prod-A"]
    prod = hosts(plain)["prod-A"][1]
    assert not {"dss_node", "dss_rollout_step", "dss_wave", "dss_depends_on", "dss_gate_hosts"} & set(prod)
    # depends_on alone (one node per environment): waves as rollout steps, no node variables
    plain["projects"]["B"]["depends_on"] = ["A"]
    prod = hosts(plain)["prod-B"][1]
    assert (prod["dss_rollout_step"], prod["dss_rollout_steps"], prod["dss_upstream_hosts"]) == (1, [0, 1], ["prod-A"])
    assert "dss_node" not in prod and "dss_rollout" not in prod


def test_waves_and_cycles():
    assert waves({"A": [], "B": ["A"], "C": ["B", "A"], "D": []}) == {"A": 0, "B": 1, "C": 2, "D": 0}
    with pytest.raises(TopologyError, match=r"cycle, A -> C -> B -> A"):
        waves({"A": ["C"], "B": ["A"], "C": ["B"]})
    with pytest.raises(TopologyError, match=r"projects.B.depends_on: X not in projects"):
        waves({"A": [], "B": ["X"]})
    assert phases(["a", "b", "c", "d"], "c", 2, "w") == {"c": 0, "a": 1, "b": 1, "d": 2}
    assert phases(["a", "b"], None, None, "w") == {"a": 0, "b": 0}


@pytest.mark.parametrize("path, value, message", [
    (("projects", "SALES", "depends_on"), ["REPORT"], "cycle, SALES -> REPORT -> CHURN -> SALES"),
    (("projects", "SALES", "depends_on"), "CHURN", "depends_on must be a list of project keys"),
    (("projects", "CHURN", "depends_on"), ["NOPE"], "projects.CHURN.depends_on: NOPE not in projects"),
    (("projects", "SALES", "environments", "prod", "nodes"), ["eu"],
     "projects.CHURN.depends_on: SALES is not deployed on node(s) us of prod"),
    (("projects", "SALES", "environments", "prod", "nodes"), ["mars"], "must be a non-empty list of nodes of prod"),
    (("projects", "SALES", "environments", "dev", "nodes"), ["x"], "environment dev has a single node"),
    (("environments", "prod", "url"), "https://prod", "an environment with nodes sets url per node"),
    (("environments", "prod", "rollout", "canary"), "mars", "rollout.canary must name one of the environment's"),
    (("environments", "prod", "rollout", "batch_size"), 0, "batch_size must be a number of nodes"),
    (("environments", "prod", "rollout", "max_fail_percentage"), 100, "max_fail_percentage must be a number"),
    (("environments", "prod", "rollout", "serial"), 1, "unknown key(s) serial; allowed: canary"),
    (("environments", "prod", "nodes", "eu", "port"), 1, "environments.prod.nodes.eu: unknown key(s) port"),
    (("environments", "prod", "nodes", "EU"), {"url": "https://x"}, "a node name is lower case"),
    (("environments", "prod", "nodes", "eu", "api_key"), "literal", "a literal key is refused"),
    (("environments", "dev", "nodes"), {"a": {"url": "x"}}, "only an automation environment has several nodes"),
])
def test_invalid_topologies_are_refused_with_a_message(path, value, message):
    with pytest.raises(FleetError) as raised:
        expand(changed(TOPOLOGY, path, value))
    assert message in str(raised.value)


def test_node_settings_that_are_required():
    description = copy.deepcopy(TOPOLOGY)
    del description["environments"]["prod"]["nodes"]["eu"]["api_key"]
    with pytest.raises(FleetError, match=r"environments.prod.nodes.eu.api_key is required"):
        expand(description)
    description = copy.deepcopy(TOPOLOGY)
    description["environments"]["prod"]["nodes"] = {}
    with pytest.raises(FleetError, match=r"at least one node"):
        expand(description)
    plain = copy.deepcopy(TOPOLOGY)
    plain["environments"]["prod"] = {"node_type": "automation", "url": "https://p", "api_key": {"env": "K"},
                                     "rollout": {"canary": "p"}}
    with pytest.raises(FleetError, match=r"environments.prod.rollout needs nodes"):
        expand(plain)
