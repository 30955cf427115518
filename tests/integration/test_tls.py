"""TLS through real ansible-playbook: certificates are verified by default, ca_path (or DATAIKU_CA_PATH) trusts a
private CA, and validate_certs=false is the explicit opt-out."""

import pytest

from tests.support.emulator import EmulatorNode
from tests.support.tls import make_ca_and_server_cert

INFO = "dataiku_gitops.dss.dataiku_project_info"


@pytest.fixture
def tls_node(tmp_path):
    ca, cert, key = make_ca_and_server_cert(str(tmp_path))
    node = EmulatorNode("design", tls=(cert, key))
    node.start()
    node.ca = ca
    yield node
    node.close()


def test_certificates_are_verified_by_default_and_ca_path_trusts_a_private_ca(tls_node, playbook):
    conn = dict(url=tls_node.url, api_key="{{ key }}")
    result = playbook(tasks=[
        {"name": "default", "ignore_errors": True, INFO: dict(conn)},
        {"name": "with ca_path", INFO: dict(conn, ca_path=tls_node.ca)},
        {"name": "opted out", INFO: dict(conn, validate_certs=False)},
    ], extra_vars={"key": tls_node.api_key})
    refused = result.task("default")
    assert tls_node.url.startswith("https://")
    assert refused["status"] == "ignored", result
    assert refused["result"]["msg"].startswith("TLS verification failed for %s" % tls_node.url)
    assert "[SSL: CERTIFICATE_VERIFY_FAILED]" in refused["result"]["msg"] and "Traceback" not in refused["result"]["msg"]
    assert result.task("with ca_path")["status"] == "ok"
    assert result.task("opted out")["status"] == "ok"
    assert tls_node.api_key not in result.output


def test_ca_path_and_validate_certs_from_the_environment(tls_node, playbook):
    task = {"name": "info", INFO: {}}
    trusted = playbook(tasks=[task], env={"DATAIKU_URL": tls_node.url, "DATAIKU_API_KEY": tls_node.api_key,
                                          "DATAIKU_CA_PATH": tls_node.ca})
    assert trusted.task("info")["status"] == "ok", trusted
    insecure = playbook(tasks=[task], env={"DATAIKU_URL": tls_node.url, "DATAIKU_API_KEY": tls_node.api_key,
                                           "DATAIKU_VALIDATE_CERTS": "false"})
    assert insecure.task("info")["status"] == "ok", insecure
    assert tls_node.api_key not in trusted.output + insecure.output
