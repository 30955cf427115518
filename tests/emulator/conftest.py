"""Fixtures of the emulator fidelity tests: one emulator process per test module (fast), the official client,
and direct seeding of a stopped node's data dir for states no public call of this area can create."""

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support.emulator import EmulatorNode  # noqa: E402  pylint: disable=wrong-import-position


def _store_class():
    # Loaded by path under a private name: the emulator's flat module names (store, web, app) stay out of the
    # test process's import namespace.
    path = os.path.join(ROOT, "tests", "dss_emulator", "store.py")
    spec = importlib.util.spec_from_file_location("dss_emulator_store_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Store


def seed_docs(node, docs):
    """Write (kind, scope, id, body) documents into a node's state while it is stopped, then start it again."""
    node.stop()
    store = _store_class()(node.data_dir)
    try:
        for kind, scope, id_, body in docs:
            store.put(kind, scope, id_, body)
    finally:
        store.close()
    node.start()


@pytest.fixture(scope="module")
def design():
    with EmulatorNode("design") as node:
        yield node


@pytest.fixture(scope="module")
def automation():
    with EmulatorNode("automation") as node:
        yield node


@pytest.fixture(scope="module")
def client(design):
    return design.client()
