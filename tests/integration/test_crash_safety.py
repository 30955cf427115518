"""Crash safety of the direct route through real ansible-playbook runs against emulator processes: the lock is a
lease its holder renews and a dead holder's lease lapses by itself; the roll-back target is the last bundle with a
passing test record; two first deployments race and the second is refused before it writes; a playbook or a node
killed at each step of a deployment, then a re-run with no manual step, leaves every environment on a certified
bundle (or the run red on its last certified bundle) - never on a failed or untested one.

Kills are triggered by what the node shows (lock taken, bundle imported, bundle active, test record written), not
by timers; the emulator's latency profile (--latency-scale) makes the slow steps last long enough to be hit. It is
set only for the runs that are interrupted: set-ups and re-runs go at full speed (what they check does not depend
on how long a step takes).

The nodes come from two landscapes built once per session (tests/support/landscape.py): CHURN's bundles exported on
the design node, then also b1 deployed and certified on the automation node by a run that shows its steps."""

# pylint: disable=redefined-outer-name

import subprocess
import time

import pytest
import yaml

from tests.support import landscape, playbook_server, processes, sample_project as sample
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env, run_playbook
from tests.support.real_node import real_node_or_none, require_emulator

KEY = sample.PROJECT_KEY
DEPLOY = "dataiku_gitops.dss.dataiku_bundle_deploy"
LEASE = 3  # seconds: the lease of every run here (renewed every second by a live holder)
SLOW = 0.2  # the latency scale of the runs that are interrupted (import 2 s, activation 2 s, a scenario start 6 s)


class SlowPair(landscape.NodesOnly):
    """A landscape (tests/support/landscape.py) of two nodes: the design node "dev" with CHURN exported as b1 and b3
    (passing) and b2 (failing its tests), and the automation node "staging" with the staging connection."""

    NODE_TYPES = {"dev": "design", "staging": "automation"}

    def start(self):
        client = self.nodes["dev"].client()
        sample.seed_design_project(client)
        design = client.get_project(KEY)
        design.export_bundle("b1")
        sample.change_variable(client, 45)
        design.export_bundle("b3")  # passes, like b1
        sample.break_flow(client)
        design.export_bundle("b2")
        sample.seed_connection(self.nodes["staging"].client(), "staging")
        return self


def deploy_b1_showing_steps(land):
    """b1's first deployment, tested and certified, alone on the slowed automation node with the callback
    dataiku_gitops.dss.deploy_steps enabled (only it): records "steps" (the run) and "writes" (what it wrote but the
    lease's writes, see writes_but_lease)."""
    design, auto = land.nodes["dev"], land.nodes["staging"].set_latency(SLOW)
    before = writes_but_lease(auto)
    steps = run_playbook(land.workdir, playbook=role_play(design, auto, "b1", "steps"), name="steps",
                         env={"ANSIBLE_CALLBACKS_ENABLED": "dataiku_gitops.dss.deploy_steps"})
    auto.set_latency(0)
    return {"steps": steps, "writes": writes_but_lease(auto) - before}


SEEDED = landscape.Kind("crash-seeded", SlowPair, description="CHURN's b1, b2, b3 exported; the automation node empty")
DEPLOYED = landscape.Kind("crash-b1", SlowPair, deploy_b1_showing_steps, SEEDED,
                          "SEEDED with b1 deployed, tested and certified, the callback deploy_steps showing the steps")


def pair(kind, tmp_path, tmp_path_factory):
    """(design node, automation node) of a copy of the landscape ``kind`` (``land.built``: its build's runs), the
    automation node slowed to a fifth of the real time of its slow steps (import 2 s, activation 2 s, a scenario start
    6 s; the pool sets it back to full speed for the next test, and replaces it if a test left it dead)."""
    require_emulator(real_node_or_none("automation"))  # None (no real DSS named): the emulator's nodes
    land = landscape.restored(kind, tmp_path / "land", tmp_path_factory)
    return land.nodes["dev"], land.nodes["staging"].set_latency(SLOW), land.built


@pytest.fixture
def slow_pair(tmp_path, tmp_path_factory):
    """The design node with CHURN exported as b1 and b3 (passing) and b2 (failing its tests), and the slowed
    automation node, nothing deployed on it."""
    design, auto, _built = pair(SEEDED, tmp_path, tmp_path_factory)
    return design, auto


def writes_but_lease(node):
    """Write requests other than those to the project variables (the lock's take, renewals and release)."""
    stats = node.stats()
    return node.writes(stats) - sum(totals["calls"] for route, totals in stats["routes"].items()
                                    if route.startswith("PUT ") and route.rstrip("/").endswith("/variables"))


