# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn DSS scenario run details into dataiku_scenario_run's results, summary and failure message.

Run details are ``GET /projects/K/scenarios/ID/RUN/`` = ``{"scenarioRun": {...}, "stepRuns": [...]}``
(dataikuapi/dss/scenario.py). Step runs are read defensively [INF]: ``step.{id,name,type}``, ``result.{outcome,thrown}``,
``additionalReportItems[].{outcome,thrown}``; a thrown exception has ``message`` and/or ``title``.
"""

from __future__ import annotations

OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "ABORTED")
MESSAGE_LIMIT = 1000


def thrown_message(thrown):
    """The readable part of a serialized DSS exception: its message, else its title."""
    if not isinstance(thrown, dict):
        return None
    for key in ("message", "title", "detailedMessage"):
        text = thrown.get(key)
        if isinstance(text, str) and text.strip():
            text = text.strip()
            return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."
    return None


def _step_message(step_run):
    result = step_run.get("result") or {}
    message = thrown_message(result.get("thrown"))
    if message:
        return message
    for item in step_run.get("additionalReportItems") or []:
        if isinstance(item, dict) and item.get("outcome") not in (None, "SUCCESS"):
            message = thrown_message(item.get("thrown"))
            if message:
                return message
    return None


def step_rows(details):
    rows = []
    for step_run in (details or {}).get("stepRuns") or []:
        if not isinstance(step_run, dict):
            continue
        step = step_run.get("step") or {}
        rows.append(dict(name=step.get("name") or step.get("id"), type=step.get("type"),
                         outcome=(step_run.get("result") or {}).get("outcome"), message=_step_message(step_run)))
    return rows


def _failure_message(outcome, steps, run):
    """First message of a step with the scenario's outcome, else of any non-successful step, else the run's."""
    if outcome in (None, "SUCCESS"):
        return None
    same = [s["message"] for s in steps if s["outcome"] == outcome and s["message"]]
    other = [s["message"] for s in steps if s["outcome"] not in (None, "SUCCESS") and s["message"]]
    run_message = thrown_message(((run or {}).get("result") or {}).get("thrown"))
    return (same or other or [run_message])[0]


def duration_seconds(run, elapsed):
    """From the run's start/end (epoch ms) when DSS gives them, else the time the module waited."""
    start, end = (run or {}).get("start"), (run or {}).get("end")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > 0 and start > 0 and end >= start:
        return round((end - start) / 1000.0, 3)
    return round(elapsed, 3)


def base_row(item, would_run=False):
    return dict(scenario_id=item["id"], name=item.get("name") or item["id"], outcome=None, run_id=None,
                duration_seconds=None, failure_message=None, steps=[], would_run=would_run, timed_out=False,
                skipped=None)


def finished_row(item, details, elapsed):
    run = (details or {}).get("scenarioRun") or {}
    steps = step_rows(details)
    outcome = (run.get("result") or {}).get("outcome") or "FAILED"
    row = base_row(item)
    row.update(outcome=outcome, run_id=run.get("runId"), duration_seconds=duration_seconds(run, elapsed),
               failure_message=_failure_message(outcome, steps, run), steps=steps)
    if outcome not in OUTCOMES:
        row["failure_message"] = row["failure_message"] or "DSS returned the unknown outcome %r" % outcome
    return row


def aborted_row(item, details, elapsed, why, timed_out=False):
    """A run the module gave up on (timeout) or that DSS cancelled before it started."""
    row = finished_row(item, details, elapsed) if details else base_row(item)
    step_message = row["failure_message"]
    row.update(outcome="ABORTED", duration_seconds=row["duration_seconds"] or round(elapsed, 3), timed_out=timed_out,
               failure_message=why + (" Last step message: %s" % step_message if step_message else ""))
    return row


def skipped_row(item, reason):
    row = base_row(item)
    row["skipped"] = reason
    return row


def acceptable(outcome, warning_is_failure):
    return outcome == "SUCCESS" or (outcome == "WARNING" and not warning_is_failure)


def summary(rows):
    counts = dict(total=len(rows), success=0, warning=0, failed=0, aborted=0, not_run=0)
    for row in rows:
        key = (row["outcome"] or "").lower()
        counts[key if key in counts and key != "total" else "not_run"] += 1
    return counts


def failed_ids(rows, warning_is_failure):
    return [r["scenario_id"] for r in rows if r["outcome"] is not None and not acceptable(r["outcome"], warning_is_failure)]


def failure_text(project_key, url, rows, warning_is_failure):
    """One line per scenario that did not pass, joined with '; ' (Ansible prints msg on one line)."""
    bad = [r for r in rows if r["outcome"] is not None and not acceptable(r["outcome"], warning_is_failure)]
    parts = []
    for row in bad:
        why = row["failure_message"] or "no error message reported by DSS"
        if row["outcome"] == "WARNING":
            why += " (warning_is_failure=true)"
        parts.append("%s %s: %s" % (row["scenario_id"], row["outcome"], why.replace("\n", " ")))
    text = "%d of %d scenario(s) of project %s on %s did not pass: %s." % (
        len(bad), len([r for r in rows if r["outcome"] is not None]), project_key, url, "; ".join(parts))
    skipped = [r["scenario_id"] for r in rows if r["skipped"]]
    if skipped:
        text += " Not run (stop_on_failure): %s." % ", ".join(skipped)
    return text
