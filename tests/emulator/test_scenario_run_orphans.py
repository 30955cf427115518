"""A run is reported ABORTED ("the node stopped during the run") only when its executing thread is really gone.

The thread stores the result, then leaves the set of live runs: a poll that read the run just before the result was
stored and checks liveness just after must still not see an orphan (this race once turned a FAILED smoke run into
ABORTED in CI)."""

import base64
import copy

# pylint: disable=protected-access

from tests.dss_emulator.app import create_app
from tests.dss_emulator.routes import scenario_runs as runs


def test_a_run_that_ended_between_read_and_liveness_check_is_not_aborted(tmp_path):
    app = create_app(str(tmp_path))
    with app.app_context():
        st = app.config["STORE"]
        doc = {"scenarioRun": {"runId": "r1", "start": 1, "end": 0, "scenario": {"projectKey": "P", "id": "S"}},
               "stepRuns": [], "stepLogs": {}}
        st.put("scenario_run", "P", "S/r1", doc)
        stale = copy.deepcopy(doc)           # what a poll read while the run was under way
        runs._live.add("S/r1")
        assert not runs._orphan(stale), "a live run is no orphan"
        doc["scenarioRun"]["result"] = {"outcome": "FAILED"}
        doc["scenarioRun"]["end"] = 2
        st.put("scenario_run", "P", "S/r1", doc)   # the thread stores the result...
        runs._live.discard("S/r1")                 # ...then leaves
        assert not runs._orphan(stale), "a run that ended after the read was taken for an orphan"
        st.put("scenario_run", "P", "S/r2", dict(stale, scenarioRun=dict(stale["scenarioRun"], runId="r2")))
        assert runs._orphan(st.get("scenario_run", "P", "S/r2")), "a stored running run with no thread is an orphan"


def test_a_run_orphaned_by_a_node_kill_reads_aborted_in_the_testing_status(tmp_path):
    """After a node restart, a test run the kill left without a result counts as ABORTED in the bundle's testing
    status and its JUnit report (no HTTP 500), as the scenario-run reads show it."""
    app = create_app(str(tmp_path), node_type="AUTOMATION")
    with app.app_context():
        st = app.config["STORE"]
        st.put("project", "", "P", {"projectKey": "P", "name": "P", "owner": "admin"})
        # A test run under way when the node was killed: stored without a result, and no thread runs it any more.
        st.put("scenario_run", "P", "TEST_X/r1", {"activeBundleId": "b1", "stepRuns": [], "stepLogs": {},
               "scenarioRun": {"runId": "r1", "start": 1, "end": 0, "scenario": {"projectKey": "P", "id": "TEST_X"}}})
    auth = {"Authorization": "Basic " + base64.b64encode(b"secret:").decode()}
    client = app.test_client()
    status = client.get("/public/api/projects/P/scenarios/testing-status?bundleId=b1", headers=auth)
    assert status.status_code == 200, (status.status_code, status.data[:300])
    assert status.get_json() == {"nbTotalRanScenarios": 1, "nbScenariosPerOutcome": {"ABORTED": 1}}, status.get_json()
    report = client.get("/public/api/projects/P/scenarios/last-test-scenario-runs-report?bundleId=b1", headers=auth)
    assert report.status_code == 200 and b'type="ABORTED"' in report.data, report.data[:300]
