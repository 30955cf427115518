"""The sample CHURN project (make demo, promotion tests), written like a real one (DSS's recipe template with pandas,
a managed folder, a Python test step using dataiku.scenario), passes its smoke test and fails it the way users'
projects do: a failing assert in the Python test step, a recipe pinned to a missing code env, a removed input.
Through the official client."""

import pytest
from dataikuapi.utils import DataikuException

from tests.support import sample_project


def _smoke(client):
    scenario = client.get_project(sample_project.PROJECT_KEY).get_scenario(sample_project.SMOKE_SCENARIO)
    run = scenario.run_and_wait(no_fail=True)
    return run, run.get_details()


def _scores(client):
    project = client.get_project(sample_project.PROJECT_KEY)
    check = project.create_scenario("Read scores", "custom_python", definition={"id": "READ_SCORES"})
    settings = check.get_settings()
    settings.code = ("import dataiku\nprint(sorted((r['customer_id'], r['churn_score']) for r in "
                     "dataiku.Dataset('churn_scores').iter_rows()))\n")
    settings.save()
    log = check.run_and_wait().get_log()
    check.delete()
    return log


def test_smoke_passes_then_fails_on_an_assert_a_missing_code_env_and_a_removed_input(design):
    client = design.client()
    sample_project.seed_design_project(client)
    run, details = _smoke(client)
    assert run.outcome == "SUCCESS", details.first_error_details
    assert [s["step"]["name"] for s in details.steps] == ["Build churn_scores", "Check the churn scores"]
    # The recipe really ran on the loaded customers with the project variable (30 days).
    assert "[(1, 0.0), (2, 1.0), (3, 0.0), (4, 1.0)]" in _scores(client)
    project = client.get_project(sample_project.PROJECT_KEY)
    reports = project.get_managed_folder(project.list_managed_folders()[0]["id"])
    assert reports.get_file("/smoke/at_risk.txt").content == b"2 of 4 customers at risk\n"

    sample_project.change_variable(client, 60)
    assert _smoke(client)[0].outcome == "SUCCESS"
    assert "[(1, 0.0), (2, 0.0), (3, 0.0), (4, 1.0)]" in _scores(client)

    sample_project.break_scores(client)
    run, details = _smoke(client)
    assert run.outcome == "FAILED" and [s.outcome for s in details.steps] == ["SUCCESS", "FAILED"]
    assert details.first_error_details["message"] == (
        "Error in Python process: At line 6: <class 'AssertionError'>: "
        "churn scores must be within [0, 1]: [0.0, 0.0, 0.0, 100.0]")

    sample_project.break_code_env(client)
    run, details = _smoke(client)
    assert run.outcome == "FAILED" and [s.outcome for s in details.steps] == ["FAILED"]
    assert details.first_error_details["message"] == "PYTHON env %s doesn't exist" % sample_project.MISSING_CODE_ENV

    sample_project.break_flow(client)
    run, details = _smoke(client)
    assert run.outcome == "FAILED" and [s.outcome for s in details.steps] == ["FAILED"]
    assert details.first_error_details["message"] == ("Broken flow: recipe CHURN.compute_churn_scores reads dataset "
                                                      "CHURN.customers, which does not exist")
    with pytest.raises(DataikuException, match="Scenario run returned status FAILED"):
        client.get_project(sample_project.PROJECT_KEY).get_scenario(sample_project.SMOKE_SCENARIO).run_and_wait()
