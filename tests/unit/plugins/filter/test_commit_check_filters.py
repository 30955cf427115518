"""Unit tests of the filters commit_check_settled and commit_check_results
(plugins/plugin_utils/_filters/commit_check_*.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_results import (
    commit_check_results)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_settled import (
    commit_check_settled)

OPTIONS = {"commit": None, "branch": None, "checkout_commit": "a" * 40, "on_mismatch": "fail", "required": False}
SETTLED = {"settled": True, "options": OPTIONS, "verified": True, "bundle_id": "gaaaaaaaaaaaa", "commit": "a" * 40}
READ = {"CHURN": {"exists": True, "commit_check": SETTLED},
        "SALES": {"exists": True, "commit_check": {"settled": False, "options": OPTIONS}},
        "FRAUD": {"exists": True}}


def test_settled_only_for_the_same_options():
    assert commit_check_settled(READ, "CHURN", OPTIONS) is True
    assert commit_check_settled(READ, "CHURN", dict(OPTIONS, on_mismatch="pull")) is False
    assert commit_check_settled(READ, "SALES", OPTIONS) is False  # the module has something to do or report
    assert commit_check_settled(READ, "FRAUD", OPTIONS) is False  # read without a commit check
    assert commit_check_settled(READ, "MISSING", OPTIONS) is False
    assert commit_check_settled({}, "CHURN", OPTIONS) is False


def test_results_take_the_module_where_it_ran_else_the_settled_read():
    ran = {"bundle_export_project": {"key": "SALES"}, "ansible_loop_var": "bundle_export_project", "verified": False}
    skipped = {"bundle_export_project": {"key": "CHURN"}, "ansible_loop_var": "bundle_export_project",
               "skipped": True}
    off = {"bundle_export_project": {"key": "FRAUD"}, "ansible_loop_var": "bundle_export_project", "skipped": True}
    assert commit_check_results([ran, skipped, off], READ) == [ran, SETTLED]
    assert commit_check_results([skipped], {}) == []
    assert commit_check_results([{"item": "CHURN", "skipped": True}], READ) == [SETTLED]


def test_filters_registered():
    assert FilterModule().filters()["commit_check_settled"] is commit_check_settled
    assert FilterModule().filters()["commit_check_results"] is commit_check_results
