"""Build the collection tarball with the real `ansible-galaxy collection build` (packaging tests).

The repository does not change during a test run: one build serves every test of the run. The first caller builds
into the directory named by DSS_TEST_BUILD_CACHE (tests/conftest.py makes one per run, shared by the pytest-xdist
workers, which wait for each other on a lock), the next ones copy that tarball. Likewise one
`ansible-galaxy collection install` of it serves every test that only reads an installed copy. Without the variable
every call builds (and installs)."""

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


def installed_collection(dest_dir):
    """A collections directory (the parent of ansible_collections/) holding the built tarball as
    `ansible-galaxy collection install` leaves it, for a test that only reads it (runs, introspects, verifies it):
    installed once per run in DSS_TEST_BUILD_CACHE, else into ``dest_dir``. A test that changes its installed copy
    installs one of its own (install_collection)."""
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        return install_collection(build_collection(os.path.join(str(dest_dir), "dist")),
                                  os.path.join(str(dest_dir), "collections"))
    shared = os.path.join(cache, "installed")
    # a lock of its own: build_collection takes the build lock (flock locks of one process do not nest)
    with open(os.path.join(cache, "install.lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(shared):
            scratch = shared + ".partial"
            shutil.rmtree(scratch, ignore_errors=True)
            install_collection(build_collection(os.path.join(cache, "dist")), scratch)
            os.replace(scratch, shared)  # complete or absent
    return shared


def install_collection(tarball, collections_dir):
    """`ansible-galaxy collection install <tarball> -p DIR`; returns DIR (the parent of ansible_collections/)."""
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--offline",
                           str(tarball), "-p", str(collections_dir)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(collections_dir)
