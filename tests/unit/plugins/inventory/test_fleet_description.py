"""Unit tests of the fleet description expansion (plugins/plugin_utils/fleet_description.py)."""

import copy

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import FleetError, expand

DESCRIPTION = {
    "environments": {
        "dev": {"node_type": "design", "url": {"env": "DSS_DEV_URL", "default": "http://127.0.0.1:11210"},
                "api_key": {"env": ["DSS_DEV_API_KEY", "DATAIKU_API_KEY"]}, "ca_path": "/etc/dev-ca.pem"},
        "staging": {"node_type": "automation", "url": "https://staging.example.com",
                    "api_key": {"var": "vault_staging_key"}, "validate_certs": False,
                    "deployer": {"infra_id": "staging-infra"}},
        "prod": {"node_type": "automation", "url": "https://prod.example.com", "api_key": {"env": "PROD_KEY"},
                 "route": "deployer", "environment_objects": {"connections": ["pg_prod"]}},
    },
    "projects": {
        "CHURN": {"tests": {"prefix": "SMOKE_", "timeout": 600},
                  "environments": {"staging": {"connections": {"pg_dev": "pg_staging"},
                                               "tests": {"warning_is_failure": True},
                                               "deployer": {"deployment_id": "churn-staging"}},
                                   "prod": {"route": "direct", "code_envs": {"py39": "py39_prod"}}}},
        "FRAUD": {},
    },
}


def hosts(description=None, **kwargs):
    return {name: (groups, host_vars) for name, groups, host_vars in expand(description or DESCRIPTION, **kwargs)}


def test_one_host_per_environment_and_project_with_groups():
    expanded = hosts()
    assert sorted(expanded) == sorted("%s-%s" % (env, key) for env in ("dev", "staging", "prod")
                                      for key in ("CHURN", "FRAUD"))
    assert expanded["staging-CHURN"][0] == ["staging", "dss_automation", "project_CHURN"]
    assert expanded["dev-FRAUD"][0] == ["dev", "dss_design", "project_FRAUD"]


def test_host_vars_follow_the_contract():
    staging = hosts()["staging-CHURN"][1]
    assert staging["ansible_connection"] == "local"
    assert staging["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    assert (staging["dss_env"], staging["dss_project_key"], staging["dss_node_type"]) == ("staging", "CHURN",
                                                                                          "automation")
    assert staging["dss_url"] == "https://staging.example.com"
    assert staging["dss_api_key"] == "{{ vault_staging_key }}"
    assert staging["dss_validate_certs"] is False and "dss_ca_path" not in staging
    assert staging["dss_connections"] == {"pg_dev": "pg_staging"} and staging["dss_code_envs"] == {}
    assert staging["dss_tests"] == {"prefix": "SMOKE_", "scenarios": None, "warning_is_failure": True,
                                    "timeout": 600, "if_no_scenarios": "fail"}
    assert staging["dss_deployer"] == {"infra_id": "staging-infra", "deployment_id": "churn-staging"}
    assert staging["dss_route"] == "direct" and staging["dss_design_host"] == "dev-CHURN"
    assert "dss_gate_env" not in staging  # the first automation environment needs no earlier record


def test_design_node_keeps_its_own_tls_settings_and_lazy_credentials():
    prod = hosts()["prod-FRAUD"][1]
    assert prod["dss_design_node"] == {
        "url": "{{ lookup('ansible.builtin.env', 'DSS_DEV_URL') | default('http://127.0.0.1:11210', true) }}",
        "api_key": "{{ lookup('ansible.builtin.env', 'DSS_DEV_API_KEY') | default(lookup('ansible.builtin.env', "
                   "'DATAIKU_API_KEY'), true) }}",
        "validate_certs": True, "ca_path": "/etc/dev-ca.pem"}
    assert prod["dss_api_key"] == "{{ lookup('ansible.builtin.env', 'PROD_KEY') }}"
    assert hosts()["dev-FRAUD"][1]["dss_ca_path"] == "/etc/dev-ca.pem"


def test_routes_gates_and_environment_objects():
    expanded = hosts()
    assert expanded["prod-FRAUD"][1]["dss_route"] == "deployer"  # environment default
    assert expanded["prod-CHURN"][1]["dss_route"] == "direct"  # project override
    assert expanded["prod-CHURN"][1]["dss_gate_env"] == "staging"
    assert expanded["prod-CHURN"][1]["dss_gate_host"] == "staging-CHURN"
    assert expanded["prod-CHURN"][1]["dss_gate_node"]["url"] == "https://staging.example.com"
    assert expanded["prod-CHURN"][1]["dss_environment_objects"] == {"connections": ["pg_prod"]}
    description = copy.deepcopy(DESCRIPTION)
    description["environments"]["prod"]["certified_on"] = None
    assert "dss_gate_env" not in hosts(description)["prod-CHURN"][1]


def test_selection_of_environments_and_projects():
    assert sorted(hosts(selected=["staging"])) == ["staging-CHURN", "staging-FRAUD"]
    assert sorted(hosts(selected=["prod"], project_filter=["FRAUD"])) == ["prod-FRAUD"]
    with pytest.raises(FleetError, match="qa are not in the description"):
        hosts(selected=["qa"])


@pytest.mark.parametrize("path,value,message", [
    (("environments", "prod", "api_key"), "s3cr3t-literal", "a literal key is refused"),
    (("environments", "prod", "api_key"), {"env": "K", "default": "x"}, "default key would be stored"),
    (("environments", "prod", "api_key"), {"env": "K", "var": "v"}, "exactly one of env and var"),
    (("environments", "prod", "api_key"), {"var": "a }} {{ b"}, "must be a variable name"),
    (("environments", "prod", "url"), {"env": "U", "default": "x' ~ y"}, "plain string"),
    (("environments", "prod", "node_type"), "worker", "node_type must be one of design, automation"),
    (("environments", "prod", "route"), "ftp", "route must be one of direct, deployer"),
    (("environments", "prod", "validate_certs"), "no", "validate_certs must be true or false"),
    (("environments", "prod", "apikey"), "x", "unknown key\\(s\\) apikey"),
    (("environments", "prod", "certified_on"), "dev", "certified_on must name an automation environment"),
    (("environments", "staging", "node_type"), "design", "exactly one environment must have node_type design"),
    (("projects", "churn"), {}, "a project key is upper case"),
    (("projects", "CHURN", "environments", "qa"), {}, "qa not in environments"),
    (("projects", "CHURN", "environments", "prod", "connections"), {"pg_dev": 1}, "must map names to names"),
    (("projects", "CHURN", "tests", "scenarios"), "TEST_A", "scenarios must be a list"),
    (("projects", "CHURN", "tests", "retries"), 3, "unknown key\\(s\\) retries"),
])
def test_invalid_descriptions_are_refused_with_a_message(path, value, message):
    with pytest.raises(FleetError, match=message):
        expand(changed(DESCRIPTION, path, value))


def changed(description, path, value):
    """A copy of ``description`` with ``value`` at ``path`` (a tuple of keys, created where missing)."""
    description = copy.deepcopy(description)
    target = description
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return description


def test_missing_required_environment_settings():
    description = copy.deepcopy(DESCRIPTION)
    del description["environments"]["staging"]["url"]
    with pytest.raises(FleetError, match="environments.staging.url is required"):
        expand(description)
    with pytest.raises(FleetError, match="at least one environment"):
        expand({"projects": {}})
