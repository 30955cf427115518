"""Scenario runs (client: dataikuapi/dss/scenario.py): fire the manual trigger, find the run it started, poll it, list, abort, log.

`POST .../run` records a running run (no `result`) and answers the trigger fire; a thread then executes the steps
(scenario_engine; Python for real through python_process), appending each step run as it ends, and writes the
result. The run reads as running until its steps are over and at least scenario_engine.RUNNING_MS after its start,
so `run_and_wait()` really polls; reads compute that view from the clock and never write. A manual run fired while
one is under way is cancelled (`cancelled: true`, kind `trigger_fire`), as DSS does. Stored doc (kind
`scenario_run`, scope = project key, id = "<scenario id>/<run id>"): {"scenarioRun", "stepRuns", "stepLogs":
{step run id: [output lines]}}.
"""

import threading

from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from .. import python_process
from ..errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from ..flow_lookup import StoreLookup
from .jobs import log_time, record_job
from ..scenario_engine import RUNNING_MS, run_scenario, thrown
from ..test_record import active_bundle_id
from ..web import body_json, current_user, node_context, now_ms, qbool, require_project, store

bp = Blueprint("scenario_runs", __name__)

MANUAL_TRIGGER = {"id": "manual", "type": "manual", "name": "Manual trigger"}  # [INF] what DSS names it
ABORTED = "com.dataiku.dip.exceptions.AbortedException"
_live = set()  # ids of the runs this process is executing; a stored running run not in it lost its process


def _scenario(key, scenario_id):
    require_project(key)
    scenario = store().get("scenario", key, scenario_id)
    if scenario is None:
        raise DSSError("Scenario %s.%s does not exist" % (key, scenario_id), NOT_FOUND, 404)
    return scenario


def _runs(key, scenario_id):
    """Stored runs of a scenario, newest first."""
    prefix = scenario_id + "/"
    ids = [i for i in store().ids("scenario_run", key) if i.startswith(prefix)]
    return [store().get("scenario_run", key, i) for i in reversed(ids)]


def _doc_id(run):
    return "%s/%s" % (run["scenario"]["id"], run["runId"])


def _orphan(doc):
    """A run stored as under way whose executing process is gone (the node stopped during the run).

    The executing thread stores the result and then leaves `_live`: a doc read just before that store must not be
    taken for an orphan once the thread has left, so a run not live is re-read before it is called one."""
    run = doc["scenarioRun"]
    if "result" in run or _doc_id(run) in _live:
        return False
    current = store().get("scenario_run", run["scenario"]["projectKey"], _doc_id(run))
    return current is not None and "result" not in current["scenarioRun"]


def _is_over(doc, now):
    return _orphan(doc) or ("result" in doc["scenarioRun"] and now >= doc["scenarioRun"]["end"])


def _aborted_result(run, end, message):
    return {"type": "SCENARIO_DONE", "outcome": "ABORTED", "start": run["start"], "end": end,
            "thrown": thrown(ABORTED, message)}


def _view(doc, now):
    """(scenarioRun, stepRuns) as a client sees them at `now`: while running, no result and only finished steps."""
    run, steps = doc["scenarioRun"], doc["stepRuns"]
    if _orphan(doc):
        end = max([run["start"]] + [s["end"] for s in steps])
        return dict(run, end=end, result=_aborted_result(run, end, "The node stopped during the run")), steps
    if _is_over(doc, now):
        return run, steps
    run = {k: v for k, v in run.items() if k != "result"}
    run["end"] = 0
    return run, [s for s in steps if s["end"] <= now]


def run_as_seen(doc, now):
    """The scenarioRun of a stored run as clients see it at ``now`` (for the testing status)."""
    return _view(doc, now)[0]


def is_running(key, scenario_id):
    """Whether a run of the scenario is under way (for the scenario list and light status)."""
    now = now_ms()
    return any(not _is_over(doc, now) for doc in _runs(key, scenario_id))


def _run_id(key, scenario_id, start):
    """DSS run ids are the start time, yyyy-MM-dd-HH-mm-ss-SSS; a later millisecond keeps them unique."""
    while True:
        stamp = datetime.fromtimestamp(start / 1000.0, timezone.utc)
        run_id = stamp.strftime("%Y-%m-%d-%H-%M-%S-") + "%03d" % (start % 1000)
        if store().get("scenario_run", key, "%s/%s" % (scenario_id, run_id)) is None:
            return run_id
        start += 1


