"""One emulated DSS node as plain state, free of Flask: its store, type, id, API keys and data dir.

Model code reaches "the node this call works on" through `current()` (or the shortcuts below). The web layer
activates the node for each request and for the threads it starts (app.py); the in-process mode and tests can
activate a node themselves with `activated(node)`. So the models run the same under a server, in-process, or
called directly, and hold no reference to a web framework.
"""

import contextvars
import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from . import python_process
from .errors import unknown_project
from .store import Store

_active = contextvars.ContextVar("dss_emulator_node")


class Node:
    def __init__(self, data_dir, node_type="DESIGN", api_keys=("secret",), node_id=None, durable=True):
        self.data_dir = os.path.abspath(data_dir)
        self.node_type = node_type.upper()
        self.node_id = node_id or "emulated-%s" % node_type.lower()
        self.api_keys = set(api_keys)
        os.makedirs(os.path.join(self.data_dir, "fs"), exist_ok=True)  # the node's filesystem (bundle_store.node_file)
        self.store = Store(self.data_dir, durable=durable)
        self.on_reset = []  # callables run after reset() (seeding a fresh node, clearing in-memory counters)
        # The node's time in seconds since the epoch: run and job times, "running" windows. In-process tests may
        # share a fake clock with the code under test, so that both see the same time pass.
        self.clock = time.time
        # --confine-paths: server-side paths are read only under <data-dir>/fs (bundle_store.node_file)
        self.confine_paths = False

    def reset(self):
        """Back to a fresh node, like moto's reset(): every document, counter, blob and file of the data dir goes;
        the seed a first start writes (the default connection) is written again."""
        python_process.kill_all()  # no scenario or recipe code of the old state keeps running
        self.store.clear()
        for name in self._state_dirs(self.data_dir, scratch=True):
            shutil.rmtree(os.path.join(self.data_dir, name), ignore_errors=True)
        os.makedirs(os.path.join(self.data_dir, "fs"), exist_ok=True)
        self._fresh_start()

    def _fresh_start(self):
        """After the state was replaced (reset, restore): the real clock, and the on_reset hooks (the seed of a
        fresh node, in-memory counters)."""
        self.clock = time.time
        with activated(self):
            for hook in self.on_reset:
                hook()

    def snapshot(self, target):
        """Save the node's whole state into the new (or empty) directory ``target``: the documents and counters
        (SQLite's backup API), the blobs, every other directory of the data dir (fs, the projects' git
        repositories, dataset data) and a manifest (node type, data dir, state digest). Under the store lock, so
        no write lands half-way. Returns the manifest."""
        target = os.path.abspath(target)
        if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
            raise SnapshotError("the snapshot directory %s exists and is not empty: give a new or empty one" % target)
        self._refuse_inside_data_dir(target)
        os.makedirs(target, exist_ok=True)
        with self.store.locked():
            self.store.backup(os.path.join(target, SNAPSHOT_DB))
            _copy_blobs(self.store.blob_dir, os.path.join(target, "blobs"))
            for name in self._state_dirs(self.data_dir):
                shutil.copytree(os.path.join(self.data_dir, name), os.path.join(target, name), symlinks=True)
            manifest = {"format": SNAPSHOT_FORMAT, "node_type": self.node_type, "data_dir": self.data_dir,
                        "state_digest": self.store.digest()}
        with open(os.path.join(target, SNAPSHOT_MANIFEST), "w", encoding="utf-8") as out:
            json.dump(manifest, out, indent=1)
        return manifest

    def restore(self, source, replace=None):
        """Put the node back into the state saved by snapshot() in ``source``, as reset() then a load: running
        scenario or recipe code is stopped, every document, counter, blob and file of the data dir is replaced by
        the snapshot's, the clock is the real one and the on_reset hooks run (the seed of a fresh node writes
        nothing: the snapshot holds its mark). The node may be another process, on another port and data dir, than
        the one saved, of the same type: ``replace`` ({old: new} strings) rewrites every document body, for the
        state that names other nodes (a deployer infrastructure's automation node URL and API key); the data dir
        saved is rewritten to this node's own. Returns the state digest."""
        source = os.path.abspath(source)
        self._refuse_inside_data_dir(source)
        manifest = read_manifest(source)
        if manifest["node_type"] != self.node_type:
            raise SnapshotError("the snapshot in %s is of a %s node: it cannot be restored into this %s node"
                                % (source, manifest["node_type"], self.node_type))
        replace = dict(_checked_replace(replace))
        if manifest["data_dir"] != self.data_dir:
            replace.setdefault(manifest["data_dir"], self.data_dir)
        python_process.kill_all()
        with self.store.locked():
            self.store.load(os.path.join(source, SNAPSHOT_DB), replace)
            _remove_files(self.store.blob_dir)
            _copy_blobs(os.path.join(source, "blobs"), self.store.blob_dir)
            for name in self._state_dirs(self.data_dir, scratch=True):
                shutil.rmtree(os.path.join(self.data_dir, name), ignore_errors=True)
            for name in self._state_dirs(source):
                shutil.copytree(os.path.join(source, name), os.path.join(self.data_dir, name), symlinks=True)
            os.makedirs(os.path.join(self.data_dir, "fs"), exist_ok=True)
        self._fresh_start()
        return self.store.digest()

    def _refuse_inside_data_dir(self, path):
        if path == self.data_dir or path.startswith(self.data_dir + os.sep):
            raise SnapshotError("the snapshot directory %s is inside the node's data dir: give one outside it" % path)

    @staticmethod
    def _state_dirs(folder, scratch=False):
        """The directories of a data dir (or a snapshot) other than the blobs: fs, git, datasets... and with
        ``scratch`` the scripts' work directories, which are no state: a snapshot leaves them out, a reset and a
        restore remove them."""
        skip = ("blobs",) if scratch else ("blobs", python_process.SCRATCH)
        return sorted(name for name in os.listdir(folder)
                      if name not in skip and os.path.isdir(os.path.join(folder, name)))

    def close(self):
        self.store.close()


