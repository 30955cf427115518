"""Unit tests of the filter promotion_evidence (plugins/plugin_utils/_filters/promotion_evidence.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_evidence import promotion_evidence

GOOD = {"project_key": "CHURN", "bundle_id": "b2", "active_bundle_id": "b2", "certified": True}


def test_no_gate_environment_means_no_evidence():
    assert promotion_evidence({"staging-CHURN": {}}, {}, "staging-CHURN") == {"results": [], "read": {}, "expected": []}


def test_the_gate_environment_ran_in_this_run():
    hostvars = {
        "prod-CHURN": {"dss_gate_env": "staging", "dss_gate_host": "staging-CHURN"},
        "staging-CHURN": {"dss_project_key": "CHURN", "bundle_deploy_result": GOOD,
                          "promote_node": {"projects": {"CHURN": {"exists": True}}}},
        "staging-FRAUD": {"dss_project_key": "FRAUD"},
    }
    groups = {"all": list(hostvars), "staging": ["staging-CHURN", "staging-FRAUD"], "promote_staging": ["staging-CHURN"]}
    assert promotion_evidence(hostvars, groups, "prod-CHURN") == {
        "results": [GOOD], "read": {"CHURN": {"exists": True}}, "expected": ["CHURN", "FRAUD"]}


def test_the_gate_node_read_by_this_play_when_the_gate_environment_did_not_run():
    hostvars = {"prod-CHURN": {"dss_gate_env": "staging", "dss_gate_host": "staging-CHURN",
                               "promote_gate_node": {"projects": {"CHURN": {"exists": False}}}}}
    assert promotion_evidence(hostvars, {"all": ["prod-CHURN"]}, "prod-CHURN") == {
        "results": [], "read": {"CHURN": {"exists": False}}, "expected": []}
    assert FilterModule().filters()["promotion_evidence"] is promotion_evidence
