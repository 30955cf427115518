"""The tests and certify steps of dataiku_bundle_deploy (option tests): input checks, retention planning and the
check-mode prediction, against a project of an emulated node in-process."""

# pylint: disable=redefined-outer-name,unused-import
from contextlib import contextmanager

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import deploy_tests as steps
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.certify import retention_plan
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy import argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runs import scenario_options
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import emulated


class Failed(Exception):
    pass


@pytest.fixture
def node(emulated):
    """An automation node with project CHURN; FakeModule talks to it with the official client."""
    automation = emulated("automation", FakeModule.url)
    automation.client().create_project("CHURN", "CHURN", "admin")
    automation.forget_calls()
    return automation


class FakeModule:
    """The part of DssModule the steps use (params, client, error context, fail_json)."""

    url = "https://dss-auto.example.com"
    check_mode = True

    def __init__(self, node, scenario_ids=(), keep_last=None, **tests):
        options = dict((name, spec.get("default")) for name, spec in scenario_options().items())
        options.update(tests)
        self.params = dict(lock_owner="run-1", keep_last=keep_last, warning_is_failure=False, tests=options)
        self.client = node.client()
        project = self.client.get_project("CHURN")
        for scenario_id in scenario_ids:
            project.create_scenario(scenario_id, "step_based", definition={"id": scenario_id})
        node.forget_calls()

    @contextmanager
    def dss_errors(self, _what, url=None):  # pylint: disable=unused-argument
        yield

    def fail_json(self, msg, **result):
        raise Failed(msg, result)


def plan(module, exists=True, ids=("b1", "b2"), to_activate=True, previous="b1"):
    return steps.TestAndCertify(module, "CHURN", "b2", previous, module.params["keep_last"]).plan(
        exists, list(ids), to_activate)


def test_retention_never_deletes_the_bundle_and_keeps_the_previous_one_when_there_is_room():
    assert retention_plan(["a", "b1"], "b2", 1, "b1") == (["a", "b1", "b2"], ["a", "b1"])
    assert retention_plan(["a", "b1"], "b2", 2, "b1") == (["a", "b1", "b2"], ["a"])
    assert retention_plan(["b2", "a", "b1"], "b2", 2, "b1") == (["b2", "a", "b1"], ["a"])
    assert retention_plan(["a", "b2"], "b2", None, "a") == (["a", "b2"], [])


def test_options_are_checked_with_their_full_name_and_keep_last_needs_a_positive_count(node):
    module = FakeModule(node, scenarios=["ok", "a/b"], scenario_timeout=0, keep_last=0)
    errors = steps.tests_option_errors(module.params)
    assert any(e.startswith("tests.scenarios[1]") for e in errors), errors
    assert "tests.scenario_timeout must be a positive number of seconds, got 0." in errors
    assert "keep_last must be 1 or more, got 0." in errors
    assert steps.tests_option_errors(dict(tests=None, keep_last=None)) == []


def test_the_tests_suboptions_are_the_scenario_run_options():
    spec = argument_spec()["tests"]
    assert spec["options"] == scenario_options() and spec["mutually_exclusive"] == [("scenarios", "prefix")]


def test_plan_predicts_the_selected_scenarios_and_the_retention_assuming_the_tests_pass(node):
    more, tests = plan(FakeModule(node, ["TEST_B", "OTHER", "TEST_A"], keep_last=1))
    assert [r["scenario_id"] for r in tests["results"]] == ["TEST_A", "TEST_B"]
    assert all(r["would_run"] for r in tests["results"]) and tests["junit_xml"] is None
    assert more[0] == {"name": "tests", "changed": True}
    assert more[1] == {"name": "certify", "changed": True, "certified": True, "record": None,
                       "deleted_bundle_ids": ["b1"], "lock_released": True,
                       "diff": {"before": {"bundle_ids": ["b1", "b2"]}, "after": {"bundle_ids": ["b2"]}}}
    assert steps.tests_view(tests) == {"summary": tests["summary"], "failed_scenarios": [], "junit_xml": None,
                                       "results": tests["results"]}
    assert steps.tests_view(None) is None


def test_plan_of_a_first_deployment_predicts_tests_without_reading_scenarios(node):
    module = FakeModule(node, ["TEST_A"])
    more, tests = plan(module, exists=False, ids=(), previous=None)
    assert node.calls() == []
    assert more[0]["changed"] is True and tests["results"] == []
    assert more[1]["changed"] is False and "diff" not in more[1]


def test_selection_error_fails_the_plan_only_when_the_scenarios_will_not_be_replaced(node):
    # Activating brings the bundle's own scenarios: none today is no reason to fail the plan, the tests run.
    module = FakeModule(node, ["OTHER"])
    more, _tests = plan(module, to_activate=True)
    assert more[0]["changed"] is True
    with pytest.raises(DssError) as failed:
        plan(module, to_activate=False, previous="b2")
    assert "No scenario of project CHURN" in failed.value.msg
    module.params["tests"]["if_no_scenarios"] = "ok"
    more, tests = plan(module, to_activate=False, previous="b2")
    assert more[0]["changed"] is False and tests["results"] == []
