"""Unit tests of the filter promotion_plan (plugins/plugin_utils/_filters/promotion_plan.py): which project hosts of one
node need work, decided once for a play from its bulk read."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_plan import promotion_plan

CHECK = {"commit": None, "branch": None, "checkout_commit": "a" * 40, "on_mismatch": "fail", "required": False}
HEAD = "0123456789abcdef" + "0" * 24


def plan_of(hostvars, hosts, projects, node_type, bundle_id="", checks=None, head=""):
    return promotion_plan(hostvars, hosts, dict(projects=projects, type=node_type, bundle_id=bundle_id, checks=checks,
                                                head=head))


def settled(bundle_id=None):
    result = {"settled": True, "options": CHECK}
    return dict(result, verified=True, bundle_id=bundle_id) if bundle_id else dict(result, verified=False)


def design_hostvars(*keys):
    return {"dev-%s" % key: {"dss_project_key": key} for key in keys}


def test_design_pending_where_the_check_is_unsettled_or_the_bundle_missing():
    projects = {
        "DONE": {"exists": True, "bundle_ids": ["g0123456789ab"], "commit_check": settled()},
        "MISSING": {"exists": True, "bundle_ids": [], "commit_check": settled()},
        "PULL": {"exists": True, "bundle_ids": ["g0123456789ab"], "commit_check": {"settled": False, "options": CHECK}},
        "OTHER_OPTIONS": {"exists": True, "bundle_ids": ["g0123456789ab"],
                          "commit_check": dict(settled(), options=dict(CHECK, branch="main"))},
        "VERIFIED": {"exists": True, "bundle_ids": ["gfeedfeedfeed"], "commit_check": settled("gfeedfeedfeed")},
    }
    hostvars = design_hostvars(*projects)
    plan = plan_of(hostvars, list(hostvars), projects, "design", "", {key: CHECK for key in projects}, HEAD)
    assert plan["pending"] == ["dev-MISSING", "dev-PULL", "dev-OTHER_OPTIONS"]
    assert plan["converged"] == ["DONE", "VERIFIED"]
    # The verified commit names its project's bundle; unsettled projects get theirs from the module later.
    assert plan["ids"] == {"DONE": "g0123456789ab", "MISSING": "g0123456789ab", "PULL": "", "OTHER_OPTIONS": "",
                           "VERIFIED": "gfeedfeedfeed"}
    assert plan["bundle_id"] == "g0123456789ab"
    assert plan["lines"][1] == "MISSING: export g0123456789ab"
    assert plan["lines"][0] == "DONE: g0123456789ab already exported"


def test_design_without_a_check_and_with_a_given_bundle_id():
    projects = {"A": {"exists": True, "bundle_ids": ["given"]}, "B": {"exists": False}}
    hostvars = design_hostvars("A", "B")
    plan = plan_of(hostvars, list(hostvars), projects, "design", "given", {"A": None, "B": None}, HEAD)
    assert plan["pending"] == ["dev-B"] and plan["ids"] == {"A": "given", "B": "given"}
    # No bundle id, commit or HEAD: pending, so the role's own message explains it.
    plan = plan_of(hostvars, ["dev-A"], projects, "design", "", {}, "")
    assert plan["pending"] == ["dev-A"] and plan["ids"] == {"A": ""} and plan["bundle_id"] == ""


def automation_hostvars():
    """Four staging hosts; the design host of A ran the export (fact), the others are in the design plan."""
    hostvars = {
        "dev-A": {"dss_project_key": "A", "bundle_export_bundle_id": "b2",
                  "bundle_export_plan": {"ids": {"A": "", "B": "b2", "C": "b2", "D": "b2"}}},
        "dev-B": {"dss_project_key": "B", "bundle_export_plan": {"ids": {"A": "", "B": "b2", "C": "b2", "D": "b2"}}},
        "dev-C": {"dss_project_key": "C", "bundle_export_plan": {"ids": {"A": "", "B": "b2", "C": "b2", "D": "b2"}}},
        "dev-D": {"dss_project_key": "D", "bundle_export_plan": {"ids": {"A": "", "B": "b2", "C": "b2", "D": "b2"}}},
    }
    for key in "ABCD":
        hostvars["staging-" + key] = {"dss_project_key": key, "dss_design_host": "dev-" + key, "dss_route": "direct"}
    hostvars["staging-D"]["dss_route"] = "deployer"
    return hostvars


PROJECTS = {
    "A": {"exists": True, "active_bundle_id": "b1", "certified": True},
    "B": {"exists": True, "active_bundle_id": "b2", "certified": True},
    "C": {"exists": True, "active_bundle_id": "b2", "certified": False},
    "D": {"exists": True, "active_bundle_id": "b2", "certified": True},
}


def test_automation_converged_only_when_active_and_certified_on_the_direct_route():
    hostvars = automation_hostvars()
    hosts = ["staging-A", "staging-B", "staging-C", "staging-D"]
    plan = plan_of(hostvars, hosts, PROJECTS, "automation")
    assert plan["pending"] == ["staging-A", "staging-C", "staging-D"] and plan["converged"] == ["B"]
    assert plan["ids"] == {"A": "b2", "B": "b2", "C": "b2", "D": "b2"}
    assert plan["lines"] == ["A: deploy and test b2 (active: b1)", "B: b2 active with a passing test record",
                             "C: test b2 again (active without a passing test record)",
                             "D: deploy b2 through the deployer route (active: b2)"]
    # What the deploy play reads without going through hostvars: the gate's ids, and which bundles the design
    # play of this run exported (only dev-A's fact names one).
    assert plan["pending_ids"] == {"A": "b2", "C": "b2", "D": "b2"}
    assert plan["exported_in_run"] == {"A": True, "B": False, "C": False, "D": False}


def test_automation_bundle_from_extra_vars_or_nothing_without_the_design_host():
    hostvars = automation_hostvars()
    plan = plan_of(hostvars, ["staging-A", "staging-B"], PROJECTS, "automation", "b1")
    assert plan["pending"] == ["staging-B"] and plan["ids"] == {"A": "b1", "B": "b1"}
    for host in ("dev-A", "dev-B"):
        del hostvars[host]  # the design environment is not part of the run
    plan = plan_of(hostvars, ["staging-A", "staging-B"], PROJECTS, "automation")
    assert plan["pending"] == ["staging-A", "staging-B"] and plan["bundle_id"] == ""
    assert plan["lines"][0] == "A: no bundle to deploy (see the design node's result)"


def test_bad_input_is_refused_and_filter_registered():
    with pytest.raises(AnsibleFilterError, match="design or automation"):
        plan_of({}, [], {}, "deployer")
    with pytest.raises(AnsibleFilterError, match="staging-X has no dss_project_key"):
        plan_of({"staging-X": {}}, ["staging-X"], {}, "automation")
    assert FilterModule().filters()["promotion_plan"] is promotion_plan


class CountingHostvars(dict):
    """hostvars that count the reads of each design host's plan (a copy of every project's id each time)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.plan_reads = []

    def __getitem__(self, host):
        host_vars = dict(super().__getitem__(host))
        if "bundle_export_plan" in host_vars:
            plan, reads = host_vars.pop("bundle_export_plan"), self.plan_reads

            class Vars(dict):
                def get(self, name, default=None):
                    if name == "bundle_export_plan":
                        reads.append(host)
                        return plan
                    return super().get(name, default)
            return Vars(host_vars)
        return host_vars


