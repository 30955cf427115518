"""Unit tests of the filter awx_objects (plugins/plugin_utils/_filters/awx_objects.py,
plugins/plugin_utils/awx_objects.py): what playbooks/awx/configure.yml creates on AWX, from its variables and the DSS_*
environment."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.awx_objects import awx_objects
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.awx_objects import AwxInputError, build, node_inputs

ENVIRON = {"DSS_AWX_SCM_URL": "https://git.example.com/dss.git",
           "DSS_DEV_URL": "https://dev", "DSS_DEV_API_KEY": "key-dev",
           "DSS_STAGING_URL": "https://staging", "DSS_STAGING_API_KEY": "key-staging",
           "DSS_PROD_URL": "https://prod", "DSS_PROD_API_KEY": "key-prod"}


def _by_name(objects):
    return {o["name"]: o for o in objects}


def test_defaults_build_the_documented_objects():
    objects = awx_objects({}, ENVIRON)
    assert objects["controller"] == {} and objects["execution_environments"] == []
    assert objects["project"] == {
        "name": "DSS GitOps project", "organization": "Default", "scm_type": "git",
        "scm_url": "https://git.example.com/dss.git", "scm_branch": "main", "scm_update_on_launch": True,
        "wait": True, "state": "present"}
    assert [i["name"] for i in objects["inventories"]] == ["DSS dev", "DSS staging", "DSS prod"]
    assert [s["source_path"] for s in objects["inventory_sources"]] == [
        "inventories/dev/hosts.yml", "inventories/staging/hosts.yml", "inventories/prod/hosts.yml"]
    assert [t["name"] for t in objects["job_templates"]] == [
        "DSS export dev", "DSS plan export dev", "DSS deploy staging", "DSS plan deploy staging", "DSS deploy prod",
        "DSS plan deploy prod", "DSS rollback staging", "DSS rollback prod"]
    credentials = _by_name(objects["credentials"])
    assert credentials["DSS staging node"]["inputs"] == {
        "url": "https://staging", "api_key": "key-staging", "validate_certs": True, "ca": ""}
    # the bundle source is the design (first) environment's node
    assert credentials["DSS bundle source"]["inputs"] == {"url": "https://dev", "api_key": "key-dev"}
    assert all(c["update_secrets"] is False and c["state"] == "present" for c in credentials.values())


def test_variables_override_defaults_and_the_image_becomes_every_default_environment():
    objects = awx_objects({"dss_awx_organization": "Data", "dss_awx_scm_url": "https://other.git",
                           "dss_awx_scm_credential": "git ro", "dss_awx_ee_image": "registry/dss-ee:1",
                           "dss_awx_update_secrets": "true", "dss_awx_approval_timeout": "600",
                           "dss_awx_controller_host": "https://awx", "dss_awx_controller_token": "",
                           "dss_awx_controller_validate_certs": False}, ENVIRON)
    assert objects["controller"] == {"controller_host": "https://awx", "validate_certs": False}
    assert objects["execution_environments"] == [{
        "name": "DSS Dataiku EE", "image": "registry/dss-ee:1", "organization": "Data", "pull": "missing",
        "description": "dataiku_gitops.dss with dataiku-api-client (built from extensions/ee)", "state": "present"}]
    project = objects["project"]
    assert (project["scm_url"], project["scm_credential"], project["default_environment"]) == \
        ("https://other.git", "git ro", "DSS Dataiku EE")
    assert {s["execution_environment"] for s in objects["inventory_sources"]} == {"DSS Dataiku EE"}
    assert {t["execution_environment"] for t in objects["job_templates"]} == {"DSS Dataiku EE"}
    assert {t["organization"] for t in objects["job_templates"]} == {"Data"}
    assert all(c["update_secrets"] is True for c in objects["credentials"])
    approvals = [n["unified_job_template"] for n in objects["workflow"]["workflow_nodes"]
                 if n["unified_job_template"]["type"] == "workflow_approval"]
    assert [a["timeout"] for a in approvals] == [600, 600]
    # without an image nothing names one (omitted, not empty)
    plain = awx_objects({}, ENVIRON)
    assert "default_environment" not in plain["project"] and "scm_credential" not in plain["project"]
    assert not any("execution_environment" in t for t in plain["job_templates"] + plain["inventory_sources"])


def test_image_and_git_url_fall_back_to_the_environment():
    objects = awx_objects({"dss_awx_ee_image": ""}, dict(ENVIRON, DSS_AWX_EE_IMAGE="registry/ee:2"))
    assert objects["execution_environments"][0]["image"] == "registry/ee:2"
    assert objects["project"]["scm_url"] == ENVIRON["DSS_AWX_SCM_URL"]


def test_other_environments_chain_in_the_order_given():
    environ = {"DSS_AWX_SCM_URL": "u", "DSS_DESIGN_URL": "https://d", "DSS_DESIGN_API_KEY": "kd",
               "DSS_QA_URL": "https://q", "DSS_QA_API_KEY": "kq", "DSS_LIVE_URL": "https://l", "DSS_LIVE_API_KEY": "kl"}
    objects = awx_objects({"dss_awx_environments": ["design", "qa", "live"]}, environ)
    workflow = objects["workflow"]
    nodes = workflow["workflow_nodes"]
    assert [n["identifier"] for n in nodes] == ["export-design", "approve-qa", "deploy-qa", "approve-live",
                                                "deploy-live"]
    assert [n.get("related", {}).get("success_nodes") for n in nodes] == [
        [{"identifier": "approve-qa"}], [{"identifier": "deploy-qa"}], [{"identifier": "approve-live"}],
        [{"identifier": "deploy-live"}], None]
    assert [n["unified_job_template"].get("description") for n in nodes[1::2]] == [
        "Deploy the bundle exported on design to qa?", "Deploy the bundle that passed qa to live?"]
    assert workflow["description"] == "Export on design, then deploy the same bundle to qa and live, each behind an " \
                                      "approval."
    templates = _by_name(objects["job_templates"])
    assert templates["DSS deploy live"]["credentials"] == ["DSS live node", "DSS bundle source"]
    assert templates["DSS deploy live"]["inventory"] == "DSS live"
    assert _by_name(objects["credentials"])["DSS bundle source"]["inputs"]["url"] == "https://d"


def test_missing_inputs_are_all_named_without_secrets():
    environ = dict(ENVIRON, DSS_AWX_SCM_URL="", DSS_STAGING_API_KEY="")
    del environ["DSS_PROD_URL"]
    with pytest.raises(AnsibleFilterError) as err:
        awx_objects({}, environ)
    message = str(err.value)
    assert message == ("awx_objects: Set DSS_AWX_SCM_URL (or -e dss_awx_scm_url=...) to the git URL of this "
                       "repository. Set DSS_STAGING_URL and DSS_STAGING_API_KEY for the staging DSS node. Set "
                       "DSS_PROD_URL and DSS_PROD_API_KEY for the prod DSS node.")
    assert "key-dev" not in message and "key-prod" not in message


@pytest.mark.parametrize("variables, expected", [
    ({"dss_awx_environments": ["dev"]}, "dss_awx_environments must list at least two distinct"),
    ({"dss_awx_environments": "dev,prod"}, "dss_awx_environments must list"),
    ({"dss_awx_environments": ["dev", "dev"]}, "dss_awx_environments must list"),
    ({"dss_awx_environments": ["dev", "pre prod"]}, "dss_awx_environments must list"),
    ({"dss_awx_update_secrets": "maybe"}, "dss_awx_update_secrets must be a boolean (true or false), not 'maybe'"),
    ({"dss_awx_approval_timeout": "a day"}, "dss_awx_approval_timeout must be a number of seconds"),
    ({"dss_awx_approval_timeout": -1}, "dss_awx_approval_timeout must be a number of seconds"),
])
def test_invalid_variables_name_what_is_allowed(variables, expected):
    with pytest.raises(AwxInputError) as err:
        build(variables, ENVIRON)
    assert expected in str(err.value)


def test_node_credential_reads_certificate_settings(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    environ = {"DSS_PROD_URL": "https://prod", "DSS_PROD_API_KEY": "k", "DSS_PROD_VALIDATE_CERTS": "false",
               "DSS_PROD_CA_FILE": str(pem)}
    assert node_inputs("prod", environ) == {"url": "https://prod", "api_key": "k", "validate_certs": False,
                                            "ca": pem.read_text()}
    # empty means the default (verify), like an unset variable
    assert node_inputs("prod", dict(environ, DSS_PROD_VALIDATE_CERTS="", DSS_PROD_CA_FILE=""))["validate_certs"] is True
    with pytest.raises(AwxInputError) as err:
        node_inputs("prod", dict(environ, DSS_PROD_CA_FILE=str(tmp_path / "absent.pem")))
    assert str(err.value).startswith("DSS_PROD_CA_FILE names %s, which cannot be read (" % (tmp_path / "absent.pem"))
    with pytest.raises(AwxInputError, match="DSS_PROD_VALIDATE_CERTS must be a boolean"):
        node_inputs("prod", dict(environ, DSS_PROD_VALIDATE_CERTS="sometimes"))