def _step_run(key, run_id, index, step, result, start, end):
    step_run = {"runId": "%s_%d" % (run_id, index), "stepIndex": index,
                "step": {"id": step["id"], "name": step["name"], "type": step.get("type")},
                "start": start, "end": end,
                "result": {"type": "STEP_DONE", "outcome": result["outcome"], "start": start, "end": end},
                "additionalReportItems": []}
    if result["thrown"]:
        step_run["result"]["thrown"] = result["thrown"]
    build = result["build"]
    if build:
        job_id = record_job(key, build["jobType"], build["outputs"], build["outcome"], build["thrown"], start, end,
                            triggered_from="SCENARIO", log=build["log"])
        item = {"type": "JOB_EXECUTED", "jobId": job_id, "outcome": build["outcome"], "start": start, "end": end,
                "target": {"type": "DATASET", "projectKey": build["outputs"][0][0], "id": build["outputs"][0][1]}}
        if build["thrown"]:
            item["thrown"] = build["thrown"]
        step_run["additionalReportItems"].append(item)
    return step_run


def _new_run(key, scenario, params, trigger_run_id):
    """A run under way (no result, no step yet), as stored when the trigger fires."""
    start = now_ms()
    run_id = _run_id(key, scenario["id"], start)
    run = {"runId": run_id, "start": start, "end": 0,
           "scenario": {"projectKey": key, "id": scenario["id"], "name": scenario.get("name"),
                        "type": scenario.get("type"), "markedAsTest": bool(scenario.get("markedAsTest"))},
           "trigger": {"trigger": dict(MANUAL_TRIGGER), "runId": trigger_run_id, "timestamp": start,
                       "params": params},
           "runAsUser": {"login": current_user(), "realUserLogin": current_user()},
           "variables": {}}
    return {"scenarioRun": run, "stepRuns": [], "stepLogs": {}}


def _update(key, doc_id, change):
    """Apply change(doc) to a run still under way; False once it ended (aborted) or is gone (project deleted)."""
    st = store()
    with st.transaction():
        doc = st.get("scenario_run", key, doc_id)
        if doc is None or "result" in doc["scenarioRun"]:
            return False
        change(doc)
        st.put("scenario_run", key, doc_id, doc)
    return True


def _execute(key, scenario, payload, doc, lookup):
    """Run the steps, recording each step run as it ends, then the result (the run's executing thread)."""
    run_id, doc_id = doc["scenarioRun"]["runId"], _doc_id(doc["scenarioRun"])
    clock = [doc["scenarioRun"]["start"]]

    def on_step(step, result):
        end = max(now_ms(), clock[0])

        def add(current):
            step_run = _step_run(key, run_id, len(current["stepRuns"]), step, result, clock[0], end)
            current["stepRuns"].append(step_run)
            current["stepLogs"][step_run["runId"]] = result["log"]
        _update(key, doc_id, add)
        clock[0] = end

    def stopped():
        current = store().get("scenario_run", key, doc_id)
        return current is None or "result" in current["scenarioRun"]

    try:
        outcome, failure = run_scenario(lookup, scenario, payload, on_step, stopped)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # an emulator bug must still end the run
        outcome, failure = "FAILED", thrown("java.lang.RuntimeException", "%s: %s" % (type(exc).__name__, exc))

    def finish(current):
        run = current["scenarioRun"]
        run["end"] = max(now_ms(), run["start"] + RUNNING_MS)
        run["result"] = {"type": "SCENARIO_DONE", "outcome": outcome, "start": run["start"], "end": run["end"]}
        if failure:
            run["result"]["thrown"] = failure
    _update(key, doc_id, finish)


def _start_thread(key, scenario, doc):
    payload = (store().get("scenario_payload", key, scenario["id"]) or {}).get("script")
    doc_id = _doc_id(doc["scenarioRun"])
    lookup = StoreLookup(node_context(token="scenario:%s/%s" % (key, doc_id)))
    app = current_app._get_current_object()  # pylint: disable=protected-access

    def target():
        try:
            with app.app_context():
                _execute(key, scenario, payload, doc, lookup)
        finally:
            _live.discard(doc_id)
            python_process.forget(lookup.context.token)
    _live.add(doc_id)
    threading.Thread(target=target, name="scenario-run-" + doc_id, daemon=True).start()


