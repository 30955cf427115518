"""In-memory stand-in for the dataikuapi scenario objects dataiku_scenario_run uses, with a fake clock.

Each scenario follows a script: how many polls before DSS creates the run and before it ends, its outcome and
step runs, or whether DSS cancels the trigger fire. Time only advances when the module sleeps.
"""


import pytest
import requests

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute
from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module, dss_scenario_runner, dss_scenario_tests
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_scenario_run
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.summary_fake import answer_from_list

API_KEY = "unit-secret-key-5d0c7e1a2f93"


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeInfo:
    def __init__(self, node_type):
        self.raw = {"nodeType": node_type, "dssVersion": "15.2.0"}


def step(name, outcome="SUCCESS", message=None, step_type="build_flowitem", title=None, in_report_item=False):
    thrown = {"clazz": "com.dataiku.Boom", "message": message, "title": title} if (message or title) else None
    run = {"step": {"id": name.lower(), "name": name, "type": step_type}, "result": {"outcome": outcome},
           "additionalReportItems": []}
    if thrown and in_report_item:
        run["additionalReportItems"].append({"type": "JOB_EXECUTED", "jobId": "j1", "outcome": outcome, "thrown": thrown})
    elif thrown:
        run["result"]["thrown"] = thrown
    return run


class Script:
    """How one scenario behaves when run."""

    def __init__(self, outcome="SUCCESS", steps=None, polls_to_start=1, polls_to_end=2, cancelled=False,
                 never_ends=False, duration_ms=1500):
        self.outcome = outcome
        self.steps = steps if steps is not None else [step("build")]
        self.polls_to_start = polls_to_start
        self.polls_to_end = polls_to_end
        self.cancelled = cancelled
        self.never_ends = never_ends
        self.duration_ms = duration_ms


class FakeRun:
    def __init__(self, client, scenario_id, run_id, script, params=None):
        self.client, self.scenario_id, self.run_id, self.script = client, scenario_id, run_id, script
        self.params = params if params is not None else {}
        self.polls = 0
        self.aborted = False

    @property
    def run(self):
        """The run as get_last_runs lists it."""
        return {"runId": self.run_id, "trigger": {"trigger": {"id": "manual", "type": "manual"}, "params": self.params}}

    def get_details(self):
        self.client.calls.append("GET run %s" % self.scenario_id)
        self.polls += 1
        run = {"runId": self.run_id, "start": 1700000000000, "end": 0,
               "scenario": {"projectKey": "P", "id": self.scenario_id}}
        done = self.aborted or (not self.script.never_ends and self.polls >= self.script.polls_to_end)
        if done:
            run["end"] = run["start"] + self.script.duration_ms
            run["result"] = {"outcome": "ABORTED" if self.aborted else self.script.outcome}
        return {"scenarioRun": run, "stepRuns": self.script.steps if done else self.script.steps[:1]}


class FakeFire:
    def __init__(self, client, scenario_id, script, params=None):
        self.client, self.scenario_id, self.script = client, scenario_id, script
        self.params = params
        self.polls = 0
        self.run = None

    def start(self):
        """DSS creates the run of this trigger fire."""
        self.run = FakeRun(self.client, self.scenario_id, "run-%s-%d" % (self.scenario_id, len(self.client.runs)),
                           self.script, self.params)
        self.client.runs.append(self.run)

    def is_cancelled(self, refresh=False):
        if refresh:
            self.client.calls.append("GET trigger %s" % self.scenario_id)
        return self.script.cancelled

    def get_scenario_run(self):
        self.client.calls.append("GET run-for-trigger %s" % self.scenario_id)
        self.polls += 1
        if self.run is None and self.polls >= self.script.polls_to_start:
            self.start()
        return self.run


class FakeSettings:
    def __init__(self, raw):
        self.raw = raw

    def get_raw(self):
        return self.raw


