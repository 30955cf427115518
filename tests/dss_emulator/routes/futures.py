"""Futures: GET /futures/{jobId} (peek or not), DELETE (abort), GET /futures/ (list) (client: dataikuapi/dss/future.py)."""

from flask import Blueprint, jsonify

from ..future_store import get_future, raise_if_failed, state_of
from ..web import qbool, store

bp = Blueprint("futures", __name__)


@bp.get("/futures/<job_id>")
def get_state(job_id):
    doc = get_future(job_id)
    raise_if_failed(doc)
    # [INF] a peek of a finished future also carries the result: dataikuapi's wait_for_result() returns
    # state["result"] straight from a peeked state, so leaving it out would hand callers None.
    return jsonify(state_of(doc))


@bp.delete("/futures/<job_id>")
def abort(job_id):
    # Every emulated future has already finished when it can be addressed; aborting a finished task is a no-op.
    get_future(job_id)
    return jsonify({})


@bp.get("/futures")
def list_futures():
    with_scenarios = qbool("withScenarios", False)
    with_others = qbool("withNotScenarios", True)
    out = []
    for doc in store().list("future"):
        if (with_scenarios if doc.get("isScenario") else with_others):
            item = state_of(doc)
            if doc["status"] != "DONE":
                item.pop("result", None)
            out.append(item)
    return jsonify(out)