def _trigger_fire(key, scenario_id, run, cancelled=False):
    trigger = run["trigger"]
    return {"trigger": trigger["trigger"], "runId": trigger["runId"], "cancelled": cancelled,
            "timestamp": trigger["timestamp"], "params": trigger["params"], "projectKey": key,
            "scenarioId": scenario_id}


@bp.post("/projects/<key>/scenarios/<scenario_id>/run")
def fire_manual_trigger(key, scenario_id):
    params = body_json({})
    if not isinstance(params, dict):
        raise DSSError("Scenario run parameters must be a JSON object", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        scenario = _scenario(key, scenario_id)
        trigger_run_id = "manual-%06d" % st.next_number("scenario_trigger_fire")
        doc = _new_run(key, scenario, params, trigger_run_id)
        if is_running(key, scenario_id):  # DSS cancels a trigger fire while the scenario runs
            fire = _trigger_fire(key, scenario_id, doc["scenarioRun"], cancelled=True)
            st.put("trigger_fire", key, "%s/%s" % (scenario_id, trigger_run_id), fire)
            return jsonify(fire)
        doc["activeBundleId"] = active_bundle_id(st, key)  # the per-bundle test record (test_record.py)
        st.put("scenario_run", key, _doc_id(doc["scenarioRun"]), doc)
        _start_thread(key, scenario, doc)
    return jsonify(_trigger_fire(key, scenario_id, doc["scenarioRun"]))


def _run_for_trigger(key, scenario_id, trigger_id, trigger_run_id):
    for doc in _runs(key, scenario_id):
        trigger = doc["scenarioRun"]["trigger"]
        if trigger["runId"] == trigger_run_id and (not trigger_id or trigger["trigger"]["id"] == trigger_id):
            return doc
    return None


@bp.get("/projects/<key>/scenarios/<scenario_id>/get-run-for-trigger")
def run_for_trigger(key, scenario_id):
    """{} (no scenarioRun key) for a trigger fire that started no run, as DSS answers before a run starts."""
    _scenario(key, scenario_id)
    doc = _run_for_trigger(key, scenario_id, request.args.get("triggerId"), request.args.get("triggerRunId"))
    if doc is None:
        return jsonify({})
    return jsonify({"scenarioRun": _view(doc, now_ms())[0]})


@bp.get("/projects/<key>/scenarios/trigger/<scenario_id>/<trigger_id>")
def trigger_fire(key, scenario_id, trigger_id):
    _scenario(key, scenario_id)
    trigger_run_id = request.args.get("triggerRunId")
    cancelled = store().get("trigger_fire", key, "%s/%s" % (scenario_id, trigger_run_id))
    if cancelled is not None and cancelled["trigger"]["id"] == trigger_id:
        return jsonify(cancelled)
    doc = _run_for_trigger(key, scenario_id, trigger_id, trigger_run_id)
    if doc is None:
        raise DSSError("Trigger fire %s/%s of scenario %s.%s does not exist"
                       % (trigger_id, trigger_run_id, key, scenario_id), NOT_FOUND, 404)
    return jsonify(_trigger_fire(key, scenario_id, doc["scenarioRun"]))


@bp.get("/projects/<key>/scenarios/<scenario_id>/get-last-runs")
def last_runs(key, scenario_id):
    _scenario(key, scenario_id)
    try:
        limit = int(request.args.get("limit", 10))
    except ValueError as exc:
        raise DSSError("limit must be an integer", ILLEGAL_ARGUMENT, 400) from exc
    only_finished = qbool("onlyFinishedRuns")
    now = now_ms()
    runs = [_view(doc, now)[0] for doc in _runs(key, scenario_id) if not only_finished or _is_over(doc, now)]
    return jsonify(runs[:max(0, limit)])


def _day_start(text, name):
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError) as exc:
        raise DSSError("%s must be a date yyyy-MM-dd" % name, ILLEGAL_ARGUMENT, 400) from exc
    return int(day.timestamp() * 1000)