SNAPSHOT_FORMAT = "dss-emulator-snapshot/1"
SNAPSHOT_DB = "state.sqlite3"
SNAPSHOT_MANIFEST = "snapshot.json"


class SnapshotError(ValueError):
    """A snapshot or restore that cannot be done (bad directory, other node type, bad replace map): nothing was
    changed."""


def read_manifest(source):
    path = os.path.join(str(source), SNAPSHOT_MANIFEST)
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError("%s holds no emulator snapshot (no readable %s of format %s)"
                            % (source, SNAPSHOT_MANIFEST, SNAPSHOT_FORMAT))
    return manifest


def _checked_replace(replace):
    if replace is None:
        return {}
    if not isinstance(replace, dict) or not all(isinstance(k, str) and k and isinstance(v, str)
                                                for k, v in replace.items()):
        raise SnapshotError("replace must map non-empty strings to strings ({\"old\": \"new\"}), got %r"
                            % (replace,))
    return replace


def _remove_files(folder):
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))


def _copy_blobs(source, target):
    """Blobs are never changed in place (written aside, renamed, deleted): a hard link is a copy, where it works."""
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(source):
        if name.startswith("."):
            continue  # an upload in progress
        src, dst = os.path.join(source, name), os.path.join(target, name)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def current():
    try:
        return _active.get()
    except LookupError:
        raise RuntimeError("no emulated DSS node is active here: use node.activated(node)") from None


@contextmanager
def activated(node):
    token = _active.set(node)
    try:
        yield node
    finally:
        _active.reset(token)


def enter(node):
    """Activate without a with-block (the web layer pairs it with leave(token))."""
    return _active.set(node)


def leave(token):
    _active.reset(token)


def store():
    return current().store


def node_type():
    return current().node_type


def current_user():
    return "admin"


def require_project(key):
    project = store().get("project", "", key)
    if project is None:
        raise unknown_project(key)
    return project


def _now():
    node = _active.get(None)
    return node.clock() if node is not None else time.time()


def now_iso():
    """DSS date format: yyyy-MM-ddTHH:mm:ss.SSS+0000."""
    now = datetime.fromtimestamp(_now(), timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (now.microsecond // 1000)


def now_ms():
    return int(_now() * 1000)
