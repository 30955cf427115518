"""Emulator nodes for the molecule scenarios (extensions/molecule): start, seed and stop them by pid file.

    python tests/support/molecule_nodes.py start --state-dir DIR --design-port P --automation-port Q --api-key K
    python tests/support/molecule_nodes.py stop --state-dir DIR

`start` launches a design and an automation emulator in their own sessions (they outlive this command; molecule's
create and destroy are separate playbook runs), writes DIR/<node>.pid, waits until both answer, then seeds them
through the official client:

- design: connection `pg_mol_dev` (PostgreSQL) and project MOLE (a dataset on pg_mol_dev, the scenario
  TEST_SMOKE), exported as bundle `mol-v1`; then TEST_SMOKE made to fail and exported as `mol-v2-broken` (to prove the
  roll-back), then repaired, so the project's current state passes;
- automation: connection `pg_mol_auto` (PostgreSQL), what bundle_deploy maps pg_mol_dev to.

It prints one JSON line: the urls and pids. `stop` sends SIGTERM to each pid file's process (SIGKILL after 10 s)
and removes the pid files and the nodes' data (the logs stay for inspection); stopping nodes that are not running
is not an error. Every `start` therefore begins with empty nodes.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import dataikuapi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(ROOT, "tests", "dss_emulator")
NODES = ("design", "automation")
PROJECT_KEY = "MOLE"
SCENARIO = "TEST_SMOKE"


def _pid_file(state_dir, node):
    return os.path.join(state_dir, "%s.pid" % node)


def _spawn(state_dir, node, port, api_key):
    data_dir = os.path.join(state_dir, "%s-data" % node)
    log = open(os.path.join(state_dir, "%s.log" % node), "ab")  # pylint: disable=consider-using-with
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, EMULATOR, "--node-type", node, "--port", str(port), "--data-dir", data_dir,
         "--api-key", api_key],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    with open(_pid_file(state_dir, node), "w", encoding="utf-8") as handle:
        handle.write(str(proc.pid))
    return proc


def _wait(url, api_key, proc, timeout=30):
    deadline = time.time() + timeout
    request = urllib.request.Request(url + "/public/api/instance-info", headers={"Authorization": "Bearer " + api_key})
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("emulator at %s exited with %s" % (url, proc.returncode))
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError("emulator at %s did not answer within %d s" % (url, timeout))


def _set_smoke_outcome(project, outcome):
    scenario = project.get_scenario(SCENARIO)
    settings = scenario.get_settings()
    settings.get_raw()["params"]["steps"][0]["params"]["emulatorOutcome"] = outcome
    settings.save()


def seed(design_url, automation_url, api_key):
    design = dataikuapi.DSSClient(design_url, api_key)
    design.create_connection("pg_mol_dev", "PostgreSQL", params={"host": "pg-dev.example.com"})
    project = design.create_project(PROJECT_KEY, "Molecule sample", "admin")
    project.create_dataset("orders", "PostgreSQL", params={"connection": "pg_mol_dev", "table": "orders"})
    project.create_scenario(SCENARIO, "step_based", definition={
        "id": SCENARIO, "name": "Smoke test", "markedAsTest": True,
        "params": {"steps": [{"id": "check", "type": "check_dataset", "name": "Check orders",
                              "params": {"emulatorOutcome": "SUCCESS"}}]}})
    project.export_bundle("mol-v1", release_notes="molecule: good bundle")
    _set_smoke_outcome(project, "FAILED")
    project.export_bundle("mol-v2-broken", release_notes="molecule: its smoke test fails")
    _set_smoke_outcome(project, "SUCCESS")
    automation = dataikuapi.DSSClient(automation_url, api_key)
    automation.create_connection("pg_mol_auto", "PostgreSQL", params={"host": "pg-auto.example.com"})


def start(args):
    os.makedirs(args.state_dir, exist_ok=True)
    stop(args)  # a node left over from an interrupted run would hold the port and stale state
    ports = {"design": args.design_port, "automation": args.automation_port}
    urls = {node: "http://127.0.0.1:%d" % ports[node] for node in NODES}
    procs = {}
    try:
        for node in NODES:
            procs[node] = _spawn(args.state_dir, node, ports[node], args.api_key)
        for node in NODES:
            _wait(urls[node], args.api_key, procs[node])
        seed(urls["design"], urls["automation"], args.api_key)
    except Exception:
        stop(args)
        raise
    print(json.dumps({"urls": urls, "pids": {node: proc.pid for node, proc in procs.items()}}))


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop(args):
    for node in NODES:
        path = _pid_file(args.state_dir, node)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            pid = int(handle.read().strip() or 0)
        if pid > 0 and not _gone(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.time() + 10
            while not _gone(pid) and time.time() < deadline:
                time.sleep(0.05)
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        os.remove(path)
    for node in NODES:
        shutil.rmtree(os.path.join(args.state_dir, "%s-data" % node), ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--state-dir", required=True, help="pid files, logs and the nodes' data")
    parser.add_argument("--design-port", type=int, default=18741)
    parser.add_argument("--automation-port", type=int, default=18742)
    parser.add_argument("--api-key", default=os.environ.get("DSS_MOLECULE_API_KEY"))
    args = parser.parse_args(argv)
    if args.action == "start":
        if not args.api_key:
            parser.error("--api-key (or DSS_MOLECULE_API_KEY) is required to start the nodes")
        start(args)
    else:
        stop(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
