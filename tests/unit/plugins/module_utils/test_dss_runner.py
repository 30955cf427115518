"""Utilities raise, one runner fails: ``dss_errors`` raises DssError (never exits by itself), ``DssModule.run`` turns
it into the failed result with the keys the error carries and the secrets masked, and ``write_once`` still gets the
transient failures of a write attempt back, also from a ``dss_errors`` block inside the write."""

# pylint: disable=redefined-outer-name,unused-import
import pytest
import requests

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated, run_module

SECRET = "s3cr3t-api-key-value"


def _main(body):
    def main():
        module = DssModule(argument_spec={})
        module.run(body, module)
    return main


def test_dss_errors_raises_and_the_runner_reports_it_with_its_keys_masked(emulated, capsys):
    node = emulated("design")
    seen = {}

    def body(module):
        module.no_log_values.add(SECRET)
        with pytest.raises(DssError) as raised:
            with module.dss_errors("read the thing"):
                raise requests.exceptions.ConnectionError("[Errno 111] Connection refused")
        seen["msg"] = raised.value.msg
        raise DssError("Could not use %s" % SECRET, lock={"owner": "run-1"}).add(lock="ignored", steps=[])

    failed, result = run_module(_main(body), capsys, node, secrets=(SECRET,))
    assert seen["msg"] == "Could not connect to DSS at %s to read the thing: [Errno 111] Connection refused" % node.url
    assert failed and result["msg"] == "Could not use ********"
    assert result["lock"] == {"owner": "run-1"} and result["steps"] == []


def test_write_once_gets_back_a_transient_failure_of_a_nested_dss_errors_block(emulated, capsys):
    node = emulated("design")
    attempts = []

    def write(module):
        attempts.append(1)
        with module.dss_errors("send the write"):
            if len(attempts) == 1:
                raise requests.exceptions.ConnectionError("connection reset in transit")
        return "written"

    def body(module):
        outcome = module.write_once("write the thing", lambda: write(module), happened=lambda: False)
        module.exit_json(changed=True, outcome=outcome, attempts=len(attempts))

    failed, result = run_module(_main(body), capsys, node, retries=1)
    assert not failed, result
    assert (result["outcome"], result["attempts"]) == ("written", 2)


def test_write_once_reports_a_non_transient_failure_at_once(emulated, capsys):
    node = emulated("design")

    def body(module):
        module.write_once("write the thing", lambda: int("not a number"), happened=lambda: pytest.fail("no re-read"))

    failed, result = run_module(_main(body), capsys, node, retries=3)
    assert failed and result["msg"].startswith("Unexpected answer from %s while trying to write the thing" % node.url)