def test_automation_reads_the_design_plan_once_for_the_hosts_it_lists():
    design = promotion_plan(design_hostvars("A", "B", "C"), ["dev-A", "dev-B", "dev-C"], dict(
        type="design", projects={k: {"exists": True, "bundle_ids": ["g0123456789ab"]} for k in "ABC"}, head=HEAD))
    assert design["hosts"] == ["dev-A", "dev-B", "dev-C"] and not design["pending"]
    hostvars = CountingHostvars({"dev-%s" % k: {"dss_project_key": k, "bundle_export_plan": design} for k in "ABC"})
    # dev-D ran in another design play (not in the first plan's hosts): its own plan is read.
    hostvars["dev-D"] = {"dss_project_key": "D",
                         "bundle_export_plan": {"ids": {"D": "gfeedfeedfeed"}, "hosts": ["dev-D"]}}
    for key in "ABCD":
        hostvars["staging-" + key] = {"dss_project_key": key, "dss_design_host": "dev-" + key, "dss_route": "direct"}
    plan = plan_of(hostvars, ["staging-%s" % k for k in "ABCD"], {}, "automation")
    assert plan["ids"] == {"A": "g0123456789ab", "B": "g0123456789ab", "C": "g0123456789ab", "D": "gfeedfeedfeed"}
    assert hostvars.plan_reads == ["dev-A", "dev-D"]
    assert plan["exported_in_run"] == {"A": False, "B": False, "C": False, "D": False}
