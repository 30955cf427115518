"""The plan's preflight gates (filter plan_gates) on plain hostvars: what each gate decides from the run's reads,
what it leaves to the deployment, dss_all_or_nothing holding back the others, and rollout_hold refusing them."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.rollout_hold import rollout_hold
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards

plan_gates = FilterModule().filters()["plan_gates"]
BUNDLE = "g0123456789ab"
FAILING = {"status": "FAILED", "evaluated": True, "message": "Project Standards of bundle: failing Docs (MEDIUM)",
           "failures": [{"name": "Docs", "severity": 3, "severity_name": "MEDIUM"}], "warnings": []}


def design_read(**bundles):
    """The design host's variables: bundle_export_node_read with each project's exported bundle view."""
    return {"bundle_export_node_read": {"projects": {key: {"exists": True, "bundles": [view]} if view else
                                                     {"exists": True, "bundles": []}
                                                     for key, view in bundles.items()}}}


def landscape(gates, design, **host_overrides):
    hostvars = {"dev-A": design, "dev-B": design}
    for key in ("A", "B"):
        hostvars["prod-" + key] = dict({"dss_project_key": key, "dss_env": "prod", "dss_route": "direct",
                                        "dss_design_host": "dev-" + key, "dss_gates": gates,
                                        "promote_node": {"projects": {}}}, **host_overrides.get(key, {}))
    plan = {"pending": ["prod-A", "prod-B"], "ids": {"A": BUNDLE, "B": BUNDLE}, "lines": ["A: deploy", "B: deploy"]}
    return hostvars, plan


def statuses(gates):
    return {c["gate"]: c["status"] for c in gates["checks"]}


def test_the_gates_come_from_the_design_read_and_a_block_holds_the_others_with_all_or_nothing():
    design = design_read(A={"bundle_id": BUNDLE, "release_notes": "reviewed", "standards": FAILING},
                         B={"bundle_id": BUNDLE, "release_notes": None})
    gates = {"project_standards": "prevent", "min_severity": "MEDIUM", "release_notes": "prevent"}
    hostvars, plan = landscape(gates, design, A={"dss_all_or_nothing": True}, B={"dss_all_or_nothing": "yes"})
    out = plan_gates(plan, hostvars, ["prod-A", "prod-B"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"]) == {"project_standards": "block", "govern": "skip", "tested_on": "skip",
                                           "release_notes": "pass"}
    # B: no report (no check applies: passes as DSS's deployer does) and no release notes (prod requires them).
    assert statuses(out["gates"]["B"])["project_standards"] == "pass"
    assert out["gates"]["B"]["decision"] == "block" and out["gates"]["B"]["deferred"] == []
    assert out["held"] == {}  # both blocked: nobody is held back by the other
    assert out["lines"][1].startswith("    gates block: project_standards: block - environment (policy prevent")
    assert "govern" not in out["lines"][1]  # skipped gates are left out of the table

    design = design_read(A={"bundle_id": BUNDLE, "release_notes": "ok", "standards": FAILING},
                         B={"bundle_id": BUNDLE, "release_notes": "ok"})
    hostvars, plan = landscape(gates, design, B={"dss_all_or_nothing": True})
    out = plan_gates(plan, hostvars, ["prod-A", "prod-B"], {"all": list(hostvars)})
    assert out["gates"]["B"]["decision"] == "pass" and list(out["held"]) == ["B"]
    assert "held back by dss_all_or_nothing: the preflight gates block A on prod" in out["held"]["B"]
    assert out["lines"][-1] == "    " + out["held"]["B"]
    hostvars["prod-B"]["promote_plan"] = out
    assert rollout_hold(hostvars, {"host": "prod-B", "bundle_id": BUNDLE}, [], []) == out["held"]["B"]
    hostvars["prod-A"]["promote_plan"] = out
    assert rollout_hold(hostvars, {"host": "prod-A", "bundle_id": BUNDLE}, [], []) is None


def test_what_the_run_did_not_read_is_left_to_the_deployment():
    gates = {"project_standards": "warn", "release_notes": "warn"}
    # Not exported yet (a plan expecting the export): both warn, as the deploy module's check mode does.
    hostvars, plan = landscape(gates, design_read(A=None, B=None))
    out = plan_gates(plan, hostvars, ["prod-A", "prod-B"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"])["project_standards"] == "warn"
    assert "not exported yet" in out["gates"]["A"]["lines"][0] and out["gates"]["A"]["decision"] == "warn"
    # Exported by this run: its export result decides (the design read was made before the export).
    hostvars["dev-A"] = dict(hostvars["dev-A"], bundle_export_results=[
        {"project_key": "A", "bundle_id": BUNDLE, "project_standards": FAILING, "release_notes": ""}])
    out = plan_gates(plan, hostvars, ["prod-A"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"])["release_notes"] == "warn" and "no release notes" in out["gates"]["A"]["lines"][3]
    assert "failing Docs (MEDIUM)" in out["gates"]["A"]["lines"][0]
    # The design node is not read in this run, or another source is given: deferred.
    for overrides in ({"dss_design_host": "dev-missing"}, {"dss_bundle_source": {"url": "https://other"}}):
        hostvars, plan = landscape(gates, design_read(A=None, B=None), A=overrides)
        out = plan_gates(plan, hostvars, ["prod-A"], {"all": list(hostvars)})
        assert out["gates"]["A"]["deferred"] == ["project_standards", "release_notes"]
        assert out["gates"]["A"]["decision"] == "pass" and "gates pass:" in out["lines"][1]
    # A bundle archive directory: no report to read (warns, as the module does), notes from the archive: deferred.
    hostvars, plan = landscape(gates, design_read(A=None, B=None), A={"dss_bundle_archive_dir": "/bundles"})
    out = plan_gates(plan, hostvars, ["prod-A"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"])["project_standards"] == "warn" and out["gates"]["A"]["deferred"] == [
        "release_notes"]
    # Already imported on the node: its notes decide.
    hostvars["prod-A"]["promote_node"] = {"projects": {"A": {"bundles": [{"bundle_id": BUNDLE, "release_notes": "x"}]}}}
    out = plan_gates(plan, hostvars, ["prod-A"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"])["release_notes"] == "pass" and out["gates"]["A"]["deferred"] == []
    # The Project Deployer route: the published bundle, the infrastructure's policy and Govern decide then.
    hostvars, plan = landscape(gates, design_read(A=None, B=None), A={"dss_route": "deployer"})
    out = plan_gates(plan, hostvars, ["prod-A"], {"all": list(hostvars)})
    assert out["gates"]["A"]["deferred"] == ["project_standards", "govern", "release_notes"]


def test_the_previous_environment_from_this_runs_result_or_its_nodes_read():
    node = {"url": "https://staging", "api_key": "k"}
    common = {"dss_gate_env": "staging", "dss_gate_node": node, "dss_gate_host": "staging-A"}
    hostvars, plan = landscape({}, design_read(A=None, B=None), A=dict(common), B=dict(common, dss_gate_host="staging-B"))
    hostvars["staging-A"] = {"dss_project_key": "A", "bundle_deploy_result": {
        "project_key": "A", "bundle_id": BUNDLE, "active_bundle_id": BUNDLE, "certified": True}}
    hostvars["staging-B"] = {"dss_project_key": "B", "bundle_deploy_result": {
        "project_key": "B", "bundle_id": BUNDLE, "active_bundle_id": "older", "certified": True, "error": "boom"}}
    groups = {"all": list(hostvars), "staging": ["staging-A", "staging-B"], "promote_staging": ["staging-A", "staging-B"]}
    out = plan_gates(plan, hostvars, ["prod-A", "prod-B"], groups)
    assert out["gates"]["A"]["lines"][2] == "tested_on: pass - passing test record on staging"
    assert statuses(out["gates"]["B"])["tested_on"] == "block" and "because it failed there" in out["gates"]["B"][
        "lines"][2]
    # Staging not in this run: the planning play's read of its node (target_certified of the bundle).
    hostvars, plan = landscape({}, design_read(A=None, B=None), A=dict(common), B=dict(common))
    read = {"projects": {"A": {"exists": True, "target_certified": True}, "B": {"exists": False}}}
    for host in ("prod-A", "prod-B"):
        hostvars[host]["promote_gate_node"] = read
    out = plan_gates(plan, hostvars, ["prod-A", "prod-B"], {"all": list(hostvars)})
    assert statuses(out["gates"]["A"])["tested_on"] == "pass"
    assert "project B does not exist there" in out["gates"]["B"]["lines"][2]


def test_the_design_read_keeps_a_compact_report():
    summary = standards.summarize({"bundleChecksRunInfo": {"c": {"check": {"name": "Docs"}, "result": {
        "status": "RUN_SUCCESS", "severity": 3, "message": "no doc"}}}}, "bundle v1 of A")
    assert standards.compact(summary) == {"status": "FAILED", "evaluated": True, "message": summary["message"],
                                          "failures": [{"name": "Docs", "severity": 3, "severity_name": "MEDIUM"}],
                                          "warnings": []}


def test_a_plan_without_gates_reads_no_host():
    """Nothing queued (a converged fleet): the lines stay as they are, without reading each host's variables."""

    class Unread(dict):
        def __getitem__(self, host):
            raise AssertionError("read the variables of %s" % host)

    plan = {"pending": [], "ids": {"A": BUNDLE, "B": BUNDLE}, "lines": ["A: converged", "B: converged"]}
    out = plan_gates(plan, Unread({"prod-A": {}, "prod-B": {}}), ["prod-A", "prod-B"], {})
    assert out["lines"] == plan["lines"] and out["gates"] == {} and out["held"] == {}
