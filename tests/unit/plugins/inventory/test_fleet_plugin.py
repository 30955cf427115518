"""The inventory plugin dataiku_gitops.dss.fleet through ansible-inventory, on the shipped inventories and on
configurations written here."""

import json
import os
import subprocess
import sys

from tests.support.collection import ROOT, ensure_collection_link

INVENTORY = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")


def inventory(*sources, env=None):
    cmd = [INVENTORY, "--list"]
    for source in sources:
        cmd += ["-i", str(source)]
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), ANSIBLE_NOCOLOR="1",
                   **(env or {}))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=60, check=False)
    return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)


def unwrapped(text):
    """ansible-core 2.17 wraps a warning at 79 columns when stderr is no terminal, also inside a long word (a path):
    compare messages with the whitespace taken out, or the test depends on the length of pytest's tmp_path."""
    return "".join(text.split())


def shipped(env):
    return os.path.join(ROOT, "inventories", env)


def test_each_shipped_inventory_targets_its_environment_only():
    for env in ("dev", "staging", "prod"):
        proc, data = inventory(shipped(env))
        assert proc.returncode == 0, proc.stderr
        assert sorted(data["_meta"]["hostvars"]) == ["%s-CHURN" % env]
        assert data[env]["hosts"] == ["%s-CHURN" % env]


def test_three_shipped_inventories_together_drive_the_whole_promotion():
    proc, data = inventory(shipped("dev"), shipped("staging"), shipped("prod"))
    assert proc.returncode == 0, proc.stderr
    assert data["dss_design"]["hosts"] == ["dev-CHURN"]
    assert sorted(data["dss_automation"]["hosts"]) == ["prod-CHURN", "staging-CHURN"]
    assert sorted(data["project_CHURN"]["hosts"]) == ["dev-CHURN", "prod-CHURN", "staging-CHURN"]
    prod = data["_meta"]["hostvars"]["prod-CHURN"]
    assert prod["dss_connections"] == {"pg_dev": "pg_prod"} and prod["dss_gate_host"] == "staging-CHURN"
    assert "DSS_PROD_API_KEY" in prod["dss_api_key"]  # a lookup, never a value


def test_a_literal_key_fails_the_inventory_with_the_entry_named(tmp_path):
    (tmp_path / "fleet.yml").write_text(
        "environments:\n  dev: {node_type: design, url: 'http://dss', api_key: plain-secret-key}\nprojects: {}\n")
    config = tmp_path / "dev" / "hosts.yml"
    config.parent.mkdir()
    config.write_text("plugin: dataiku_gitops.dss.fleet\ndescription: ../fleet.yml\n")
    proc, _data = inventory(config, env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode != 0
    assert unwrapped("environments.dev.api_key must be a reference") in unwrapped(proc.stderr)
    assert "plain-secret-key" not in unwrapped(proc.stderr + proc.stdout)


def test_missing_description_is_named(tmp_path):
    config = tmp_path / "hosts.yml"
    config.write_text("plugin: dataiku_gitops.dss.fleet\ndescription: nowhere.yml\n")
    proc, _data = inventory(config, env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode != 0
    assert "nowhere.yml" in unwrapped(proc.stderr) and "doesnotexist" in unwrapped(proc.stderr)


def test_plain_yaml_inventories_are_left_to_other_plugins(tmp_path):
    static = tmp_path / "hosts.yml"
    static.write_text("all:\n  hosts:\n    plain-host:\n")
    proc, data = inventory(static)
    assert proc.returncode == 0, proc.stderr
    assert data["ungrouped"]["hosts"] == ["plain-host"]


PARSES = """
import runpy, sys
from ansible.parsing.dataloader import DataLoader
load = DataLoader.load
def counting(self, data, file_name="<string>", *args, **kwargs):
    if str(file_name).endswith("fleet.yml"):
        sys.stderr.write("PARSED %s\\n" % file_name)
    return load(self, data, file_name, *args, **kwargs)
DataLoader.load = counting
sys.argv = [sys.argv[1], "--list"] + sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_the_sources_of_one_fleet_parse_its_description_once():
    """Three sources, one description: parsed once per run (a 1,000-project description takes about a second)."""
    cmd = [sys.executable, "-c", PARSES, INVENTORY]
    for env in ("dev", "staging", "prod"):
        cmd += ["-i", shipped(env)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("PARSED ") == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert sorted(data["_meta"]["hostvars"]) == ["dev-CHURN", "prod-CHURN", "staging-CHURN"]
    assert data["_meta"]["hostvars"]["prod-CHURN"]["dss_connections"] == {"pg_dev": "pg_prod"}
