"""Fixtures of the emulator fidelity tests: one fresh emulator node per test module (a process of this pytest worker,
reset for each module), the official client, and direct seeding of a stopped node's data dir for states no public
call of this area can create."""

import pytest

from tests.dss_emulator.store import Store
from tests.support.emulator import NodePool


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


@pytest.fixture(scope="session")
def module_nodes():
    """Not the pool of design_node/automation_node: a test of another module must not reset a module's node."""
    pool = NodePool()
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def design(module_nodes):
    return module_nodes.checkout("design")


@pytest.fixture(scope="module")
def automation(module_nodes):
    return module_nodes.checkout("automation")


@pytest.fixture(scope="module")
def client(design):
    return design.client()
