"""Build jobs (client: dataikuapi/dss/job.py, dataset.py): `dataset.build()`, `project.start_job()`, job status, log, list, abort.

A job runs when it starts: Python recipes for real (python_process, before the answer), the other recipes by the
scenario_engine rules over the current flow and connections; it then reads as RUNNING until
scenario_engine.RUNNING_MS after its start at least, then DONE or FAILED. Scenario build steps record their jobs
here too. Stored doc (kind `job`, scope = project key, id = job id): {def, outcome: DONE|FAILED|ABORTED,
startTime, endTime, thrown?, log?: [lines of the recipes run]}. Reads never write.
"""

from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify

from ..errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from ..flow_lookup import StoreLookup
from ..scenario_engine import RUNNING_MS, build_result, thrown
from ..web import body_json, current_user, node_context, now_ms, require_project, store

bp = Blueprint("jobs", __name__)

DEFAULT_JOB_TYPE = "NON_RECURSIVE_FORCED_BUILD"


def _job_id(key, first_output, start):
    """[INF] DSS-like ids: Build_<output>_<UTC time>; unique within the project."""
    stamp = datetime.fromtimestamp(start / 1000.0, timezone.utc)
    base = "Build_%s_%s" % (first_output or "job", stamp.strftime("%Y-%m-%dT%H-%M-%S.") + "%03d" % (start % 1000))
    job_id, n = base, 1
    while store().get("job", key, job_id) is not None:
        job_id, n = "%s_%d" % (base, n), n + 1
    return job_id


def log_time(ms):
    """DSS log line time: yyyy-MM-dd HH:mm:ss,SSS (UTC here)."""
    stamp = datetime.fromtimestamp(ms / 1000.0, timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (ms % 1000)


def record_job(key, job_type, outputs, outcome, failure, start, end, triggered_from="API", log=()):
    """Store a build job over `outputs` [(project, dataset)] that ends with outcome SUCCESS|FAILED; returns its id."""
    job_id = _job_id(key, outputs[0][1] if outputs else None, start)
    definition = {"id": job_id, "projectKey": key, "type": job_type, "name": job_id,
                  "outputs": [{"type": "DATASET", "projectKey": p, "id": n, "partition": None} for p, n in outputs],
                  "initiator": current_user(), "triggeredFrom": triggered_from}
    doc = {"def": definition, "outcome": "DONE" if outcome == "SUCCESS" else "FAILED",
           "startTime": start, "endTime": end}
    if failure:
        doc["thrown"] = failure
    if log:
        doc["log"] = list(log)
    store().put("job", key, job_id, doc)
    return job_id


def _state(doc, now):
    return "RUNNING" if now < doc["endTime"] and doc["outcome"] != "ABORTED" else doc["outcome"]


def _status(doc, now):
    state = _state(doc, now)
    done = state != "RUNNING"
    base = {"def": doc["def"], "state": state, "jobStartTime": doc["startTime"],
            "jobEndTime": doc["endTime"] if done else 0}
    if done and doc.get("thrown"):
        base["thrown"] = doc["thrown"]
    total = len(doc["def"]["outputs"])
    return {"baseStatus": base,
            "globalState": {"total": total, "done": total if state == "DONE" else 0,
                            "failed": total if state == "FAILED" else 0, "running": 0 if done else total,
                            "aborted": total if state == "ABORTED" else 0, "notStarted": 0, "warnings": 0}}


def _list_item(doc, now):
    state = _state(doc, now)
    return {"def": doc["def"], "projectKey": doc["def"]["projectKey"], "jobId": doc["def"]["id"], "state": state,
            "startTime": doc["startTime"], "endTime": 0 if state == "RUNNING" else doc["endTime"]}


def _get(key, job_id):
    require_project(key)
    doc = store().get("job", key, job_id)
    if doc is None:
        raise DSSError("Job %s.%s does not exist" % (key, job_id), NOT_FOUND, 404)
    return doc


def _outputs(key, definition):
    """(project, dataset) of the DATASET outputs (`dataset.build()` sends type null, meaning DATASET)."""
    items = definition.get("outputs")
    if not isinstance(items, list) or not items:
        raise DSSError("A job needs at least one output", ILLEGAL_ARGUMENT, 400)
    outputs = []
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            raise DSSError("Each job output needs an id", ILLEGAL_ARGUMENT, 400)
        if (item.get("type") or "DATASET") == "DATASET":
            outputs.append((item.get("projectKey") or key, item["id"]))
    return outputs


@bp.post("/projects/<key>/jobs")
def start_job(key):
    definition = body_json({})
    if not isinstance(definition, dict):
        raise DSSError("A job definition must be a JSON object", ILLEGAL_ARGUMENT, 400)
    require_project(key)
    outputs = _outputs(key, definition)
    job_type = definition.get("type") or DEFAULT_JOB_TYPE
    start = now_ms()
    # Outside any store transaction: recipe code may call this node's API (dataiku.api_client()).
    outcome, failure, log = build_result(StoreLookup(node_context()), outputs, job_type)
    with store().transaction():
        require_project(key)
        job_id = record_job(key, job_type, outputs, outcome, failure, start, max(now_ms(), start + RUNNING_MS),
                            log=log)
    return jsonify({"id": job_id, "projectKey": key})


@bp.get("/projects/<key>/jobs")
def list_jobs(key):
    require_project(key)
    now = now_ms()
    return jsonify([_list_item(d, now) for d in reversed(store().list("job", key))])


@bp.get("/projects/<key>/jobs/running")
def list_running_jobs(key):
    require_project(key)
    now = now_ms()
    return jsonify([_list_item(d, now) for d in reversed(store().list("job", key)) if _state(d, now) == "RUNNING"])


@bp.get("/projects/<key>/jobs/<job_id>")
def job_status(key, job_id):
    return jsonify(_status(_get(key, job_id), now_ms()))


@bp.get("/projects/<key>/jobs/<job_id>/log")
def job_log(key, job_id):
    doc = _get(key, job_id)
    state = _state(doc, now_ms())
    lines = ["[%s] [INFO] [dku.job] - Job %s started (%s)" % (log_time(doc["startTime"]), job_id, doc["def"]["type"])]
    lines += ["[%s] [INFO] [dku.job] - Building %s.%s" % (log_time(doc["startTime"]), o["projectKey"], o["id"])
              for o in doc["def"]["outputs"]]
    if state != "RUNNING":
        lines += ["[%s] [INFO] [dku.job.python] - %s" % (log_time(doc["endTime"]), line) for line in doc.get("log", [])]
        if doc.get("thrown"):
            failure = (log_time(doc["endTime"]), doc["thrown"]["clazz"], doc["thrown"]["message"])
            lines.append("[%s] [ERROR] [dku.job] - %s: %s" % failure)
        lines.append("[%s] [INFO] [dku.job] - Job %s ended: %s" % (log_time(doc["endTime"]), job_id, state))
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.post("/projects/<key>/jobs/<job_id>/abort")
def abort_job(key, job_id):
    """Aborting a job that already ended does nothing (and writes nothing)."""
    st = store()
    with st.transaction():
        doc = _get(key, job_id)
        now = now_ms()
        if _state(doc, now) == "RUNNING":
            aborted = thrown("com.dataiku.dip.exceptions.AbortedException", "Job aborted by %s" % current_user())
            doc.update(outcome="ABORTED", endTime=now, thrown=aborted)
            st.put("job", key, job_id, doc)
    return jsonify({})
