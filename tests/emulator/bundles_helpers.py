"""Shared setup for the bundle fidelity tests: a design project with real content made through the official
client, raw wire checks, and blob-directory snapshots (to prove a refused upload leaves nothing behind)."""

import io
import os
import re
import zipfile

import dataikuapi
import pytest
import requests

DSS_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def seed_design_project(client, key="SALES"):
    """A project using connection pg_dev (PostgreSQL) and filesystem_managed, code env py_dev, a test scenario
    and a standard variable."""
    if "pg_dev" not in client.list_connections():
        client.create_connection("pg_dev", "PostgreSQL", {"host": "dev-db"})
    project = client.create_project(key, "Sales", "admin")
    project.create_dataset("customers", "PostgreSQL", params={"connection": "pg_dev", "table": "customers"})
    project.create_dataset("scored", "Filesystem", params={"connection": "filesystem_managed", "path": "scored"})
    project.create_recipe({"type": "python", "name": "compute_scored",
                           "inputs": {"main": {"items": [{"ref": "customers"}]}},
                           "outputs": {"main": {"items": [{"ref": "scored"}]}},
                           "params": {"envSelection": {"envMode": "EXPLICIT_ENV", "envName": "py_dev"}}},
                          {"payload": "print('scoring')"})
    project.create_scenario("Smoke", "step_based", definition={"id": "TEST_SMOKE", "active": True})
    project.update_variables({"stage": "dev", "threshold": 3}, "standard")
    return project


def automation_remapping(project, connections=None, code_envs=None, import_mode="INSTALL_IF_MISS"):
    """Write bundleContainerSettings the way a remap module would: through project settings."""
    settings = project.get_settings()
    container = settings.get_raw().setdefault("bundleContainerSettings", {})
    remapping = container.setdefault("remapping", {})
    remapping["connections"] = [{"source": s, "target": t} for s, t in (connections or {}).items()]
    remapping["codeEnvs"] = [{"source": s, "target": t} for s, t in (code_envs or {}).items()]
    container["codeEnvsBehavior"] = {"importTimeMode": import_mode}
    settings.save()


def archive_bytes(design_project, bundle_id, tmp_path):
    path = tmp_path / ("%s.zip" % bundle_id)
    design_project.download_exported_bundle_archive_to_file(bundle_id, str(path))
    return path.read_bytes()


def blob_files(node):
    """Every file of the blob directory, hidden temp files included."""
    return sorted(os.listdir(os.path.join(node.data_dir, "blobs")))


def expect_dss_error(fragment, call, *args, **kwargs):
    with pytest.raises(dataikuapi.utils.DataikuException) as info:
        call(*args, **kwargs)
    assert fragment in str(info.value), str(info.value)
    return str(info.value)


def raw_post(node, path, **kwargs):
    """A request as dataikuapi sends it (same prefix and auth), to read error fields it does not expose."""
    return requests.post(node.url + "/dip/publicapi" + path, auth=(node.api_key, ""), timeout=60, **kwargs)


def zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def contents(project):
    """What activation replaces, as the client reads it back."""
    variables = project.get_variables()
    return {
        "datasets": {d["name"]: d["params"].get("connection") for d in project.list_datasets()},
        "recipes": {r["name"]: project.get_recipe(r["name"]).get_settings().get_recipe_raw_definition()["params"]
                    .get("envSelection", {}).get("envName") for r in project.list_recipes()},
        "scenarios": {s["id"]: s["active"] for s in project.list_scenarios()},
        "standard": variables["standard"],
        "local": variables["local"],
    }


def on_node(node, local_path, name=None):
    """Copy a local file onto the node's filesystem (<data-dir>/fs) and return the server-side path to pass."""
    target = os.path.join(node.data_dir, "fs", name or os.path.basename(str(local_path)))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(local_path, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read())
    return target
