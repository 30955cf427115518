"""The preflight gate logic (plugins/module_utils/_bundle/preflight.py) on plain data: each gate's decision, the
infrastructure's policy, the previous environment's evidence, and the one failure naming every blocking reason."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import preflight
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


def report(**checks):
    """A raw report as DSS keeps it with a bundle: check name -> severity (0 passes, None: RUN_ERROR)."""
    run_info = {}
    for name, severity in checks.items():
        result = {"status": "RUN_ERROR", "severity": None, "message": "broken"} if severity is None else {
            "status": "RUN_SUCCESS", "severity": severity, "message": "m"}
        run_info["id_" + name] = {"check": {"id": "id_" + name, "name": name}, "result": result}
    return {"scope": "DEFAULT", "bundleChecksRunInfo": run_info}


def summary(**checks):
    return standards.summarize(report(**checks), "bundle b1 of CHURN")


ENV = [("environment", "prevent", 1)]


def test_standards_prevent_blocks_naming_every_failing_check():
    got = preflight.standards_entry(summary(described=0, triggers=3, envs=4), ENV)
    assert got["status"] == "block"
    assert "failing envs (HIGH), triggers (MEDIUM)" in got["reason"] and "described" not in got["reason"]


def test_standards_min_severity_and_warn_policy():
    failing = summary(triggers=3)
    assert preflight.standards_entry(failing, [("environment", "prevent", 4)])["status"] == "pass"
    assert preflight.standards_entry(failing, [("environment", "warn", 1)])["status"] == "warn"
    assert preflight.standards_entry(failing, [("environment", "ignore", 1)])["status"] == "skip"
    # A check that could not run is no failing issue.
    assert preflight.standards_entry(summary(broken=None), ENV)["status"] == "pass"


def test_standards_worst_of_environment_and_infrastructure():
    got = preflight.standards_entry(summary(triggers=3), [("environment", "warn", 1), ("infrastructure", "prevent", 3)])
    assert got["status"] == "block"
    assert got["reason"].startswith("environment (policy warn, LOWEST or more): failing triggers (MEDIUM); "
                                    "infrastructure (policy prevent, MEDIUM or more)")


def test_standards_without_report():
    # No check applies to the project: DSS's deployer lets such a bundle through, and so does the gate.
    none_apply = preflight.standards_entry(standards.not_evaluated("bundle b1 of CHURN"), ENV)
    assert none_apply["status"] == "pass" and "no check applies" in none_apply["reason"]
    # A DSS that cannot answer, or a plan before the export: let through with a warning, the real run decides.
    unavailable = preflight.standards_entry(standards.not_available("old DSS"), ENV)
    assert unavailable["status"] == "warn" and "old DSS" in unavailable["reason"]
    pending = preflight.standards_entry(None, ENV, pending=True)
    assert pending["status"] == "warn" and "not exported yet" in pending["reason"]


@pytest.mark.parametrize("raw, policy", [
    ({}, ("ignore", 1)),
    ({"projectStandardsCheckPolicy": "PREVENT", "projectStandardsMinSeverity": 3}, ("prevent", 3)),
    ({"projectStandardsCheckPolicy": "WARN", "projectStandardsMinSeverity": "high"}, ("warn", 1)),
    ({"projectStandardsCheckPolicy": "SOMETHING_NEW"}, ("ignore", 1)),
    (None, ("ignore", 1)),
])
def test_infra_policy(raw, policy):
    assert preflight.infra_policy(raw) == policy


def test_govern_entries():
    blocked = dict(blocked=True, warning=False, summary="status PENDING")
    warning = dict(blocked=False, warning=True, summary="not approved")
    approved = dict(blocked=False, warning=False, summary="approved")
    assert preflight.govern_entry(blocked, "dep", "v2", True)["status"] == "block"
    assert preflight.govern_entry(blocked, "dep", "v2", False, " after waiting 60 seconds for a sign-off")[
        "reason"] == "Govern refuses bundle v2 for deployment dep after waiting 60 seconds for a sign-off: status PENDING"
    assert preflight.govern_entry(warning, "dep", "v2", False)["status"] == "block"
    assert preflight.govern_entry(warning, "dep", "v2", True)["status"] == "warn"
    assert preflight.govern_entry(approved, "dep", "v2", False)["status"] == "pass"
    assert preflight.direct_govern_entry()["status"] == "skip"


@pytest.mark.parametrize("policy, ignore_warnings, refusable", [
    ("PREVENT", False, True), ("PREVENT", True, True), ("WARN", False, True), ("WARN", True, False),
    ("NO_CHECK", False, False), (None, False, True)])
def test_govern_entry_of_a_new_deployment_says_whether_its_creation_can_be_refused(policy, ignore_warnings, refusable):
    gate = preflight.new_deployment_govern_entry("dep", "v2", "prod", policy, ignore_warnings)
    assert gate["status"] == "skip"  # no read tells Govern's status before the deployment exists
    assert "governCheckPolicy %s" % (policy or "not set") in gate["reason"] and "dep" in gate["reason"], gate
    assert ("the creation is refused and nothing is created" in gate["reason"]) is refusable, gate
    assert ("v2" in gate["reason"]) is refusable, gate


@pytest.mark.parametrize("result, certified, why", [
    ({"bundle_id": "b1", "active_bundle_id": "b1", "certified": True}, True, None),
    ({"bundle_id": "b1", "active_bundle_id": "b1", "certified": True, "error": "tests failed"}, False, "it failed there"),
    ({"bundle_id": "b1", "active_bundle_id": "b0", "certified": True}, False, "b0 is active there, not b1"),
    ({"bundle_id": "b1", "active_bundle_id": "b1", "certified": False}, False,
     "b1 is active there without a passing test record"),
])
def test_previous_environment_from_this_run(result, certified, why):
    assert preflight.in_run_certified(result, "b1") == (certified, why)


def test_release_notes_entries():
    assert preflight.notes_entry("ignore", "")["status"] == "skip"
    assert preflight.notes_entry("prevent", "  ")["status"] == "block"
    assert preflight.notes_entry("warn", "")["status"] == "warn"
    assert preflight.notes_entry("prevent", "3f2a9c1 Reviewed")["status"] == "pass"
    assert preflight.notes_entry("prevent", None)["status"] == "warn"  # not exported yet: the real run decides
    published = {"packages": [{"id": "v1", "exportManifest": {"exportUserInfo": {"releaseNotes": "notes"}}},
                              {"id": "v2", "exportManifest": {}}]}
    assert [preflight.release_notes(published, b) for b in ("v1", "v2", "v3")] == ["notes", "", None]


def test_decision():
    entry = preflight.entry
    assert preflight.decision([entry("a", "skip", ""), entry("b", "pass", "")]) == "pass"
    assert preflight.decision([entry("a", "warn", ""), entry("b", "pass", "")]) == "warn"
    assert preflight.decision([entry("a", "warn", ""), entry("b", "block", "")]) == "block"
    assert preflight.decision([]) == "pass"


def test_gates_errors():
    assert preflight.gates_errors(None) == []
    assert preflight.gates_errors({"tested_on": {"env": "staging", "result": {}}}) == []
    assert "gates.tested_on needs url and api_key" in preflight.gates_errors(
        {"tested_on": {"env": "staging", "url": None, "api_key": None, "result": None}})[0]


class FakeModule:
    def __init__(self, gates):
        self.params = {"gates": gates, "warning_is_failure": False}
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    @staticmethod
    def scrub(text):
        return text


def test_every_blocking_reason_in_one_failure():
    module = FakeModule({"project_standards": "prevent", "min_severity": "LOWEST", "release_notes": "prevent",
                         "tested_on": {"env": "staging", "result": {"bundle_id": "b1", "error": "boom"}}})
    check = preflight.Preflight(module, "CHURN", "b1", "prod")
    entries = check.evaluate(summary(triggers=3), "", preflight.direct_govern_entry())
    result = {}
    with pytest.raises(DssError) as info:
        check.enforce(entries, result)
    msg = info.value.msg
    assert msg.startswith("Preflight gates hold bundle b1 of CHURN back from prod: project_standards: ")
    assert "; tested_on: bundle b1 is not promoted past staging because it failed there" in msg and "; release_notes: " in msg
    assert msg.endswith("Nothing was changed.")
    assert info.value.result["gates"] == result["gates"] and result["gates"]["decision"] == "block"
    assert [c["gate"] for c in result["gates"]["checks"]] == list(preflight.GATE_NAMES)


def test_warnings_let_the_bundle_through():
    module = FakeModule({"project_standards": "warn", "min_severity": "LOWEST", "release_notes": "ignore",
                         "tested_on": None})
    check = preflight.Preflight(module, "CHURN", "b1", "prod")
    result = {}
    check.enforce(check.evaluate(summary(triggers=3), "", preflight.direct_govern_entry()), result)
    assert result["gates"]["decision"] == "warn"
    assert len(module.warnings) == 1 and "triggers (MEDIUM)" in module.warnings[0]
    assert result["gates"]["lines"][0].startswith("project_standards: warn - environment (policy warn")


def test_the_decision_recorded_with_the_lock_and_read_back():
    entries = [preflight.entry("project_standards", "warn", "x"), preflight.direct_govern_entry(),
               preflight.entry("tested_on", "pass", "y"), preflight.entry("release_notes", "skip", "z")]
    record = preflight.recorded_decision("b1", preflight.view(entries))
    assert record == {"dataiku_gitops_gates": {"bundle_id": "b1", "decision": "warn", "warned": ["project_standards"]}}
    assert preflight.decision_of({"local": dict(record, other=1), "standard": {}}) == record["dataiku_gitops_gates"]
    # Nothing evaluated (every gate skipped): nothing recorded; a foreign or broken value reads as none.
    assert preflight.recorded_decision("b1", preflight.view(preflight.skipped("converged"))) == {}
    assert preflight.decision_of({"local": {"dataiku_gitops_gates": "pass"}}) is None
    assert preflight.decision_of(None) is None