@bp.get("/projects/<key>/scenarios/<scenario_id>/get-runs-by-date")
def runs_by_date(key, scenario_id):
    """Runs started in [fromDate, toDate) (UTC days), newest first."""
    _scenario(key, scenario_id)
    low = _day_start(request.args.get("fromDate"), "fromDate")
    high = _day_start(request.args.get("toDate"), "toDate")
    now = now_ms()
    return jsonify([_view(doc, now)[0] for doc in _runs(key, scenario_id)
                    if low <= doc["scenarioRun"]["start"] < high])


def _get_run(key, scenario_id, run_id):
    _scenario(key, scenario_id)
    doc = store().get("scenario_run", key, "%s/%s" % (scenario_id, run_id))
    if doc is None:
        raise DSSError("Scenario run %s.%s/%s does not exist" % (key, scenario_id, run_id), NOT_FOUND, 404)
    return doc


@bp.get("/projects/<key>/scenarios/<scenario_id>/<run_id>")
def run_details(key, scenario_id, run_id):
    """Static siblings (/light, /payload, /get-last-runs...) win over <run_id>: werkzeug ranks static parts first."""
    run_, steps = _view(_get_run(key, scenario_id, run_id), now_ms())
    return jsonify({"scenarioRun": run_, "stepRuns": steps})


def _log_line(ms, level, logger, text):
    return "[%s] [%s] [dku.scenario%s] - %s" % (log_time(ms), level, logger, text)


def _step_log(step, output):
    name, outcome = step["step"]["name"], step["result"]["outcome"]
    lines = [_log_line(step["start"], "INFO", ".step", "Step '%s' (%s) started" % (name, step["step"]["type"]))]
    lines += [_log_line(step["end"], "INFO", ".step.python", line) for line in output]
    lines += [_log_line(step["end"], "INFO", ".step", "Job %s ended: %s" % (item["jobId"], item["outcome"]))
              for item in step["additionalReportItems"] if item["type"] == "JOB_EXECUTED"]
    failure = step["result"].get("thrown")
    if failure:
        lines.append(_log_line(step["end"], "ERROR", ".step", "%s: %s" % (failure["clazz"], failure["message"])))
    level = "INFO" if outcome == "SUCCESS" else outcome
    lines.append(_log_line(step["end"], level, ".step", "Step '%s' ended with %s" % (name, outcome)))
    return lines


@bp.get("/projects/<key>/scenarios/<scenario_id>/<run_id>/log")
def run_log(key, scenario_id, run_id):
    """The whole run's log, or one step's (stepId); only what already happened while the run is under way."""
    doc = _get_run(key, scenario_id, run_id)
    run_, steps = _view(doc, now_ms())
    outputs = doc.get("stepLogs") or {}

    def step_lines(step):
        return _step_log(step, outputs.get(step["runId"]) or [])
    step_id = request.args.get("stepId")
    if step_id:
        lines = [line for step in steps if step["step"]["id"] == step_id for line in step_lines(step)]
    else:
        lines = [_log_line(run_["start"], "INFO", "", "Run %s of scenario %s.%s started by trigger %s"
                           % (run_id, key, scenario_id, run_["trigger"]["trigger"]["id"]))]
        lines += [line for step in steps for line in step_lines(step)]
        if "result" in run_:
            lines.append(_log_line(run_["end"], "INFO", "", "Scenario run ended with %s" % run_["result"]["outcome"]))
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.post("/projects/<key>/scenarios/<scenario_id>/abort")
def abort(key, scenario_id):
    """Ends the runs under way with ABORTED, keeping the steps already over, and kills their Python processes;
    does nothing (no write) otherwise."""
    st = store()
    with st.transaction():
        _scenario(key, scenario_id)
        now = now_ms()
        for doc in _runs(key, scenario_id):
            if _is_over(doc, now):
                continue
            run_ = doc["scenarioRun"]
            run_["end"] = now
            run_["result"] = _aborted_result(run_, now, "Scenario run aborted by %s" % current_user())
            doc["stepRuns"] = [s for s in doc["stepRuns"] if s["end"] <= now]
            st.put("scenario_run", key, _doc_id(run_), doc)
            python_process.kill("scenario:%s/%s" % (key, _doc_id(run_)))
    return jsonify({})
