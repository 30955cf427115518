"""A run is reported ABORTED ("the node stopped during the run") only when its executing thread is really gone.

The thread stores the result, then leaves the set of live runs: a poll that read the run just before the result was
stored and checks liveness just after must still not see an orphan (this race once turned a FAILED smoke run into
ABORTED in CI)."""

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
