"""Per-bundle test records (no HTTP here): which runs are test runs, and what DSS's testing status and last
test-scenario runs report say for one bundle.

Every scenario run records the bundle that was active when it started (`activeBundleId` on the stored run
document, None on a design node or before any activation), so a record always belongs to the bundle tested.
"""

from xml.sax.saxutils import quoteattr

TEST_PREFIX = "TEST_"


def active_bundle_id(st, key):
    """The project's active bundle id on this node, or None."""
    state = st.get("active_bundle", key, "state") or {}
    return state.get("bundleId")


def is_test_run(run):
    """[INF] Lenient: DSS counts scenarios marked as test scenarios; the emulator also counts ids starting with
    TEST_, the convention the collection's users follow, so both kinds of projects get a record."""
    scenario = run.get("scenario") or {}
    return bool(scenario.get("markedAsTest")) or str(scenario.get("id", "")).startswith(TEST_PREFIX)


def last_test_runs(st, key, bundle_id, now, seen=None):
    """{scenario id: run} of the latest finished test run of each scenario while ``bundle_id`` was active.
    ``seen(doc, now)``: the run as clients see it (a run orphaned by a node stop reads as ABORTED)."""
    latest = {}
    for doc in st.list("scenario_run", key):
        run = seen(doc, now) if seen else doc["scenarioRun"]
        if doc.get("activeBundleId") != bundle_id or not is_test_run(run) or "result" not in run or now < run["end"]:
            continue
        scenario_id = run["scenario"]["id"]
        if scenario_id not in latest or run["start"] >= latest[scenario_id]["start"]:
            latest[scenario_id] = run
    return latest


def testing_status(runs):
    """DSS's DSSTestingStatus shape: nbTotalRanScenarios and nbScenariosPerOutcome."""
    per_outcome = {}
    for run in runs.values():
        outcome = run["result"]["outcome"]
        per_outcome[outcome] = per_outcome.get(outcome, 0) + 1
    return {"nbTotalRanScenarios": len(runs), "nbScenariosPerOutcome": per_outcome}


def junit_report(key, runs):
    """A JUnit XML document with one testcase per test scenario run (failure for FAILED/ABORTED, skipped for
    WARNING with a message), as DSS's last-test-scenario-runs-report is JUnit XML."""
    cases = []
    failures = 0
    for scenario_id in sorted(runs):
        run = runs[scenario_id]
        result = run["result"]
        seconds = max(0, run["end"] - run["start"]) / 1000.0
        head = "<testcase classname=%s name=%s time=\"%.3f\"" % (quoteattr(key), quoteattr(scenario_id), seconds)
        message = ((result.get("thrown") or {}).get("message")) or result["outcome"]
        if result["outcome"] in ("FAILED", "ABORTED"):
            failures += 1
            cases.append("%s><failure message=%s type=%s/></testcase>" % (
                head, quoteattr(message), quoteattr(result["outcome"])))
        else:
            cases.append("%s/>" % head)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites><testsuite name=%s tests=\"%d\" failures=\"%d\">"
            "%s</testsuite></testsuites>\n" % (quoteattr(key), len(runs), failures, "".join(cases)))
