"""Certification by the per-bundle test record."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.testing_status import passes, problem, summary


@pytest.mark.parametrize("raw,strict,expected", [
    ({"nbTotalRanScenarios": 2, "nbScenariosPerOutcome": {"SUCCESS": 2}}, False, True),
    ({"nbTotalRanScenarios": 2, "nbScenariosPerOutcome": {"SUCCESS": 1, "WARNING": 1}}, False, True),
    ({"nbTotalRanScenarios": 2, "nbScenariosPerOutcome": {"SUCCESS": 1, "WARNING": 1}}, True, False),
    ({"nbTotalRanScenarios": 2, "nbScenariosPerOutcome": {"SUCCESS": 1, "FAILED": 1}}, False, False),
    ({"nbTotalRanScenarios": 0, "nbScenariosPerOutcome": {}}, False, False),
    ({}, False, False),
    ({"nbTotalRanScenarios": 1, "nbScenariosPerOutcome": {"SUCCESS": 0}}, False, False),
])
def test_passes(raw, strict, expected):
    assert passes(raw, strict) is expected


def test_problem_says_why():
    assert problem({"nbTotalRanScenarios": 0}, "b1") == "no test scenario has run while bundle b1 was active"
    assert "FAILED x1" in problem({"nbTotalRanScenarios": 1, "nbScenariosPerOutcome": {"FAILED": 1}}, "b1")
    assert problem({"nbTotalRanScenarios": 1, "nbScenariosPerOutcome": {"SUCCESS": 1}}, "b1") is None
    assert summary({"nbTotalRanScenarios": "x"}) == {"nb_ran": 0, "outcomes": {}}
