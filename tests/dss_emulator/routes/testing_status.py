"""Per-bundle testing status and last test-scenario runs report (client: DSSProject.get_testing_status in dataikuapi/dss/project.py), from the runs' records.

`bundleId` absent: the active bundle (on a design node, runs made with no bundle active). An unknown bundle id
has no runs, so it answers an empty status rather than an error [INF].
"""

from flask import Blueprint, Response, jsonify, request

from .scenario_runs import run_as_seen
from ..test_record import active_bundle_id, junit_report, last_test_runs, testing_status
from ..web import now_ms, require_project, store

bp = Blueprint("testing_status", __name__)


def _runs(key):
    require_project(key)
    st = store()
    bundle_id = request.args.get("bundleId") or active_bundle_id(st, key)
    return last_test_runs(st, key, bundle_id, now_ms(), seen=run_as_seen)


@bp.get("/projects/<key>/scenarios/testing-status")
def get_testing_status(key):
    return jsonify(testing_status(_runs(key)))


@bp.get("/projects/<key>/scenarios/last-test-scenario-runs-report")
def last_test_scenario_runs_report(key):
    return Response(junit_report(key, _runs(key)), mimetype="application/xml")
