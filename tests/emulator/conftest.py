"""Fixtures of the emulator fidelity tests: one emulator process per test module (fast), the official client,
and direct seeding of a stopped node's data dir for states no public call of this area can create."""

import pytest

from tests.dss_emulator.store import Store
from tests.support.emulator import EmulatorNode


def seed_docs(node, docs):
    """Write (kind, scope, id, body) documents into a node's state while it is stopped, then start it again."""
    node.stop()
    store = Store(node.data_dir)
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
