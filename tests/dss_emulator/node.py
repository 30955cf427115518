"""One emulated DSS node as plain state, free of Flask: its store, type, id, API keys and data dir.

Model code reaches "the node this call works on" through `current()` (or the shortcuts below). The web layer
activates the node for each request and for the threads it starts (app.py); the in-process mode and tests can
activate a node themselves with `activated(node)`. So the models run the same under a server, in-process, or
called directly, and hold no reference to a web framework.
"""

import contextvars
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone

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
        from . import python_process  # pylint: disable=import-outside-toplevel
        python_process.kill_all()  # no scenario or recipe code of the old state keeps running
        self.store.clear()
        self.clock = time.time
        for name in os.listdir(self.data_dir):
            path = os.path.join(self.data_dir, name)
            if name not in ("blobs",) and not name.startswith("state.sqlite3") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
        os.makedirs(os.path.join(self.data_dir, "fs"), exist_ok=True)
        with activated(self):
            for hook in self.on_reset:
                hook()

    def close(self):
        self.store.close()


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
