"""Unit tests of the filter test_summary (plugins/filter/test_summary.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.test_summary import FilterModule, test_summary as summary


def test_ran_skipped_and_missing_results():
    ran = {"changed": True, "summary": {"total": 2, "SUCCESS": 1, "FAILED": 1}, "failed_scenarios": ["TEST_B"],
           "junit_xml": "/tmp/x.xml", "scenarios": []}
    assert summary(ran) == {"summary": {"total": 2, "SUCCESS": 1, "FAILED": 1}, "failed_scenarios": ["TEST_B"],
                            "junit_xml": "/tmp/x.xml"}
    assert summary({"failed": True, "msg": "boom"}) == {"summary": None, "failed_scenarios": [], "junit_xml": None}
    assert summary({"skipped": True}) is None
    assert summary({}) is None and summary(None) is None
    assert FilterModule().filters()["test_summary"] is summary
