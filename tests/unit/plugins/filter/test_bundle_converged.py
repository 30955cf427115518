"""Unit tests of the filter bundle_converged (plugins/plugin_utils/_filters/bundle_converged.py)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged

ACTIVE_CERTIFIED = {"exists": True, "active_bundle_id": "b2", "bundle_ids": ["b1", "b2"], "certified": True}


@pytest.mark.parametrize("state,bundle_id,expected", [
    (ACTIVE_CERTIFIED, "b2", True),
    (ACTIVE_CERTIFIED, "b3", False),  # a new bundle
    (dict(ACTIVE_CERTIFIED, certified=False), "b2", False),  # active but never passed its tests: re-test
    (dict(ACTIVE_CERTIFIED, certified=None), "b2", False),  # unknown record is not a passing one
    (dict(ACTIVE_CERTIFIED, active_bundle_id="b1"), "b2", False),  # imported, not active
    ({"exists": False}, "b2", False),
    (None, "b2", False),
    ({}, "b2", False),
    (ACTIVE_CERTIFIED, "", False),
])
def test_automation_needs_the_active_bundle_with_a_passing_record(state, bundle_id, expected):
    assert bundle_converged(state, bundle_id) is expected


def test_design_needs_the_bundle_exported():
    state = {"exists": True, "bundle_ids": ["b1", "b2"], "active_bundle_id": None, "certified": None}
    assert bundle_converged(state, "b2", "design") is True
    assert bundle_converged(state, "b3", "design") is False
    assert bundle_converged({"exists": False}, "b2", "design") is False


def test_unknown_node_type_is_refused_and_filter_registered():
    with pytest.raises(AnsibleFilterError, match="design or automation"):
        bundle_converged(ACTIVE_CERTIFIED, "b2", "deployer")
    assert FilterModule().filters()["bundle_converged"] is bundle_converged
