"""Unit tests of the filter converged_result (plugins/plugin_utils/_filters/converged_result.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.converged_result import converged_result
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_gate import promotion_gate


def gate(results, key, bundle_id, env):
    return promotion_gate(results, dict(project_key=key, bundle_id=bundle_id, env=env))


def test_a_converged_project_is_certified_on_its_active_bundle():
    assert converged_result("b2", "CHURN") == {
        "project_key": "CHURN", "bundle_id": "b2", "previous_bundle_id": "b2", "active_bundle_id": "b2",
        "rollback_bundle_id": None, "tests": None, "certified": True, "rolled_back": False, "error": None,
        "route": "direct", "steps": [], "lock": None, "project_created": False, "gates": None}
    assert converged_result("b2", "CHURN", "deployer")["route"] == "deployer"


def test_the_next_environment_gate_lets_it_through_for_that_bundle_only():
    results = [converged_result("b2", "CHURN")]
    assert gate(results, "CHURN", "b2", "staging") is None
    assert "not promoted past staging" in gate(results, "CHURN", "b3", "staging")


def test_filter_registered():
    assert FilterModule().filters()["converged_result"] is converged_result
