"""The execution environment definition (extensions/ee) produces a complete build context with ansible-builder.

Building the image needs podman or docker; `ansible-builder create` (the context) and `introspect` (what the build
would pip/dnf install for the collection) do not."""

import json
import os
import shutil
import subprocess
import sys
import tarfile

import yaml

from tests.support.collection import ROOT
from tests.support.galaxy_build import build_collection, galaxy_meta, installed_collection, tarball_name

BUILDER = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
EE_DIR = os.path.join(ROOT, "extensions", "ee")


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_collection_declares_its_ee_dependencies():
    meta = _load(os.path.join(ROOT, "meta", "execution-environment.yml"))
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    assert os.path.isfile(os.path.join(ROOT, "bindep.txt"))


def test_ee_definition_pins_core_and_runner():
    ee = _load(os.path.join(EE_DIR, "execution-environment.yml"))
    assert ee["version"] == 3
    deps = ee["dependencies"]
    assert deps["ansible_core"]["package_pip"].startswith("ansible-core==2.19.")
    assert deps["ansible_runner"]["package_pip"].startswith("ansible-runner==")
    requirements = _load(os.path.join(EE_DIR, deps["galaxy"]))
    # the collection comes from a tarball copied into the context, named after galaxy.yml's version
    assert requirements["collections"] == [{"name": "collections/" + tarball_name(), "type": "file"}]


def test_builder_creates_a_complete_context(tmp_path):
    # A copy of the files the definition refers to, so that the tarball is not written into the checkout.
    repo = tmp_path / "repo"
    shutil.copytree(EE_DIR, repo / "extensions" / "ee", ignore=shutil.ignore_patterns("collections"))
    for name in ("requirements.txt", "bindep.txt"):
        shutil.copy(os.path.join(ROOT, name), repo / name)
    tarball = build_collection(repo / "extensions" / "ee" / "collections")
    context = tmp_path / "context"
    _run([BUILDER, "create", "-f", str(repo / "extensions" / "ee" / "execution-environment.yml"),
          "-c", str(context), "--output-filename", "Containerfile"])

    containerfile = (context / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="registry.access.redhat.com/ubi9/python-311:latest"' in containerfile
    assert 'ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "ansible-galaxy collection list dataiku_gitops.dss" in containerfile

    build = context / "_build"
    python_reqs = (build / "requirements.txt").read_text()
    assert "dataiku-api-client" in python_reqs and "six" in python_reqs
    assert "ca-certificates" in (build / "bindep.txt").read_text()
    copied = build / "collections" / tarball_name()
    assert copied.read_bytes() == open(tarball, "rb").read()
    galaxy_reqs = _load(build / "requirements.yml")
    assert (build / galaxy_reqs["collections"][0]["name"]).is_file()
    with tarfile.open(copied) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == galaxy_meta()["version"]


def test_builder_introspection_finds_the_collection_requirements(tmp_path):
    collections = installed_collection(tmp_path)
    found = yaml.safe_load(_run([BUILDER, "introspect", "--sanitize", collections]))
    python = "\n".join(found["python"])
    assert "dataiku-api-client" in python and "six" in python and "dataiku_gitops.dss" in python
    assert any("ca-certificates" in line for line in found["system"])
