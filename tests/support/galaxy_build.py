"""Build the collection tarball with the real `ansible-galaxy collection build` (packaging tests).

The repository does not change during a test run: one build serves every test of the run. The first caller builds
into the directory named by DSS_TEST_BUILD_CACHE (tests/conftest.py makes one per run, shared by the pytest-xdist
workers, which wait for each other on a lock), the next ones copy that tarball. Without the variable every call
builds."""

import fcntl
import os
import shutil
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


CACHE_VARIABLE = "DSS_TEST_BUILD_CACHE"


def build_collection(dest_dir):
    """The tarball `ansible-galaxy collection build` makes of the repository, in ``dest_dir``; returns its path."""
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        return _build(dest_dir)
    os.makedirs(str(dest_dir), exist_ok=True)
    with open(os.path.join(cache, "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        built = os.path.join(cache, tarball_name())
        if not os.path.isfile(built):
            _build(cache)
    return shutil.copy(built, os.path.join(str(dest_dir), tarball_name()))


def _build(dest_dir):
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
