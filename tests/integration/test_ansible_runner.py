"""The promotion run the way AWX runs a job: through ansible-runner, from a private data directory.

AWX builds a private data dir (project checkout, inventory script, credential-injected env vars, extra vars), runs
`ansible-runner` on it and consumes the job events. This test builds the same layout, runs playbooks/promote.yml
over the three shipped environment inventories against three emulator nodes seeded like `make demo`, and asserts
on the job events (what AWX shows per host), the stats, idempotence, and where the API keys end up.

Known and documented (docs/awx.md, docs/promotion.md): ansible-runner writes the job's full environment, keys
included, to artifacts/<ident>/command. AWX deletes the private data dir after the job; anyone running
ansible-runner by hand must treat artifacts/ as secret. The test pins that this is the ONLY place a key lands.
"""

import json
import os
import shutil
import subprocess
import sys

import ansible_runner
import pytest

from tests.support import landscape as landscapes
from tests.support.collection import ROOT, ensure_collection_link
from tests.support.promotion import ENVIRONMENTS, GIT_ENV

VENV_BIN = os.path.dirname(sys.executable)
# Projects are hosts (<env>-<PROJECT_KEY>, inventory plugin dataiku_gitops.dss.fleet).
DEPLOY_TASKS = ("Deploy, test and certify the bundle on CHURN",)  # one module call: deploy, test, certify
AUTOMATION_HOSTS = ("staging-CHURN", "prod-CHURN")
ALL_HOSTS = ("dev-CHURN",) + AUTOMATION_HOSTS


def write_runner_file(path, data):
    # env/envvars and env/extravars are YAML files for ansible-runner; JSON is valid YAML.
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.chmod(path, 0o600)


def awx_inventory_script(private_data_dir):
    """inventory/hosts as AWX writes it: an executable printing the imported inventory (ansible-inventory --list
    --export of the three environment inventories, as an inventory sourced from the project would hold them)."""
    cmd = [os.path.join(VENV_BIN, "ansible-inventory"), "--list", "--export"]
    for env in ENVIRONMENTS:
        cmd += ["-i", os.path.join(ROOT, "inventories", env)]
    data = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60, env=dict(
        os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=ensure_collection_link())).stdout
    path = os.path.join(private_data_dir, "inventory", "hosts")
    os.makedirs(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as out:
        out.write("#!%s\nprint(%r)\n" % (sys.executable, json.dumps(json.loads(data))))
    os.chmod(path, 0o700)


def project_checkout(private_data_dir):
    """project/: the SCM checkout of the playbook repository (a git repository: its HEAD names the bundle)."""
    project = os.path.join(private_data_dir, "project")
    for name in ("playbooks", "inventories"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(project, name))
    git_env = dict(os.environ, **GIT_ENV)
    for args in (["init", "--quiet", "--initial-branch=main"], ["add", "-A"],
                 ["commit", "--quiet", "-m", "CHURN: promote the churn scoring flow"]):
        subprocess.run(["git", "-C", project] + args, check=True, capture_output=True, env=git_env)
    head = subprocess.run(["git", "-C", project, "rev-parse", "HEAD"], check=True, capture_output=True, text=True,
                          env=git_env).stdout.strip()
    return "g" + head[:12]


def private_data_dir_for(path, land):
    """The AWX layout. env/envvars: what a custom credential type injecting DSS_<ENV>_URL / DSS_<ENV>_API_KEY sets,
    plus the collection path AWX sets for the project's requirements_collections."""
    os.makedirs(os.path.join(path, "env"))
    write_runner_file(os.path.join(path, "env", "envvars"), dict(
        land.env(), ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), ANSIBLE_NOCOLOR="1",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_LOCALHOST_WARNING="0"))
    write_runner_file(os.path.join(path, "env", "extravars"), {
        "awx_job_id": 42, "awx_job_template_name": "DSS promote", "awx_project_revision": "main"})
    write_runner_file(os.path.join(path, "env", "settings"), {"job_timeout": 300, "idle_timeout": 120})
    awx_inventory_script(path)
    return project_checkout(path)


