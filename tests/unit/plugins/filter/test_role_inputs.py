"""Unit tests of the filters that resolve what the roles and playbooks pass to modules: role_inputs, node_connection,
module_options, command_output and promotion_gate_of_host (plugins/plugin_utils/_filters,
plugins/plugin_utils/role_inputs.py, export_inputs.py, module_options.py)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.command_output import command_output
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.module_options import module_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.node_connection import node_connection
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_gate_of_host import (
    promotion_gate_of_host)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.role_inputs import role_inputs

DESIGN = {"url": "https://dev", "api_key": "k-dev", "validate_certs": False, "ca_path": None, "env": "dev"}
CONTRACT = {"dss_url": "https://staging", "dss_api_key": "k-staging", "dss_project_key": "CHURN",
            "dss_bundle_id": "g123", "dss_bundle_source": DESIGN, "inventory_hostname": "staging-CHURN"}
ACTIVE = {"exists": True, "active_bundle_id": "g123", "certified": True}


def test_bundle_deploy_reads_the_contract_and_builds_the_module_options():
    inputs = role_inputs(dict(CONTRACT, dss_tests={"prefix": "T_", "warning_is_failure": True}, dss_run_id="run-1"),
                         "bundle_deploy")
    assert inputs["module"] == {
        "url": "https://staging", "api_key": "k-staging", "validate_certs": True, "project_key": "CHURN",
        "bundle_id": "g123", "connections": {}, "code_envs": {}, "lock_owner": "run-1", "lock_timeout": 300,
        "break_lock": False, "expect_export": False, "warning_is_failure": True, "tests": {"prefix": "T_"},
        "on_failure": "rollback", "source": {"url": "https://dev", "api_key": "k-dev", "validate_certs": False}}
    assert inputs["converged_result"] is None


def test_bundle_deploy_role_variables_override_the_contract():
    inputs = role_inputs(dict(CONTRACT, bundle_deploy_url="https://other", bundle_deploy_validate_certs=False,
                              dss_validate_certs=True, bundle_deploy_bundle_source=None,
                              dss_bundle_source=None, dss_bundle_archive_dir="/arch", dss_keep_last=2,
                              dss_first_deploy_failure_policy="delete_project", dss_ca_path="/ca.pem"),
                         "bundle_deploy")
    module = inputs["module"]
    assert (module["url"], module["validate_certs"], module["ca_path"]) == ("https://other", False, "/ca.pem")
    assert module["src"] == "/arch/CHURN-g123.zip" and "source" not in module
    assert module["keep_last"] == 2 and module["on_failure"] == "delete_project"
    assert module["lock_owner"].endswith("-staging-CHURN")


def test_bundle_deploy_of_a_converged_project_records_it_without_a_module():
    inputs = role_inputs(dict(CONTRACT, dss_node_state=ACTIVE), "bundle_deploy")
    assert inputs["converged_result"]["certified"] is True and inputs["converged_result"]["bundle_id"] == "g123"


@pytest.mark.parametrize("change", [{"dss_url": None}, {"dss_bundle_id": ""}, {"dss_bundle_archive_dir": "/a"},
                                    {"dss_bundle_source": None}])
def test_bundle_deploy_names_what_is_missing(change):
    with pytest.raises(AnsibleFilterError, match="bundle_deploy needs dss_url, dss_api_key, dss_project_key"):
        role_inputs(dict(CONTRACT, **change), "bundle_deploy")


def test_deployer_deploy_options():
    deployer = {"url": "https://deployer", "api_key": "k-dep", "infra_id": "prod-infra", "govern_timeout": 60}
    inputs = role_inputs(dict(CONTRACT, dss_deployer=deployer, dss_junit_dir="/junit"), "deployer_deploy")
    assert inputs["deployer_connection"] == {"url": "https://deployer", "api_key": "k-dep", "validate_certs": True}
    assert inputs["publish"] == {"project_key": "CHURN", "bundle_id": "g123", "published_project_key": "CHURN",
                                 "source": {"url": "https://dev", "api_key": "k-dev", "validate_certs": False}}
    deployment = inputs["deployment"]
    assert deployment["deployment_id"] == "CHURN-on-prod-infra" and deployment["govern_timeout"] == 60
    assert deployment["tests"] == {"junit_xml": "/junit/CHURN-g123.xml"}
    assert deployment["automation"]["url"] == "https://staging" and "update_timeout" not in deployment
    no_tests = role_inputs(dict(CONTRACT, dss_deployer=deployer, dss_run_tests=False), "deployer_deploy")
    assert "tests" not in no_tests["deployment"] and "automation" not in no_tests["deployment"]
    with pytest.raises(AnsibleFilterError, match="deployer_deploy needs"):
        role_inputs(dict(CONTRACT, dss_deployer={"url": "https://deployer"}), "deployer_deploy")


def test_bundle_export_checks_bundle_id_and_export_options():
    git = {"rc": 0, "stdout_lines": ["0123456789abcdef", "Fix churn"], "stderr": ""}
    variables = dict(CONTRACT, dss_bundle_id=None, bundle_export_git=git, playbook_dir="/play")
    inputs = role_inputs(variables, "bundle_export")
    check = {"commit": None, "branch": None, "checkout_commit": "0123456789abcdef", "on_mismatch": "fail",
             "required": False}
    assert inputs["projects"] == [{"key": "CHURN"}] and inputs["checks"] == {"CHURN": check}
    assert inputs["git_dir"] == "/play" and inputs["decided_bundle_id"] == "g0123456789ab"
    assert inputs["export"] == {"bundle_id": "", "state": "exported", "node_type": "design",
                                "release_notes": "0123456789abcdef Fix churn"}
    # A commit the bulk read verified names the bundle, and its notes are the module's own.
    settled = {"settled": True, "verified": True, "bundle_id": "gfeedfeedfeed", "options": check}
    verified = role_inputs(dict(variables, bundle_export_node_read={"projects": {"CHURN": {"commit_check": settled}}},
                                bundle_export_commit_checks={"results": [{"skipped": True, "ansible_loop_var":
                                                                          "p", "p": {"key": "CHURN"}}]},
                                bundle_export_commit_bundle_id="gfeedfeedfeed", dss_commit_check="off",
                                bundle_export_bundle_id="gfeedfeedfeed", bundle_export_check_keys=["A", "B"]),
                           "bundle_export")
    assert verified["verified_ids"] == ["gfeedfeedfeed"] and verified["checks"] == {"A": None, "B": None}
    assert "release_notes" not in verified["export"] and verified["export"]["bundle_id"] == "gfeedfeedfeed"
    with pytest.raises(AnsibleFilterError, match="bundle_export needs"):
        role_inputs({"dss_url": "u", "dss_api_key": "k", "dss_projects": [{"name": "x"}]}, "bundle_export")


def test_project_as_code_shares_the_node_and_the_project():
    inputs = role_inputs({"project_as_code_url": "https://n", "dss_api_key": "k",
                          "project_as_code_description": {"project": {"key": "SHOP"}}}, "project_as_code")
    assert inputs["module_defaults"] == {"url": "https://n", "api_key": "k", "validate_certs": True,
                                         "project_key": "SHOP"}
    with pytest.raises(AnsibleFilterError, match="unknown role"):
        role_inputs({}, "nope")


def test_node_connection_from_a_node_or_host_variables():
    assert node_connection(DESIGN) == {"url": "https://dev", "api_key": "k-dev", "validate_certs": False}
    assert node_connection({"dss_url": "u", "dss_api_key": "k", "dss_ca_path": ""}, "dss_") == {
        "url": "u", "api_key": "k", "validate_certs": True}
    with pytest.raises(AnsibleFilterError, match="needs dss_api_key"):
        node_connection({"dss_url": "u"}, "dss_")


def test_module_options_keep_the_module_keys_only():
    dataset = {"name": "orders", "type": "Filesystem", "schema": None, "comment": "not an option"}
    assert module_options(dataset, "dataiku_dataset") == {"name": "orders", "type": "Filesystem", "schema": None}
    check = {"commit": None, "branch": "", "checkout_commit": "abc", "on_mismatch": "fail", "required": False}
    assert module_options(check, "dataiku_project_git", {"project_key": "CHURN"}) == {
        "checkout_commit": "abc", "on_mismatch": "fail", "required": False, "project_key": "CHURN"}
    with pytest.raises(AnsibleFilterError, match="unknown module"):
        module_options({}, "dataiku_nothing")


def test_command_output():
    assert command_output("abc\nsubject\nrc=0") == {"rc": 0, "stdout_lines": ["abc", "subject"], "stderr": ""}
    assert command_output("fatal: not a git repository\nrc=128") == {
        "rc": 128, "stdout_lines": [], "stderr": "fatal: not a git repository"}
    with pytest.raises(AnsibleFilterError):
        command_output("no status line")


def test_promotion_gate_of_host():
    variables = {"inventory_hostname": "prod-CHURN", "dss_design_host": "dev-CHURN", "dss_project_key": "CHURN",
                 "promote_bundle_id": "g1", "dss_gate_env": "staging", "dss_all_or_nothing": "true",
                 "groups": {"all": ["prod-CHURN", "staging-CHURN"]}}
    assert promotion_gate_of_host(variables, {"read": {"CHURN": ACTIVE}, "expected": ["CHURN"]}) == {
        "host": "prod-CHURN", "design_host": "", "project_key": "CHURN", "bundle_id": "g1", "env": "staging",
        "read": {"CHURN": ACTIVE}, "expected": ["CHURN"], "all_or_nothing": True}
