"""A real DSS node for the integration tests, when the environment names one.

- DATAIKU_URL + DATAIKU_API_KEY: a real node; it serves the tests that need its node type (read from
  GET /instance-info). DATAIKU_TEST_DESIGN_URL / DATAIKU_TEST_AUTOMATION_URL (same key) name one node per type.
- With a real DSS configured, a test that needs a node type no real node provides is skipped, with the reason.
- Checks that need the emulator's inspection endpoint (state digest, request counts) call require_emulator(node) and
  are skipped on real DSS with a reason.
"""

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


_TYPE_CACHE = {}


def _node_type_of(url, key):
    if url not in _TYPE_CACHE:
        _TYPE_CACHE[url] = RealNode("?", url, key).client().get_instance_info().node_type.lower()
    return _TYPE_CACHE[url]


def real_dss_configured():
    return bool(os.environ.get("DATAIKU_TEST_API_KEY") or
                (os.environ.get("DATAIKU_URL") and os.environ.get("DATAIKU_API_KEY")))


def describe_mode():
    if not real_dss_configured():
        return "DSS under test: local emulator processes (set DATAIKU_URL/DATAIKU_API_KEY to use a real DSS)"
    return "DSS under test: REAL DSS (%s); tests needing other node types or emulator inspection are skipped" % ", ".join(
        "%s=%s" % (v, os.environ[v]) for v in ("DATAIKU_URL", "DATAIKU_TEST_DESIGN_URL", "DATAIKU_TEST_AUTOMATION_URL")
        if os.environ.get(v))


def real_node_or_none(node_type):
    """A RealNode of ``node_type``, None to use the emulator, or pytest.skip when real DSS lacks that type."""
    if not real_dss_configured():
        return None
    key = os.environ.get("DATAIKU_TEST_API_KEY") or os.environ.get("DATAIKU_API_KEY")
    explicit = os.environ.get("DATAIKU_TEST_%s_URL" % node_type.upper())
    if explicit:
        return RealNode(node_type, explicit, key)
    url = os.environ.get("DATAIKU_URL")
    if url and _node_type_of(url, os.environ.get("DATAIKU_API_KEY")) == node_type:
        return RealNode(node_type, url, os.environ.get("DATAIKU_API_KEY"))
    pytest.skip("real DSS configured but no %s node: set DATAIKU_TEST_%s_URL" % (node_type, node_type.upper()))
    return None


def require_emulator(node):
    if not getattr(node, "is_emulator", True):
        pytest.skip("needs the emulator's /__emulator__/stats (state digest, request counts); running on real DSS")
