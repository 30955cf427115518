"""An emulated automation node in-process for dataiku_scenario_run, with one fake clock shared by the module and
the node: time passes only when the module sleeps, and each sleep lets the node's scenario runs do their work."""

import pytest
import requests

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core import module as dss_module
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario import runner as dss_scenario_runner
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario import runs as dss_scenario_tests
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_scenario_run
from ansible_collections.dataiku_gitops.dss.tests.dss_emulator.inprocess import InProcessNode
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import run_module

URL = "https://dss-auto.example.com"
RUNS = "/projects/P/scenarios/%s/run"


class Clock:
    """monotonic()/sleep() for the module, time() for the node. A sleep advances the time and waits (really, at
    most 50 ms) for the node's scenario runs to reach their next state, so polls see what DSS would show."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def time(self):
        return 1700000000.0 + self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds
        InProcessNode.settle(min(seconds, 0.05))


def ok(name="build"):
    """A step that succeeds (a build with nothing to build)."""
    return {"type": "build_flowitem", "name": name, "params": {"builds": []}}


def missing(dataset, name="build"):
    """A step that fails as DSS fails a build of a dataset that does not exist: "Dataset P.<dataset> does not
    exist"."""
    return {"type": "build_flowitem", "name": name, "params": {"builds": [{"type": "DATASET", "itemId": dataset}]}}


def declared(outcome, name="check"):
    """A step that ends with ``outcome`` (the emulator's emulatorOutcome step parameter)."""
    return {"type": "build_flowitem", "name": name, "params": {"builds": [], "emulatorOutcome": outcome}}


def endless(name="wait"):
    """A Python step that never ends on its own (the run is aborted)."""
    return {"type": "custom_python", "name": name, "params": {"script": "import time\ntime.sleep(600)\n"}}


class ScenarioNode:
    def __init__(self, node, clock):
        self.node, self.clock = node, clock
        self.project = node.client().create_project("P", "P", "admin")
        node.forget_calls()

    def add(self, scenario_id, *steps, name=None, **extra):
        definition = {"id": scenario_id, "params": {"steps": list(steps or [ok()])}}
        definition.update(extra)
        self.project.create_scenario(name or scenario_id.title(), "step_based", definition=definition)
        self.node.forget_calls()

    def set_steps(self, scenario_id, *steps):
        settings = self.project.get_scenario(scenario_id).get_settings()
        settings.get_raw()["params"]["steps"] = list(steps)
        settings.save()
        self.node.forget_calls()

    def start_run(self, scenario_id, params=None):
        """A run started by someone else (not the module, so no fault planned for the module applies), left to
        finish."""
        scenario = self.node.client(faults=False).get_project("P").get_scenario(scenario_id)
        scenario.run(params or {})
        self.node.settle(1.0)
        return scenario.get_last_runs(limit=1)[0].id

    def run_ids(self, scenario_id):
        return [run.id for run in self.project.get_scenario(scenario_id).get_last_runs(limit=50)]

    def posts(self, scenario_id):
        """Start requests the module sent (whether or not they reached the node)."""
        return [r for r in self.node.received() if (r.method, r.path) == ("POST", RUNS % scenario_id)]

    def polled(self, run_id):
        return [c for c in self.node.calls() if run_id in c]

    def calls(self):
        return self.node.calls()

    def writes(self):
        return self.node.writes()

    def details_answer(self, scenario_id, change):
        """Let ``change(details)`` shape every run-details answer of the scenario (a DSS answer the emulator does
        not give, e.g. a failure reported only by its title)."""
        self.node.faults.rewrite_answer("GET", r"^/projects/P/scenarios/%s/\d{4}-[\d-]+$" % scenario_id, change,
                                        times=10 ** 6)

    def lose_start_answer(self, scenario_id):
        """The node starts the run; its answer never arrives."""
        self.node.faults.add("POST", RUNS % scenario_id + "$", "lost")

    def reset_start(self, scenario_id, times=1):
        """The start never reaches the node (connection reset)."""
        self.node.faults.add("POST", RUNS % scenario_id + "$", "refused", times)

    def delay_start(self, scenario_id):
        """The start's answer is lost and the node receives it only when the next start arrives (which it then
        cancels: the scenario is running)."""
        held = []

        def hold(request):
            held.append(request)
            raise requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected", request=request)

        def deliver_late(request):
            self.node.faults.inner.send(held.pop())
            return None  # then the node answers this second start

        self.node.faults.add("POST", RUNS % scenario_id + "$", hold)
        self.node.faults.add("POST", RUNS % scenario_id + "$", deliver_late)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(dss_scenario_runner, "time", fake)
    monkeypatch.setattr(dss_scenario_tests, "time", fake)
    monkeypatch.setattr(dss_module, "time", fake)  # write_once's backoff
    return fake


@pytest.fixture
def dss(emulated, clock):
    node = emulated("automation", URL)
    node.node.clock = clock.time
    return ScenarioNode(node, clock)


def run(dss, capsys, check_mode=False, diff=False, **params):
    """Run the module against the node; returns (failed, result dict)."""
    return run_module(dataiku_scenario_run.main, capsys, dss.node, check_mode=check_mode, diff=diff, **params)
