# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one DSS scenario and wait for it, with a deadline and a short bounded poll.

The official ``run_and_wait()`` is not used: it raises on WARNING (dataikuapi/dss/scenario.py), has no timeout and its
backoff grows to 15 s between polls. This follows the same protocol with the client's own calls:
``scenario.run()`` (POST .../run, a trigger fire), ``fire.get_scenario_run()`` until the run exists (checking
``cancelled``, refreshed every 10th poll as the client does), then ``run.get_details()`` until
``scenarioRun.result`` exists. The details carry the step runs, so one GET per poll is enough.

Starting a run is a write that is never sent twice blindly (``DssModule.write_once``): the runs of the scenario
are listed before the start, and when the answer to a start is lost in transit, the runs are listed again (for up
to ``START_GRACE`` seconds, as DSS creates the run a moment after the trigger fires). A run that was not there
before our start is ours and is followed; a run listed before it (someone else's) never is. Only when no new run
appears is the start sent again.
"""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.report import (
    aborted_row,
    finished_row,
)

FIRST_POLL = 0.2
POLL_FACTOR = 1.5
ABORT_GRACE = 10.0  # seconds to wait, after an abort, for DSS to record the run's end (best effort)
START_GRACE = 5.0  # seconds to look for the run of a start whose answer was lost, before starting again
RECENT_RUNS = 20  # runs listed to tell the runs that existed before a start from the one it created
EXPECTED_SHARE = 0.8  # of the last run's duration, waited before the second poll of a new run


class Backoff:
    """Sleeps FIRST_POLL (or ``first``), then POLL_FACTOR times longer each time from FIRST_POLL, capped at
    ``maximum`` and at the deadline."""

    def __init__(self, maximum, clock, sleep, first=None):
        self.next = min(max(first or 0, FIRST_POLL), maximum)
        self._after_first = min(FIRST_POLL, maximum) if first and self.next > FIRST_POLL else None
        self.maximum = maximum
        self.clock = clock
        self._sleep = sleep

    def sleep(self, deadline):
        remaining = deadline - self.clock()
        if remaining > 0:
            self._sleep(min(self.next, remaining))
        self.next = self._after_first or min(self.next * POLL_FACTOR, self.maximum)
        self._after_first = None


class ScenarioRunner:
    """Runs scenarios of one project; ``clock``/``sleep`` (default: ``time``'s, looked up at creation) are
    replaceable so unit tests need no real waiting."""

    def __init__(self, module, project, trigger_params=None, poll_interval=5.0, clock=None, sleep=None):
        self.module = module
        self.project = project
        self.trigger_params = trigger_params or {}
        self.poll_interval = max(poll_interval, FIRST_POLL)
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep

    def run(self, item, deadline, timeout_label):
        """Run scenario ``item`` (a list item) and return its result row; abort it at ``deadline``."""
        scenario = self.project.get_scenario(item["id"])
        what = "run scenario %s of project %s" % (item["id"], self.project.project_key)
        with self.module.dss_errors(what):
            started = self.clock()
            start = RunStart(self, scenario)
            start.wait_for_running(deadline)
            fire, run = start.send("start scenario %s of project %s" % (item["id"], self.project.project_key))
            state, details = self._follow(fire, deadline, run, start.expected_seconds)
            if state == "cancelled" and start.resent:
                # Our first start may have reached DSS after all, its run appearing only now: follow it.
                run = start.new_run()
                if run is not None:
                    fire = None
                    state, details = self._follow(None, deadline, run)
            elapsed = self.clock() - started
            if state == "done":
                return finished_row(item, details, elapsed)
            if state == "cancelled":
                return aborted_row(item, details, elapsed, "DSS cancelled the run request (a run of this scenario "
                                   "may already have been in progress).")
            scenario.abort()
            details = self._settle(fire, details, run)
            return aborted_row(item, details, self.clock() - started, "Timed out after %d s (%s); the run was "
                               "aborted." % (round(elapsed), timeout_label), timed_out=True)

    def _follow(self, fire, deadline, run=None, expected=None):
        """('done' | 'cancelled' | 'timeout', last run details or None); follows ``run`` when it is known already
        (found by re-reading after a lost answer), else the run that ``fire`` starts. ``expected``: how long the
        scenario's last run took (seconds, None when unknown): the first wait is EXPECTED_SHARE of it (at most
        poll_interval), so a run that takes as long is not polled all along its way."""
        backoff = Backoff(self.poll_interval, self.clock, self.sleep,
                          first=expected * EXPECTED_SHARE if expected else None)
        details, polls = None, 0
        while True:
            if run is None:
                polls += 1
                if fire.is_cancelled(refresh=polls % 10 == 0):
                    return "cancelled", None
                run = fire.get_scenario_run()
            if run is not None:
                details = run.get_details()
                if (details.get("scenarioRun") or {}).get("result"):
                    return "done", details
            if self.clock() >= deadline:
                return "timeout", details
            backoff.sleep(deadline)

    def _settle(self, fire, details, run=None):
        """After an abort, give DSS a moment to close the run so its steps and end time can be reported."""
        deadline = self.clock() + ABORT_GRACE
        backoff = Backoff(self.poll_interval, self.clock, self.sleep)
        while self.clock() < deadline:
            run = fire.get_scenario_run() if fire is not None else run
            if run is None:  # aborted before it started: there is no run to report on
                return details
            details = run.get_details()
            if (details.get("scenarioRun") or {}).get("result"):
                return details
            backoff.sleep(deadline)
        return details


def last_duration(runs):
    """Seconds the newest finished run of ``runs`` (scenarioRun objects, newest first) took, None when unknown."""
    for run in runs:
        start, end = run.get("start"), run.get("end")
        if run.get("result") and isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > start > 0:
            return (end - start) / 1000.0
    return None


class RunStart:
    """One start of a scenario (POST .../run) through ``write_once``: the runs listed before it tell, after a lost
    answer, whether it created a run (then followed, never started twice) or not (then sent again)."""

    def __init__(self, runner, scenario):
        self.runner = runner
        self.scenario = scenario
        self.sends = 0
        self.found = None
        self._list()

    def _list(self):
        """The runs before our start, and whether one of them is still going."""
        recent = self._recent()
        self.before = {run.run.get("runId") for run in recent}
        self.running = any(not run.run.get("result") for run in recent)
        self.expected_seconds = last_duration([run.run for run in recent])

    def wait_for_running(self, deadline):
        """DSS cancels a start while the scenario runs (a run that an interrupted deployment left, or someone
        else's): wait for that run to end, up to ``deadline`` (then the start is sent and its cancellation
        reported). No request more when nothing runs: the listing is the one made to tell our run from others."""
        runner = self.runner
        backoff = Backoff(runner.poll_interval, runner.clock, runner.sleep)
        while self.running and runner.clock() < deadline:
            backoff.sleep(deadline)
            self._list()

    @property
    def resent(self):
        return self.sends > 1

    def _recent(self):
        return self.scenario.get_last_runs(limit=RECENT_RUNS)

    def new_run(self):
        """The oldest run of the scenario that was not there before our start and that carries our trigger
        parameters (when DSS reports them), or None."""
        for run in reversed(self._recent()):
            if run.run.get("runId") not in self.before and self._ours(run.run):
                return run
        return None

    def _ours(self, raw):
        """False when the run's trigger parameters (if DSS reports them) differ from ours: someone else's run."""
        trigger = raw.get("trigger") if isinstance(raw.get("trigger"), dict) else {}
        theirs = trigger.get("params")
        if not isinstance(theirs, dict):
            return True
        return all(theirs.get(name) == value for name, value in self.runner.trigger_params.items())

    def _happened(self):
        """Whether the interrupted start created a run: looked for during START_GRACE (DSS creates the run a moment
        after the trigger fires)."""
        runner = self.runner
        deadline = runner.clock() + START_GRACE
        backoff = Backoff(runner.poll_interval, runner.clock, runner.sleep)
        while True:
            self.found = self.new_run()
            if self.found is not None or runner.clock() >= deadline:
                return self.found is not None
            backoff.sleep(deadline)

    def _send(self):
        self.sends += 1
        return self.scenario.run(dict(self.runner.trigger_params))

    def send(self, what):
        """(trigger fire, None) after a start answered, or (None, run) when a start whose answer was lost is found
        to have created ``run``."""
        fire = self.runner.module.write_once(what, self._send, self._happened)
        return (fire, None) if fire is not None else (None, self.found)