def role_play(design, auto, bundle_id, owner, killed=False):
    """The direct route (role bundle_deploy) for one project, as promote.yml includes it. A run that is ``killed``
    runs its module in the real interpreter, under the run's own processes (not in the tests' module server,
    tests/support/module_server.py): a kill of the run's process tree then kills the module at once, as it does
    outside the tests. The other runs (set-ups, re-runs, races, the live holder) use the module server (a fifth of a
    module start's CPU); a re-run starts once the killed run's requests are over (lease_lapsed)."""
    play_vars = {"dss_url": auto.url, "dss_api_key": auto.api_key, "dss_project_key": KEY, "dss_bundle_id": bundle_id,
                 "dss_bundle_source": {"url": design.url, "api_key": design.api_key},
                 "dss_connections": {"pg_dev": "pg_staging"}, "dss_tests": {"prefix": "TEST_"},
                 "dss_run_id": owner, "dss_lock_timeout": LEASE}
    if killed:
        play_vars["ansible_python_interpreter"] = playbook_server.real_interpreter()
    return [{"name": "deploy", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Deploy", "ansible.builtin.include_role": {"name": "dataiku_gitops.dss.bundle_deploy"}}],
        "vars": play_vars}]


def start(tmp_path, name, play):
    """ansible-playbook in its own process group (so that a kill takes its module processes too)."""
    path = tmp_path / ("%s.yml" % name)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    log = open(tmp_path / ("%s.log" % name), "w", encoding="utf-8")  # pylint: disable=consider-using-with
    # TMPDIR in the test's directory: a killed module leaves its AnsiballZ payload directory behind, there and not
    # in the machine's /tmp.
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    proc = processes.popen([ANSIBLE_PLAYBOOK, str(path), "-i", "localhost,", "-c", "local"], cwd=str(tmp_path),
                           env=ansible_env({"TMPDIR": str(tmp)}), stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    log.close()  # the child has its own copy
    proc.log_path = str(tmp_path / ("%s.log" % name))
    return proc


def finish(proc, timeout=300):
    proc.wait(timeout=timeout)
    processes.forget(proc)
    with open(proc.log_path, encoding="utf-8") as fh:
        return proc.returncode, fh.read()


def kill_playbook(proc):
    """kill -9 of ansible-playbook and every process under it: a controller that dies takes its module process
    along (a module left running would be a live holder, rightly waited for)."""
    processes.kill_tree(proc)


def wait_for(condition, what, timeout=120):
    """Poll ``condition`` (a node_view costs about 20 ms of CPU, the node's included) every 0.2 s: the steps the
    kills aim at last 2 s or more on the slowed node."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:  # pylint: disable=broad-except
            pass  # the node may be restarting
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def node_view(auto):
    """(active bundle, imported ids, lock, {bundle: outcomes of its test record}) read with the official client."""
    client = auto.client()
    if KEY not in [p["projectKey"] for p in client.list_projects()]:
        return None, [], None, {}
    project = client.get_project(KEY)
    active = (project.get_summary().get("activeBundleState") or {}).get("bundleId")
    ids = [b["bundleId"] for b in project.list_imported_bundles()["bundles"]]
    lock = project.get_variables()["local"].get("dataiku_gitops_lock")
    records = {b: project.get_testing_status(b).nb_scenarios_per_outcome for b in ids}
    return active, ids, lock, records


def lease_lapsed(auto):
    """Wait until the lock left on the node (if any) has expired and the killed run's requests are over: what a
    re-run after a crash meets. A request sent before the kill still runs on the node (DSS does not stop a request
    whose client is gone): here a scenario start lasts 6 s on the slowed node and the lease 3 s; the lease a
    deployment takes by default (lock_timeout, 300 s) outlasts any request."""
    lock = node_view(auto)[2]
    if lock:
        time.sleep(max(0.0, float(lock["expires"]) - time.time()) + 0.5)
    wait_for(lambda: auto.stats()["in_progress"] == 0, "the end of the killed run's requests")


def assert_on_certified(auto, expected):
    active, _ids, lock, records = node_view(auto)
    assert active == expected and records[active] == {"SUCCESS": 1}, (active, records)
    assert lock is None or float(lock["expires"]) < time.time(), lock


def test_a_live_holder_renews_its_lease_and_a_second_run_is_refused_before_writing(slow_pair, tmp_path):
    design, auto = slow_pair
    auto.set_latency(0.4)  # the holder works ~25 s (a 12 s scenario start): the second run meets it at work
    first = start(tmp_path, "first", role_play(design, auto, "b1", "run-1"))
    wait_for(lambda: node_view(auto)[2] is not None, "the first run's lock")
    taken = node_view(auto)[2]
    # The deployment outlives its first lease (import, activation, a 6 s scenario start): it renews it.
    wait_for(lambda: float(node_view(auto)[2]["expires"]) > taken["expires"] and time.time() > taken["expires"],
             "a renewal of the lease after its first expiry")
    second = start(tmp_path, "second", role_play(design, auto, "b1", "run-2"))
    rc2, out2 = finish(second)
    rc1, out1 = finish(first)
    assert rc1 == 0, out1
    assert rc2 != 0 and "being deployed by another run (lock held by run-1" in out2, out2
    assert "Nothing was written by this run" in out2
    assert "Nothing to restore: this run failed before its first write." in out2
    assert_on_certified(auto, "b1")


def test_two_first_deployments_at_once_the_second_is_refused_before_any_write(tmp_path, tmp_path_factory):
    # The same first deployment alone, on a node in the same state: the run that built DEPLOYED.
    _design, _auto, alone_run = pair(DEPLOYED, tmp_path / "alone", tmp_path_factory)
    design, auto = pair(SEEDED, tmp_path, tmp_path_factory)[:2]
    writes_before = writes_but_lease(auto)
    runs = [start(tmp_path, "race-%d" % i, role_play(design, auto, "b1", "race-%d" % i)) for i in (1, 2)]
    results = [finish(proc) for proc in runs]
    assert sorted(rc == 0 for rc, _out in results) == [False, True], results
    loser = [out for rc, out in results if rc != 0][0]
    assert ("created by another run at the same time" in loser or "being deployed by another run" in loser
            or "another run took the deployment lock at the same time" in loser), loser
    race_writes = writes_but_lease(auto) - writes_before
    assert_on_certified(auto, "b1")
    # The loser added at most its refused claim to what the deployment alone writes (lease renewals, one a second
    # while a run works, are left out: their number follows the wall time of a loaded machine).
    assert alone_run["steps"].rc == 0, alone_run["steps"].output
    alone = alone_run["writes"]
    assert alone <= race_writes <= alone + 1, (alone, race_writes)


def test_killed_at_each_step_a_rerun_ends_on_a_certified_bundle(tmp_path, tmp_path_factory):
    design, auto, built = pair(DEPLOYED, tmp_path, tmp_path_factory)  # b1 certified by the landscape's build
    setup = built["steps"]
    assert setup.rc == 0, setup.output
    steps = [
        # (what is killed, the event on the node that triggers the kill)
        ("playbook", "import", lambda v: v[2] is not None),                      # lock taken: the import follows
        ("node", "activate", lambda v: "b2" in v[1] and v[0] != "b2"),           # imported, not yet active
        ("playbook", "tests", lambda v: v[0] == "b2"),                          # active: the tests follow
        ("node", "rescue", lambda v: "FAILED" in v[3].get("b2", {})),           # b2 failed: the roll-back follows
    ]
    for number, (victim, step, event) in enumerate(steps):
        auto.set_latency(SLOW)
        run = start(tmp_path, "kill-%d" % number, role_play(design, auto, "b2", "kill-%d" % number, killed=True))
        wait_for(lambda event=event: event(node_view(auto)), "the %s step" % step)
        if victim == "playbook":
            kill_playbook(run)
            auto.set_latency(0)  # a request the killed run left waiting keeps its delay
        else:
            auto.kill()
            auto.start()  # same data directory and port, same latency: the killed run's rescue goes on as it was
            finish(run)
            auto.set_latency(0)
        lease_lapsed(auto)
        rc, out = finish(start(tmp_path, "rerun-%d" % number, role_play(design, auto, "b2", "rerun-%d" % number)))
        # b2 fails its tests: the re-run is red and the node is back on b1, re-tested and certified.
        assert rc != 0 and "b2" in out, out
        assert_on_certified(auto, "b1")
        assert "Rolled back to bundle b1, the last bundle with a passing test record" in out or \
            "Nothing to restore: bundle b1, the last bundle with a passing test record, is the active one" in out, out
    # Killed between the tests and the certification of a bundle that passes: the re-run certifies it.
    auto.set_latency(SLOW)
    run = start(tmp_path, "kill-certify", role_play(design, auto, "b3", "kill-certify", killed=True))
    wait_for(lambda: node_view(auto)[3].get("b3") == {"SUCCESS": 1}, "the test record of b3")
    kill_playbook(run)
    auto.set_latency(0)
    lease_lapsed(auto)
    rc, out = finish(start(tmp_path, "rerun-certify", role_play(design, auto, "b3", "rerun-certify")))
    assert rc == 0, out
    assert_on_certified(auto, "b3")


def test_the_deploy_steps_callback_prints_each_step_with_its_duration(tmp_path, tmp_path_factory):
    """With the callback dataiku_gitops.dss.deploy_steps enabled, each deployment's steps are printed, with their
    durations, when it ends (the activation of the slowed node takes seconds): the run that built DEPLOYED."""
    _design, _auto, built = pair(DEPLOYED, tmp_path, tmp_path_factory)
    done = built["steps"]
    assert done.rc == 0, done.output
    lines = [line for line in done.output.splitlines() if line.startswith("localhost | CHURN b1: ")]
    assert [line.split(": ", 1)[1].split()[0] for line in lines] == [
        "lock", "preflight", "import", "remap", "activate", "tests", "certify"], done.output
    activate = [line for line in lines if ": activate " in line][0]
    assert "changed" in activate and float(activate.split()[-2]) >= 1.0, activate  # preload 1 s + activation 2 s
