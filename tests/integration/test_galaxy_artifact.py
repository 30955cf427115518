"""The Galaxy artifact: what `ansible-galaxy collection build` ships, and that the installed copy works on its own."""

import hashlib
import os
import subprocess
import sys
import tarfile

import dataikuapi
import pytest

from tests.support.galaxy_build import build_collection, installed_collection

MAX_TARBALL_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """One `ansible-galaxy collection build` for the tests of this module."""
    return build_collection(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    """The tarball installed with `ansible-galaxy collection install` (once per run: the tests only read it)."""
    return installed_collection(tmp_path_factory.mktemp("install"))


def test_tarball_content_and_size(tarball):
    assert os.path.getsize(tarball) < MAX_TARBALL_BYTES
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for required in ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml", "meta/execution-environment.yml",
                     "requirements.txt", "bindep.txt", "plugins/modules/dataiku_project.py",
                     "plugins/module_utils/_core/module.py", "plugins/doc_fragments/dss.py",
                     "roles/bundle_export/meta/argument_specs.yml", "playbooks/promote.yml",
                     "playbooks/awx/files/credential_types.yml", "playbooks/awx/requirements.yml", "extensions/ee/execution-environment.yml",
                     "tests/dss_emulator/__main__.py", "tests/dss_emulator/runtime/zygote.py", "tests/demo/demo.py",
                     "tests/support/processes.py"):
        assert required in names, required
    for name in names:
        top = name.split("/", 1)[0]
        assert top not in (".venv", ".build", ".git", ".cache", ".ci"), name
        assert not name.startswith("tests/output"), name
        # the test suites run from a clone; the emulator, the demo and their helpers ship
        assert not name.startswith(("tests/unit", "tests/integration", "tests/emulator", "tests/benchmarks")), name
        assert not name.endswith((".tar.gz", ".pyc")) and "__pycache__" not in name, name


def test_installed_collection_runs_without_the_repository(collections, design_node, playbook):
    installed = os.path.join(collections, "ansible_collections", "dataiku_gitops", "dss")
    assert os.path.isfile(os.path.join(installed, "MANIFEST.json")) and not os.path.islink(installed)
    # the same task twice in one run: the second module start finds the project it created
    tasks = [{"name": name, "dataiku_gitops.dss.dataiku_project": {"project_key": "GALAXY_CHECK", "name": "Galaxy"},
              "module_defaults": {"group/dataiku_gitops.dss.dss": {"url": "{{ dss_url }}", "api_key": "{{ dss_key }}"}}}
             for name in ("create", "again")]
    extra = {"dss_url": design_node.url, "dss_key": design_node.api_key}
    # only the installed copy on the collections path: the repository link must not be what runs
    env = {"ANSIBLE_COLLECTIONS_PATH": collections, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0"}
    run = playbook(tasks=tasks, extra_vars=extra, env=env, args=("-vvv",))
    assert run.rc == 0, run
    assert run.task("create")["status"] == "changed"
    assert os.path.join(installed, "plugins", "modules", "dataiku_project.py") in run.output
    assert [t["task"] for t in run.tasks] == ["create", "again"], run
    assert run.task("again")["status"] == "ok"


def _files_and_digests(top):
    found = {}
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                found[os.path.relpath(path, top)] = hashlib.sha256(fh.read()).hexdigest()
    return found


def test_emulator_starts_from_the_installed_collection_and_changes_nothing_in_it(tmp_path, collections):
    installed = os.path.join(collections, "ansible_collections", "dataiku_gitops", "dss")
    with open(os.path.join(installed, "tests", "dss_emulator", "requirements.txt"), encoding="utf-8") as fh:
        assert {line.split("==")[0] for line in fh if line.strip() and not line.startswith("#")} == {
            "flask", "werkzeug", "pandas", "numpy"}  # pandas and numpy: DSS's built-in Python environment
    before = _files_and_digests(installed)
    # the documented command (docs/emulator.md): python -B <collection>/tests/dss_emulator ...
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.Popen([sys.executable, "-B", os.path.join(installed, "tests", "dss_emulator"), "--node-type", "design",
                             "--port", "0", "--data-dir", str(tmp_path / "data"), "--api-key", "k"],
                            cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip().split()[-1]
        assert url.startswith("http://127.0.0.1:"), url
        client = dataikuapi.DSSClient(url, "k")
        project = client.create_project("FROM_INSTALLED", "From installed", "admin")
        assert "FROM_INSTALLED" in client.list_project_keys()
        # The installed runtime runs DSS's recipe-style code (pandas forked from the zygote, plain rows spawned).
        project.create_dataset("scores", "Filesystem", params={"connection": "filesystem_managed", "path": "scores"})
        write = ("import dataiku\nimport pandas as pd, numpy as np\nfrom dataiku import pandasutils as pdu\n"
                 "dataiku.Dataset('scores').write_with_schema(pd.DataFrame({'score': np.array([0.5])}))\n")
        read = "import dataiku\nassert list(dataiku.Dataset('scores').iter_tuples()) == [(0.5,)]\n"
        steps = [{"type": "custom_python", "name": "Write", "params": {"script": write}},
                 {"type": "custom_python", "name": "Read", "params": {"script": read}}]
        scenario = project.create_scenario("TEST_INSTALLED", "step_based",
                                           definition={"id": "TEST_INSTALLED", "params": {"steps": steps}})
        assert scenario.run_and_wait().outcome == "SUCCESS"
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    assert _files_and_digests(installed) == before  # no __pycache__, no data, nothing changed
    verify = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), "collection", "verify",
                             "--offline", "-p", collections, "dataiku_gitops.dss"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0 and "Successfully verified" in verify.stdout, verify.stdout + verify.stderr


def test_make_inside_the_installed_collection_keeps_its_virtualenv_outside(tmp_path, collections):
    installed = os.path.join(collections, "ansible_collections", "dataiku_gitops", "dss")
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    env.pop("XDG_CACHE_HOME", None)
    plan = subprocess.run(["make", "-n", "demo"], cwd=installed, env=env, capture_output=True, text=True,
                          timeout=60, check=True).stdout
    venv = os.path.join(str(tmp_path / "home"), ".cache", "dataiku_gitops.dss", "venv")
    assert "-m venv %s" % venv in plan and "%s/bin/python tests/demo/demo.py" % venv in plan, plan
    assert ".venv" not in plan, plan
