"""The environment's gates in the fleet description (dss_gates) and the gate_options filter that turns them, with
the previous environment's node and this run's result there, into the deploy modules' gates option."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.gate_options import gate_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import FleetError, expand

DESCRIPTION = {
    "environments": {
        "dev": {"node_type": "design", "url": "https://dev.example.com", "api_key": {"env": "DEV_KEY"}},
        "staging": {"node_type": "automation", "url": "https://staging.example.com", "api_key": {"env": "ST_KEY"},
                    "gates": {"project_standards": "warn"}},
        "prod": {"node_type": "automation", "url": "https://prod.example.com", "api_key": {"env": "PROD_KEY"},
                 "gates": {"project_standards": "prevent", "min_severity": "HIGH", "release_notes": "prevent"}},
    },
    "projects": {"CHURN": {}},
}


def hostvars():
    return {name: host_vars for name, _groups, host_vars in expand(DESCRIPTION)}


def test_the_fleet_passes_each_environments_gates_through():
    hv = hostvars()
    assert "dss_gates" not in hv["dev-CHURN"]
    assert hv["staging-CHURN"]["dss_gates"] == {"project_standards": "warn"}
    assert hv["prod-CHURN"]["dss_gates"]["release_notes"] == "prevent"


def test_an_unknown_gate_is_refused_naming_the_allowed_ones():
    bad = dict(DESCRIPTION, environments=dict(DESCRIPTION["environments"], prod=dict(
        DESCRIPTION["environments"]["prod"], gates={"project_standard": "prevent"})))
    with pytest.raises(FleetError, match=r"environments.prod.gates: unknown key\(s\) project_standard; allowed: "
                                         r"project_standards, min_severity, release_notes"):
        expand(bad)


def test_options_without_a_gate_environment_are_the_declared_gates():
    assert gate_options(hostvars(), "staging-CHURN", {"results": []}) == {"project_standards": "warn"}
    assert gate_options(hostvars(), "dev-CHURN") == {}


def test_prod_needs_its_test_record_on_staging_read_on_the_node_or_taken_from_this_run():
    hv = hostvars()
    read = gate_options(hv, "prod-CHURN", {"results": []})
    tested_on = read.pop("tested_on")
    assert read == hv["prod-CHURN"]["dss_gates"]
    assert tested_on["env"] == "staging" and tested_on["url"] == hv["prod-CHURN"]["dss_gate_node"]["url"]
    assert "result" not in tested_on  # staging did not run in this run: the module reads its node
    this_run = [{"project_key": "FRAUD", "certified": True},
                {"project_key": "CHURN", "bundle_id": "b2", "active_bundle_id": "b2", "certified": False,
                 "error": "tests failed", "steps": []}]
    result = gate_options(hv, "prod-CHURN", {"results": this_run})["tested_on"]["result"]
    assert result == {"bundle_id": "b2", "active_bundle_id": "b2", "certified": False, "error": "tests failed"}


def test_status_table_shows_the_recorded_decision_of_the_active_bundle():
    from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.status_table import status_table
    state = {"exists": True, "active_bundle_id": "b2", "certified": True, "bundles": [{"bundle_id": "b2"}]}
    rows = [{"project": "CHURN", "env": "staging", "node_type": "automation", "state": state},
            {"project": "CHURN", "env": "prod", "node_type": "automation",
             "state": dict(state, gates={"bundle_id": "b2", "decision": "warn", "warned": ["project_standards"]})},
            {"project": "FRAUD", "env": "prod", "node_type": "automation",
             "state": dict(state, gates={"bundle_id": "b1", "decision": "pass", "warned": []})}]
    lines = status_table(rows)
    assert lines[0].split() == ["PROJECT", "ENVIRONMENT", "BUNDLE", "DATE", "COMMIT", "GATES"]
    assert lines[1].split()[-1] == "-"  # staging: deployed without a recorded decision
    assert lines[2].endswith("warn (project_standards)")
    assert lines[3].split()[-1] == "-"  # the decision was about another bundle than the active one
    assert "GATES" not in status_table(rows[:1])[0]  # no recorded decision anywhere: the table is unchanged
