# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one DSS scenario and wait for it, with a deadline and a short bounded poll.

The official ``run_and_wait()`` is not used: it raises on WARNING (dataikuapi/dss/scenario.py), has no timeout and its
backoff grows to 15 s between polls. This follows the same protocol with the client's own calls:
``scenario.run()`` (POST .../run, a trigger fire), ``fire.get_scenario_run()`` until the run exists (checking
``cancelled``, refreshed every 10th poll as the client does), then ``run.get_details()`` until
``scenarioRun.result`` exists. The details carry the step runs, so one GET per poll is enough.
"""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils.dss_scenario_report import (
    aborted_row,
    finished_row,
)

FIRST_POLL = 0.2
POLL_FACTOR = 1.5
ABORT_GRACE = 10.0  # seconds to wait, after an abort, for DSS to record the run's end (best effort)


class Backoff:
    """Sleeps FIRST_POLL, then POLL_FACTOR times longer each time, capped at ``maximum`` and at the deadline."""

    def __init__(self, maximum, clock, sleep):
        self.next = min(FIRST_POLL, maximum)
        self.maximum = maximum
        self.clock = clock
        self._sleep = sleep

    def sleep(self, deadline):
        remaining = deadline - self.clock()
        if remaining > 0:
            self._sleep(min(self.next, remaining))
        self.next = min(self.next * POLL_FACTOR, self.maximum)


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
        with self.module.dss_errors("run scenario %s of project %s" % (item["id"], self.project.project_key)):
            started = self.clock()
            fire = scenario.run(dict(self.trigger_params))
            state, details = self._follow(fire, deadline)
            elapsed = self.clock() - started
            if state == "done":
                return finished_row(item, details, elapsed)
            if state == "cancelled":
                return aborted_row(item, details, elapsed, "DSS cancelled the run request (a run of this scenario "
                                   "may already have been in progress).")
            scenario.abort()
            details = self._settle(fire, details)
            return aborted_row(item, details, self.clock() - started, "Timed out after %d s (%s); the run was "
                               "aborted." % (round(elapsed), timeout_label), timed_out=True)

    def _follow(self, fire, deadline):
        """('done' | 'cancelled' | 'timeout', last run details or None)."""
        backoff = Backoff(self.poll_interval, self.clock, self.sleep)
        run, details, polls = None, None, 0
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

    def _settle(self, fire, details):
        """After an abort, give DSS a moment to close the run so its steps and end time can be reported."""
        deadline = self.clock() + ABORT_GRACE
        backoff = Backoff(self.poll_interval, self.clock, self.sleep)
        while self.clock() < deadline:
            run = fire.get_scenario_run()
            if run is None:  # aborted before it started: there is no run to report on
                return details
            details = run.get_details()
            if (details.get("scenarioRun") or {}).get("result"):
                return details
            backoff.sleep(deadline)
        return details
