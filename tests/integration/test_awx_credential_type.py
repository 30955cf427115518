"""The AWX credential type of playbooks/awx/files/ injects what the collection needs, and nothing leaks.

AWX is not available here: tests.support.awx_injection renders the injectors as AWX does, then real ansible-playbook
runs get only what AWX would give a job (env vars, an extra-vars file)."""

import os

import yaml

from tests.support import awx_injection
from tests.support.collection import ROOT

NODE_TYPE = "Dataiku DSS node"
SOURCE_TYPE = "Dataiku DSS bundle source"


def test_credential_types_are_valid_for_awx():
    types = awx_injection.credential_types()
    assert set(types) == {NODE_TYPE, SOURCE_TYPE}
    for cred_type in types.values():
        awx_injection.validate(cred_type)
        assert cred_type["kind"] == "cloud"
        secrets = {f["id"] for f in cred_type["inputs"]["fields"] if f.get("secret")}
        assert secrets == {"api_key"}
        assert set(cred_type["inputs"]["required"]) == {"url", "api_key"}
    fields = {f["id"]: f for f in types[NODE_TYPE]["inputs"]["fields"]}
    assert fields["validate_certs"]["type"] == "boolean" and fields["validate_certs"]["default"] is True
    assert fields["ca"]["multiline"] is True and fields["ca"]["secret"] is False
    assert set(types[NODE_TYPE]["injectors"]["env"]) == {"DATAIKU_URL", "DATAIKU_API_KEY", "DATAIKU_VALIDATE_CERTS",
                                                         "DATAIKU_CA_PATH"}
    # the names tasks/deploy_bundle.yml reads for the design node when it is not part of the run
    assert set(types[SOURCE_TYPE]["injectors"]["env"]) == {"DSS_DEV_URL", "DSS_DEV_API_KEY"}


def test_ca_is_injected_as_a_file_only_when_given(tmp_path):
    cred_type = awx_injection.credential_types()[NODE_TYPE]
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    env, extra_vars, files = awx_injection.inject(
        cred_type, {"url": "https://dss", "api_key": "k" * 20, "validate_certs": True, "ca": pem}, tmp_path / "a")
    with open(env["DATAIKU_CA_PATH"], encoding="utf-8") as fh:
        assert fh.read() == pem
    assert extra_vars["dss_ca_path"] == env["DATAIKU_CA_PATH"] == files["template.ca"]
    assert env["DATAIKU_VALIDATE_CERTS"] == "True"
    env, extra_vars, files = awx_injection.inject(cred_type, {"url": "https://dss", "api_key": "k" * 20}, tmp_path / "b")
    assert env["DATAIKU_CA_PATH"] == extra_vars["dss_ca_path"] == ""
    # AWX injects a boolean missing from the credential as False: configure.yml always sets validate_certs.
    assert env["DATAIKU_VALIDATE_CERTS"] == "False"


def test_module_runs_from_the_injected_environment_only(design_node, playbook, tmp_path):
    cred_type = awx_injection.credential_types()[NODE_TYPE]
    env, _extra, _files = awx_injection.inject(
        cred_type, {"url": design_node.url, "api_key": design_node.api_key, "validate_certs": True, "ca": ""},
        tmp_path / "private")
    result = playbook(tasks=[{"name": "list projects", "dataiku_gitops.dss.dataiku_project_info": {},
                              "register": "found"}],
                      env=env, args=("-vvv",))
    assert result.rc == 0, result
    task = result.task("list projects")
    assert task["status"] == "ok" and isinstance(task["result"]["projects"], list)
    assert design_node.api_key not in result.output


def test_shipped_playbook_uses_the_credential_over_inventory_defaults(design_node, playbook, tmp_path):
    """Under AWX the inventory's dss_url default (a local emulator port) must give way to the credential's URL."""
    cred_type = awx_injection.credential_types()[NODE_TYPE]
    env, extra_vars, _files = awx_injection.inject(
        cred_type, {"url": design_node.url, "api_key": design_node.api_key, "validate_certs": True},
        tmp_path / "private")
    extra_file = tmp_path / "private" / "env" / "extravars_cred"
    extra_file.write_text(yaml.safe_dump(extra_vars))
    with open(os.path.join(ROOT, "playbooks", "status.yml"), encoding="utf-8") as fh:
        status_playbook = fh.read()
    result = playbook(playbook=status_playbook, inventory=os.path.join(ROOT, "inventories", "dev"),
                      env=env, args=("-e", "@%s" % extra_file))
    assert result.rc == 0, result
    reads = [t for t in result.tasks if t["action"].endswith(("dataiku_bundle_info", "dataiku_bundle_state_info"))]
    assert reads and all(t["status"] == "ok" for t in reads), result
    assert design_node.api_key not in result.output