class FakeScenario:
    def __init__(self, client, scenario_id):
        self.client, self.id = client, scenario_id

    def run(self, params=None):
        """Fire the trigger; a fault planned in ``client.start_faults[id]`` raises a connection error instead:
        "lost" (DSS creates the run, the answer never arrives), "reset" (the request never reaches DSS) or "late"
        (the answer is lost and DSS creates the run only when the next start arrives, cancelling that one)."""
        self.client.calls.append("POST run %s" % self.id)
        self.client.run_params.append(params)
        late = self.client.late_fires.pop(self.id, None)
        if late is not None:
            late.start()
            return FakeFire(self.client, self.id, Script(cancelled=True), params)
        faults = self.client.start_faults.get(self.id) or []
        fault = faults.pop(0) if faults else None
        if fault == "reset":
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        fire = FakeFire(self.client, self.id, self.client.scripts.get(self.id, Script()), params)
        self.client.fires[self.id] = fire
        if fault in ("lost", "late"):
            if fault == "lost":
                fire.start()
            else:
                self.client.late_fires[self.id] = fire
            raise requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")
        return fire

    def get_last_runs(self, limit=10, only_finished_runs=False):
        assert not only_finished_runs
        self.client.calls.append("GET last-runs %s" % self.id)
        return [run for run in reversed(self.client.runs) if run.scenario_id == self.id][:limit]

    def abort(self):
        self.client.calls.append("POST abort %s" % self.id)
        fire = self.client.fires.get(self.id)
        if fire and fire.run:
            fire.run.aborted = True

    def get_settings(self):
        self.client.calls.append("GET settings %s" % self.id)
        return FakeSettings({"id": self.id, "markedAsTest": self.client.settings_marked.get(self.id, False)})


class FakeProject:
    def __init__(self, client, key):
        self.client, self.project_key = client, key

    def list_scenarios(self):
        self.client.calls.append("GET scenarios")
        return [dict(item) for item in self.client.items]

    def get_scenario(self, scenario_id):
        return FakeScenario(self.client, scenario_id)


class FakeClient:
    def __init__(self, node_type="AUTOMATION"):
        self.node_type = node_type
        self.project_keys = ["P"]
        self.items = []
        self.scripts = {}
        self.settings_marked = {}
        self.fires = {}
        self.runs = []
        self.run_params = []
        self.calls = []
        self.start_faults = {}  # scenario id -> fault kinds of its next starts ("lost" | "reset" | "late")
        self.late_fires = {}  # scenario id -> the fire of a "late" start, whose run the next start creates

    def add(self, scenario_id, script=None, name=None, **extra):
        item = {"id": scenario_id, "name": name or scenario_id.title(), "projectKey": "P", "type": "step_based",
                "active": False, "running": False, "tags": []}
        item.update(extra)
        self.items.append(item)
        if script is not None:
            self.scripts[scenario_id] = script

    def get_instance_info(self):
        self.calls.append("GET instance-info")
        return FakeInfo(self.node_type)

    def list_projects(self):
        self.calls.append("GET projects")
        return [{"projectKey": key} for key in self.project_keys]

    def get_project(self, key):
        return FakeProject(self, key)

    def writes(self):
        return [c for c in self.calls if not c.startswith("GET")]


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(dss_scenario_runner, "time", clock)
    monkeypatch.setattr(dss_scenario_tests, "time", clock)
    monkeypatch.setattr(dss_module, "time", clock)  # write_once's backoff
    return clock


@pytest.fixture
def fake_client(monkeypatch, fake_time):  # pylint: disable=redefined-outer-name,unused-argument
    client = FakeClient()
    monkeypatch.setattr(dss_module.DssModule, "make_client", lambda self, *args, **kwargs: client)
    answer_from_list(monkeypatch)
    return client


def run(capsys, check_mode=False, diff=False, **params):
    """Run the module with these options; returns (failed, result dict)."""
    args = dict(url="https://dss-auto.example.com", api_key=API_KEY, **params)
    code, result = execute(dataiku_scenario_run.main, capsys, args, check_mode, diff, secrets=(API_KEY,))
    return code != 0 or bool(result.get("failed")), result