def run_job(private_data_dir, ident):
    runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="playbooks/promote.yml",
                                ident=ident, quiet=True)
    return runner, list(runner.events)


def ok_results(events, event="runner_on_ok"):
    """{(host, task): changed} for the per-host results of one kind."""
    return {(e["event_data"]["host"], e["event_data"]["task"]): e["event_data"]["res"].get("changed", False)
            for e in events if e["event"] == event}


def files_containing(root, secrets, skip=()):
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if rel in skip or os.path.islink(path):
                continue
            with open(path, "rb") as fh:
                content = fh.read()
            if any(secret.encode() in content for secret in secrets):
                found.add(rel)
    return found


@pytest.fixture
def landscape(tmp_path, tmp_path_factory, monkeypatch):
    # ansible-runner starts ansible-playbook from PATH; the job must get its credentials from env/envvars only.
    monkeypatch.setenv("PATH", VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    for var in ["DATAIKU_URL", "DATAIKU_API_KEY", "DATAIKU_VALIDATE_CERTS"] + [
            "DSS_%s_%s" % (env.upper(), what) for env in ENVIRONMENTS for what in ("URL", "API_KEY")]:
        monkeypatch.delenv(var, raising=False)
    # the seeded landscape (the session's, restored on this process's nodes: no seeding run of its own)
    return landscapes.restored(landscapes.SEEDED, tmp_path / "landscape", tmp_path_factory)


def test_promotion_through_ansible_runner(tmp_path, landscape):
    private = tmp_path / "job"
    bundle_id = private_data_dir_for(str(private), landscape)
    keys = landscape.api_keys()

    first, events = run_job(private, "promote-1")
    stdout = first.stdout.read()
    assert (first.status, first.rc) == ("successful", 0), stdout[-4000:]

    # Per-host results as AWX lists them: the deploy tasks ran and changed something on both automation hosts.
    results = ok_results(events)
    for host in AUTOMATION_HOSTS:
        for task in DEPLOY_TASKS:
            assert results.get((host, task)) is True, (host, task, sorted(results))
    assert not [e for e in events if e["event"] in ("runner_on_failed", "runner_on_unreachable")]
    stats = [e for e in events if e["event"] == "playbook_on_stats"][-1]["event_data"]
    assert set(stats["ok"]) == set(ALL_HOSTS)
    assert stats["changed"].get("dev-CHURN", 0) >= 1  # the export
    assert all(stats["changed"].get(host, 0) >= 1 for host in AUTOMATION_HOSTS)
    assert not stats["failures"] and not stats["dark"]
    assert first.stats["changed"] == stats["changed"]
    assert landscape.active_bundle("staging") == bundle_id
    assert landscape.active_bundle("prod") == bundle_id

    # Same commit, second job: nothing to do anywhere.
    second, events2 = run_job(private, "promote-2")
    assert (second.status, second.rc) == ("successful", 0), second.stdout.read()[-4000:]
    stats2 = [e for e in events2 if e["event"] == "playbook_on_stats"][-1]["event_data"]
    assert set(stats2["ok"]) == set(ALL_HOSTS)
    assert all(stats2["changed"].get(host, 0) == 0 for host in ALL_HOSTS), stats2["changed"]
    assert not [key for key, changed in ok_results(events2).items() if changed]

    # No key in any job event (what AWX stores and shows) nor in stdout.
    for event in events + events2:
        text = json.dumps(event)
        assert not [key for key in keys if key in text], event["event"]
    assert not [key for key in keys if key in stdout]

    # Keys on disk: env/envvars is the input (AWX writes it and deletes the whole dir after the job). In the
    # artifacts, ansible-runner's own record of the environment is the only file allowed to hold them.
    leaked = files_containing(str(private), keys, skip={os.path.join("env", "envvars")})
    expected = {os.path.join("artifacts", ident, "command") for ident in ("promote-1", "promote-2")}
    assert leaked == expected, "API keys found outside artifacts/<ident>/command: %s" % sorted(leaked - expected)
    for path in expected:
        assert os.stat(os.path.join(str(private), path)).st_mode & 0o077 == 0  # owner-only, like the artifacts dir
