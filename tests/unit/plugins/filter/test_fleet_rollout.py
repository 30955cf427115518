"""Unit tests of the rollout filters node_batches, rollout_hold and gate_node_reads (plugins/plugin_utils/_filters/), on
host variables made by the fleet description itself."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.gate_node_reads import gate_node_reads
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.node_batches import node_batches
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.rollout_hold import rollout_hold
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import expand

DESCRIPTION = {
    "environments": {
        "dev": {"node_type": "design", "url": "https://dev", "api_key": {"env": "K"}},
        "staging": {"node_type": "automation", "api_key": {"env": "K"},
                    "nodes": {"s1": {"url": "https://s1"}, "s2": {"url": "https://s2"}}},
        "prod": {"node_type": "automation", "api_key": {"env": "K"},
                 "nodes": {"p1": {"url": "https://p1"}, "p2": {"url": "https://p2"}, "p3": {"url": "https://p3"}},
                 "rollout": {"canary": "p1", "batch_size": 1}},
    },
    "projects": {"A": {}, "B": {"depends_on": ["A"]}},
}
BUNDLE = "g0123456789ab"
GOOD = {"bundle_id": BUNDLE, "active_bundle_id": BUNDLE, "certified": True, "error": None}
CERTIFIED = {"exists": True, "active_bundle_id": BUNDLE, "certified": True}


def hostvars(**facts):
    """{host: vars} of the whole fleet, with ``facts`` ({host: {fact: value}}) added."""
    found = {name: dict(host_vars) for name, _groups, host_vars in expand(DESCRIPTION)}
    for host, values in facts.items():
        found[host].update(values)
    return found


def groups():
    found = {}
    for name, host_groups, _vars in expand(DESCRIPTION):
        for group in host_groups:
            found.setdefault(group, []).append(name)
    return found


def queued(*hosts):
    """Facts of hosts that the planning play queued (their node's plan has them pending)."""
    return {host: {"promote_plan": {"pending": list(hosts)}} for host in hosts}


def test_one_planning_batch_per_node_and_none_without_nodes():
    all_groups = groups()
    assert node_batches(all_groups["staging"], all_groups) == [2, 2]
    assert node_batches(all_groups["prod"][1:], all_groups) == [1, 2, 2]  # --limit: what is left of p1
    assert node_batches(all_groups["dev"], all_groups) == []
    with pytest.raises(AnsibleFilterError, match="dss_node_staging_s1 are not next to each other"):
        node_batches(["staging-s1-A", "staging-s2-A", "staging-s1-B"], all_groups)


def test_every_node_of_the_gate_environment_must_have_certified_the_bundle():
    gate = {"host": "prod-p2-A", "bundle_id": BUNDLE}
    facts = {"staging-s1-A": {"bundle_deploy_result": GOOD}, "staging-s2-A": {"promote_node": {"projects": {}}}}
    message = rollout_hold(hostvars(**facts), gate, [], [])
    assert message.startswith("A: bundle %s is not promoted past staging because node s2 has no passing test "
                              "record of it" % BUNDLE)
    facts["staging-s2-A"] = {"promote_node": {"projects": {"A": CERTIFIED}}}  # converged there in this run
    assert rollout_hold(hostvars(**facts), gate, [], []) is None
    facts["staging-s1-A"] = {"bundle_deploy_result": dict(GOOD, certified=False, error="tests failed")}
    assert "node s1 has no passing test record" in rollout_hold(hostvars(**facts), gate, [], [])


def test_the_gate_nodes_are_read_when_the_gate_environment_did_not_run():
    all_vars = hostvars()
    items = gate_node_reads(all_vars, ["prod-p2-A", "prod-p2-B"])
    assert [(i["node"], i["gate_hosts"], i["project_keys"]) for i in items] == [
        ("staging-s1", ["staging-s1-A", "staging-s1-B"], ["A", "B"]),
        ("staging-s2", ["staging-s2-A", "staging-s2-B"], ["A", "B"])]
    assert all_vars[items[1]["via"]]["dss_gate_nodes"][items[1]["gate"]]["url"] == "https://s2"
    reads = {"results": [{"promote_gate_item": item, "projects": {"A": CERTIFIED, "B": {"exists": False}}}
                         for item in items]}
    all_vars["prod-p2-A"]["promote_gate_nodes"] = reads
    all_vars["prod-p2-B"]["promote_gate_nodes"] = reads
    assert rollout_hold(all_vars, {"host": "prod-p2-A", "bundle_id": BUNDLE}, [], []) is None
    assert "node s1 has no passing" in rollout_hold(all_vars, {"host": "prod-p2-B", "bundle_id": BUNDLE}, [], [])
    assert gate_node_reads(hostvars(**{"staging-s1-A": {"promote_node": {}}}), ["prod-p2-A"])[0]["gate_hosts"] == \
        ["staging-s2-A"]  # a gate host of this run brings its own evidence
    assert gate_node_reads(hostvars(), ["staging-s1-A"]) == []


def staging_passed():
    return {host: {"bundle_deploy_result": GOOD} for host in ("staging-s1-A", "staging-s2-A", "staging-s1-B",
                                                              "staging-s2-B")}


def test_a_failure_on_the_canary_holds_back_the_other_nodes():
    play = ["prod-p1-A", "prod-p1-B", "prod-p2-A", "prod-p2-B", "prod-p3-A"]
    facts = dict(staging_passed(), **queued(*play))
    all_vars = hostvars(**facts)
    alive = [h for h in play if h != "prod-p1-B"]
    message = rollout_hold(all_vars, {"host": "prod-p2-A", "bundle_id": BUNDLE}, play, alive)
    assert message == ("A: held back on prod node p2: the rollout of prod stopped after the canary node p1, where 1 "
                       "of 2 deployment(s) failed or were held back (prod-p1-B), more than max_fail_percentage 0.")
    assert rollout_hold(all_vars, {"host": "prod-p2-A", "bundle_id": BUNDLE}, play, play) is None
    # an earlier batch counts too; a host that was not queued (converged) is not a deployment
    alive = [h for h in play if h != "prod-p2-B"]
    message = rollout_hold(all_vars, {"host": "prod-p3-A", "bundle_id": BUNDLE}, play, alive)
    assert "stopped after batch 1 of its nodes" in message
    all_vars["prod-p2-B"]["promote_plan"] = {"pending": []}
    assert rollout_hold(all_vars, {"host": "prod-p3-A", "bundle_id": BUNDLE}, play, alive) is None
    # max_fail_percentage: one failure out of two on the canary is 50%
    all_vars = hostvars(**facts)
    for host in all_vars.values():
        if "dss_rollout" in host and host["dss_env"] == "prod":
            host["dss_rollout"] = dict(host["dss_rollout"], max_fail_percentage=50)
    alive = [h for h in play if h != "prod-p1-B"]
    assert rollout_hold(all_vars, {"host": "prod-p2-A", "bundle_id": BUNDLE}, play, alive) is None


def test_a_failed_upstream_project_holds_its_dependents_back_on_that_node():
    play = ["staging-s1-A", "staging-s1-B", "staging-s2-A", "staging-s2-B"]
    all_vars = hostvars(**queued(*play))
    alive = [h for h in play if h != "staging-s1-A"]
    message = rollout_hold(all_vars, {"host": "staging-s1-B", "bundle_id": BUNDLE}, play, alive)
    assert message == ("B: held back on staging node s1: it depends on A, whose deployment failed or was held back "
                       "there in this run (staging-s1-A); an upstream project's bundle is activated before its "
                       "dependents'.")
    assert rollout_hold(all_vars, {"host": "staging-s2-B", "bundle_id": BUNDLE}, play, alive) is None
    # an upstream project converged on that node (not queued) holds nothing back
    all_vars["staging-s1-A"]["promote_plan"] = {"pending": []}
    assert rollout_hold(all_vars, {"host": "staging-s1-B", "bundle_id": BUNDLE}, play, alive) is None


def test_nothing_to_hold_on_a_plain_fleet():
    assert rollout_hold({"prod-A": {"dss_env": "prod", "dss_project_key": "A"}}, {"host": "prod-A"}, [], []) is None
