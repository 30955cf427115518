"""Unit tests of the filter promotion_gate (plugins/plugin_utils/_filters/promotion_gate.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_gate import promotion_gate

GOOD = {"project_key": "CHURN", "bundle_id": "b2", "active_bundle_id": "b2", "certified": True, "error": None}
FAILED = {"project_key": "FRAUD", "bundle_id": "b2", "active_bundle_id": "b1", "certified": False,
          "error": "tests failed"}


def gate(results, key, bundle_id, env, read=None, expected=None, all_or_nothing=False):
    return promotion_gate(results, dict(project_key=key, bundle_id=bundle_id, env=env, read=read, expected=expected,
                                        all_or_nothing=all_or_nothing))


def test_certified_in_this_run_passes():
    assert gate([GOOD, FAILED], "CHURN", "b2", "staging") is None


def test_failed_on_the_gate_environment_is_held_back():
    message = gate([GOOD, FAILED], "FRAUD", "b2", "staging")
    assert message.startswith("FRAUD: bundle b2 is not promoted past staging because it failed there")


def test_active_but_untested_is_not_enough():
    untested = dict(GOOD, certified=False, error=None)
    assert "b2 is active there without a passing test record" in gate([untested], "CHURN", "b2", "staging")
    assert gate([dict(GOOD, bundle_id="b1")], "CHURN", "b2", "staging") is not None  # another bundle


def test_read_of_the_gate_node_when_it_did_not_run():
    read = {"CHURN": {"exists": True, "active_bundle_id": "b3", "certified": True, "target_certified": True},
            "FRAUD": {"exists": True, "active_bundle_id": "b2", "certified": False, "target_certified": None},
            "ALPHA": {"exists": True, "active_bundle_id": "b2", "certified": True}}
    assert gate([], "CHURN", "b2", "staging", read) is None  # passed there, even if b3 is active now
    assert "no passing test record" in gate([], "FRAUD", "b2", "staging", read)
    assert gate([], "ALPHA", "b2", "staging", read) is None
    assert gate([], "MISSING", "b2", "staging", read) is not None
    assert gate([], "CHURN", "b2", "staging", {"CHURN": {"exists": False}}) is not None


def test_all_or_nothing_holds_every_project_back():
    assert gate([GOOD, FAILED], "CHURN", "b2", "staging", all_or_nothing=True) == (
        "CHURN: held back by dss_all_or_nothing: bundle b2 is not certified on staging for FRAUD.")
    # A gate host that took part but left no result (failed before recording) holds the others back too.
    assert "for ALPHA" in gate([GOOD], "CHURN", "b2", "staging", expected=["CHURN", "ALPHA"],
                               all_or_nothing=True)
    assert gate([GOOD], "CHURN", "b2", "staging", expected=["CHURN"], all_or_nothing=True) is None
    assert FilterModule().filters()["promotion_gate"] is promotion_gate


def test_without_a_bundle_id_there_is_nothing_to_deploy_and_without_a_gate_nothing_to_check():
    assert promotion_gate([], {"host": "prod-CHURN", "design_host": "dev-CHURN"}) == (
        "Nothing to deploy on prod-CHURN: the design host dev-CHURN named no bundle (it failed on the design node, see "
        "above).")
    assert "pass -e dss_bundle_id=<id>" in promotion_gate([], {"host": "prod-CHURN", "design_host": ""})
    assert promotion_gate([], {"project_key": "CHURN", "bundle_id": "b2", "env": ""}) is None
