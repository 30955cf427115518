"""Long-running tasks ("futures") as DSS reports them on GET /futures/{jobId}.

Every emulated task finishes inside the request that starts it, so a future is recorded already DONE (with a
result) or FAILED (with a DSS error). They stay queryable afterwards: callers such as Dataiku's CI/CD samples
read a state more than once. Other route modules record their futures through `record_done` / `record_failed`.

Stored doc (kind `future`, scope ""): {jobId, status: DONE|FAILED|ABORTED, payload, isScenario, startTime,
endTime, result | error}.
"""

from .errors import NOT_FOUND, DSSError
from .node import now_ms, store

FAILED_FUTURE = "com.dataiku.dip.futures.FutureFailedException"


def _new_job_id():
    # DSS job ids are short opaque strings; a persistent counter keeps them unique across restarts.
    return "emu-%06d" % store().next_number("future")


def record_done(payload, result, is_scenario=False):
    """Record a finished task and return its state as a start call returns it (jobId + hasResult + result)."""
    start = now_ms()
    doc = {"jobId": _new_job_id(), "status": "DONE", "payload": payload or {}, "isScenario": is_scenario,
           "startTime": start, "endTime": now_ms(), "result": result}
    store().put("future", "", doc["jobId"], doc)
    return state_of(doc)


def record_failed(payload, error, log_lines=(), is_scenario=False):
    """Record a task that ended with `error` (a DSSError); reading it later answers that error."""
    start = now_ms()
    doc = {"jobId": _new_job_id(), "status": "FAILED", "payload": payload or {}, "isScenario": is_scenario,
           "startTime": start, "endTime": now_ms(),
           "error": {"errorType": error.error_type, "message": error.message, "code": error.code,
                     "status": error.status, "logLines": list(log_lines)}}
    store().put("future", "", doc["jobId"], doc)
    return doc["jobId"]


def started_state(job_id):
    """What a start call answers for a task that failed: still "running" from the caller's view, so the error
    surfaces on the first GET /futures/{jobId} as DSS does."""
    return {"jobId": job_id, "alive": True, "hasResult": False, "aborted": False, "unknown": False,
            "progress": {"states": []}}


def get_future(job_id):
    doc = store().get("future", "", job_id)
    if doc is None:
        # The UI API answers {"unknown": true}; the public client would poll that forever, so answer an error.
        raise DSSError("Future %s does not exist (unknown job id)" % job_id, NOT_FOUND, 404)
    return doc


def raise_if_failed(doc):
    """A future without a result must be an HTTP error: dataikuapi never looks at `alive`."""
    if doc["status"] == "DONE":
        return
    err = doc.get("error") or {"errorType": FAILED_FUTURE, "message": "Future %s was aborted" % doc["jobId"],
                               "status": 500, "logLines": []}
    lines = err.get("logLines") or []
    raise DSSError(err["message"], err.get("errorType") or FAILED_FUTURE, err.get("status") or 500, err.get("code"),
                   extra={"logTail": {"totalLines": len(lines), "lines": lines, "status": []}})


def state_of(doc):
    """The state object of a DONE future (dsscli prints this shape for bundle-activate)."""
    return {
        "jobId": doc["jobId"],
        "alive": False,
        "aborted": doc["status"] == "ABORTED",
        "unknown": False,
        "hasResult": doc["status"] == "DONE",
        "result": doc.get("result"),
        "startTime": doc["startTime"],
        "runningTime": max(0, doc["endTime"] - doc["startTime"]),
        "progress": {"states": []},
        "payload": doc.get("payload") or {},
    }
