"""Build the collection tarball with the real `ansible-galaxy collection build` (packaging tests)."""

import os
import subprocess
import sys

import yaml

from tests.support.collection import ROOT

BIN = os.path.dirname(sys.executable)


def galaxy_meta():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def tarball_name():
    meta = galaxy_meta()
    return "%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"])


def build_collection(dest_dir):
    """`ansible-galaxy collection build` of the repository into ``dest_dir``; returns the tarball path."""
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                           "--output-path", str(dest_dir), ROOT],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = os.path.join(str(dest_dir), tarball_name())
    assert os.path.isfile(path), proc.stdout
    return path


def install_collection(tarball, collections_dir):
    """`ansible-galaxy collection install <tarball> -p DIR`; returns DIR (the parent of ansible_collections/)."""
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--offline",
                           str(tarball), "-p", str(collections_dir)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(collections_dir)
