"""A real DSS node for the integration tests, when the environment names one.

DATAIKU_TEST_DESIGN_URL / DATAIKU_TEST_AUTOMATION_URL + DATAIKU_TEST_API_KEY select real nodes; tests that need
emulator-only inspection (state digest, request counts) call ``require_emulator(node)`` and are skipped there with
a clear reason."""

import os

import pytest


class RealNode:
    is_emulator = False

    def __init__(self, node_type, url, api_key):
        self.node_type = node_type
        self.url = url.rstrip("/")
        self.api_key = api_key

    def client(self):
        import dataikuapi  # pylint: disable=import-outside-toplevel
        return dataikuapi.DSSClient(self.url, self.api_key)

    def close(self):
        pass


def real_node_or_none(node_type):
    url = os.environ.get("DATAIKU_TEST_%s_URL" % node_type.upper())
    key = os.environ.get("DATAIKU_TEST_API_KEY")
    return RealNode(node_type, url, key) if url and key else None


def require_emulator(node):
    if not getattr(node, "is_emulator", True):
        pytest.skip("needs the emulator's /__emulator__/stats (state digest, request counts); running on real DSS")
