"""Unit tests of the filter promotion_gate (plugins/filter/promotion_gate.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.promotion_gate import FilterModule, promotion_gate

GOOD = {"project_key": "CHURN", "bundle_id": "b2", "active_bundle_id": "b2", "certified": True, "error": None}
FAILED = {"project_key": "FRAUD", "bundle_id": "b2", "active_bundle_id": "b1", "certified": False,
          "error": "tests failed"}


def test_certified_in_this_run_passes():
    assert promotion_gate([GOOD, FAILED], "CHURN", "b2", "staging") is None


def test_failed_on_the_gate_environment_is_held_back():
    message = promotion_gate([GOOD, FAILED], "FRAUD", "b2", "staging")
    assert message.startswith("FRAUD: bundle b2 is not promoted past staging because it failed there")


def test_active_but_untested_is_not_enough():
    untested = dict(GOOD, certified=False, error=None)
    assert "b2 is active there without a passing test record" in promotion_gate([untested], "CHURN", "b2", "staging")
    assert promotion_gate([dict(GOOD, bundle_id="b1")], "CHURN", "b2", "staging") is not None  # another bundle


def test_read_of_the_gate_node_when_it_did_not_run():
    read = {"CHURN": {"exists": True, "active_bundle_id": "b3", "certified": True, "target_certified": True},
            "FRAUD": {"exists": True, "active_bundle_id": "b2", "certified": False, "target_certified": None},
            "ALPHA": {"exists": True, "active_bundle_id": "b2", "certified": True}}
    assert promotion_gate([], "CHURN", "b2", "staging", read) is None  # passed there, even if b3 is active now
    assert "no passing test record" in promotion_gate([], "FRAUD", "b2", "staging", read)
    assert promotion_gate([], "ALPHA", "b2", "staging", read) is None
    assert promotion_gate([], "MISSING", "b2", "staging", read) is not None
    assert promotion_gate([], "CHURN", "b2", "staging", {"CHURN": {"exists": False}}) is not None


def test_all_or_nothing_holds_every_project_back():
    assert promotion_gate([GOOD, FAILED], "CHURN", "b2", "staging", all_or_nothing=True) == (
        "CHURN: held back by dss_all_or_nothing: bundle b2 is not certified on staging for FRAUD.")
    # A gate host that took part but left no result (failed before recording) holds the others back too.
    assert "for ALPHA" in promotion_gate([GOOD], "CHURN", "b2", "staging", expected=["CHURN", "ALPHA"],
                                         all_or_nothing=True)
    assert promotion_gate([GOOD], "CHURN", "b2", "staging", expected=["CHURN"], all_or_nothing=True) is None
    assert FilterModule().filters()["promotion_gate"] is promotion_gate
