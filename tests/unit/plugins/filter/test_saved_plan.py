"""Unit tests of saved promotion plans (plugins/plugin_utils/saved_plan.py and the filters of
plugins/plugin_utils/_filters/saved_plan.py): the plan gathered from the facts promote.yml's planning plays leave, the
file read back and checked against the run, what moved since, and the Markdown summary."""

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.saved_plan import (
    saved_plan, saved_plan_markdown, saved_plan_prepare, saved_plan_refusal)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils import saved_plan as plans

OLD = "g000000000001"
NEW = "g000000000002"
URLS = {"dev": "https://dev.example.com", "staging": "https://staging.example.com"}


def automation_read(active=OLD, certified=True, bundles=(OLD,), exists=True):
    return {"exists": exists, "active_bundle_id": active if exists else None, "certified": certified,
            "bundle_ids": list(bundles), "lock": None, "target_certified": None,
            "bundles": [{"bundle_id": b, "imported_on": "2026-01-0%dT10:00:00.000+0000" % n, "release_notes": None}
                        for n, b in enumerate(bundles, 1)]}


def converged():
    return automation_read(active=NEW, bundles=(OLD, NEW))


def design_read(bundles=(OLD,)):
    return {"exists": True, "bundle_ids": list(bundles), "commit_check": {"settled": True},
            "bundles": [{"bundle_id": b, "exported_on": "2026-01-01T09:00:00.000+0000", "release_notes": None}
                        for b in bundles]}


def hostvars_of(staging=None, dev=None, keys=("CHURN", "SALES"), route="direct"):
    """The facts of a check-mode run over dev and staging: CHURN needs NEW deployed, SALES is converged on NEW."""
    staging = staging or {"CHURN": automation_read(), "SALES": converged()}
    dev = dev or {k: design_read() for k in keys}
    dev_plan = {"ids": {k: NEW for k in keys}, "converged": [], "lines": ["%s: export %s" % (k, NEW) for k in keys]}
    staging_plan = {"ids": {"CHURN": NEW, "SALES": NEW}, "converged": ["SALES"],
                    "lines": ["CHURN: deploy and test %s (active: %s)" % (NEW, OLD),
                              "SALES: %s active with a passing test record" % NEW]}
    hostvars = {}
    for key in keys:
        hostvars["dev-" + key] = {"dss_env": "dev", "dss_project_key": key, "dss_node_type": "design",
                                  "dss_url": URLS["dev"], "bundle_export_node_read": {"projects": dev},
                                  "bundle_export_plan": dev_plan}
        hostvars["staging-" + key] = {"dss_env": "staging", "dss_project_key": key, "dss_node_type": "automation",
                                      "dss_url": URLS["staging"], "dss_route": route,
                                      "dss_tests": {"warning_is_failure": True},
                                      "promote_node": {"projects": staging}, "promote_plan": staging_plan}
    return hostvars


HOSTS = ("dev-CHURN", "dev-SALES", "staging-CHURN", "staging-SALES")


def saved(tmp_path, hostvars=None, hosts=HOSTS, **run):
    plan = saved_plan(hostvars or hostvars_of(), dict({"hosts": hosts}, **run))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=4, sort_keys=True))  # what to_nice_json writes
    return plan, str(path)


def prepared_of(path, hostvars=None, hosts=HOSTS, bundle_id=""):
    return saved_plan_prepare(hostvars or hostvars_of(), {"path": path, "hosts": hosts, "bundle_id": bundle_id})


def results_of(prepared, staging=None, dev=None):
    """The loop results of the bulk reads the playbook does for ``prepared``."""
    reads = {"dev": dev or {k: design_read() for k in ("CHURN", "SALES")},
             "staging": staging or {"CHURN": automation_read(), "SALES": converged()}}
    return [{"item": read, "projects": {k: reads[read["env"]][k] for k in read["project_keys"]}}
            for read in prepared["reads"]]


def test_the_plan_holds_per_environment_and_project_the_bundle_the_step_and_the_state_digest():
    plan = saved_plan(hostvars_of(), {"hosts": HOSTS, "active": HOSTS})
    assert plan["format"] == plans.FORMAT and plan["version"] == 1 and plan["bundle_ids"] == [NEW]
    assert plan["bundle_id"] == NEW and plan["created"].endswith("Z")
    churn = plan["environments"]["staging"]["projects"]["CHURN"]
    assert churn["work"] is True and churn["bundle_id"] == NEW and churn["route"] == "direct"
    assert churn["step"] == "CHURN: deploy and test %s (active: %s)" % (NEW, OLD)
    assert churn["state"] == {"exists": True, "active_bundle": OLD, "test_record": "passing",
                              "bundles": [[OLD, "2026-01-01T10:00:00.000+0000"]]}
    assert churn["digest"] == plans.digest(churn["state"]) and churn["decisions"] == {}
    assert plan["environments"]["staging"]["projects"]["SALES"]["work"] is False
    assert plan["environments"]["dev"] == {"node_type": "design", "url": URLS["dev"], "projects": {
        key: {"bundle_id": NEW, "work": True, "step": "%s: export %s" % (key, NEW), "decisions": {},
              "state": {"exists": True, "bundles": [[OLD, "2026-01-01T09:00:00.000+0000"]]},
              "digest": plans.digest({"exists": True, "bundles": [[OLD, "2026-01-01T09:00:00.000+0000"]]})}
        for key in ("CHURN", "SALES")}}
    # The lock is left out of the state: held only while a run works.
    locked = hostvars_of(staging={"CHURN": dict(automation_read(), lock={"owner": "x"}), "SALES": converged()})
    assert saved_plan(locked, {"hosts": HOSTS})["plan_id"] == plan["plan_id"]


def test_no_plan_is_saved_from_a_run_that_failed_or_did_not_plan_a_host():
    with pytest.raises(AnsibleFilterError, match="the check-mode run failed on staging-SALES. Fix that"):
        saved_plan(hostvars_of(), {"hosts": HOSTS, "active": HOSTS[:3]})
    hostvars = hostvars_of()
    del hostvars["staging-SALES"]["promote_plan"]
    with pytest.raises(AnsibleFilterError, match="staging-SALES was not planned in this run"):
        saved_plan(hostvars, {"hosts": HOSTS})
    with pytest.raises(AnsibleFilterError, match="this run has no project host"):
        saved_plan({}, {"hosts": []})
    with pytest.raises(AnsibleFilterError, match="saved_plan: its argument must be a dict, got list"):
        saved_plan({}, [])


def test_a_plan_applies_while_nothing_moved_and_names_each_change_otherwise(tmp_path):
    _plan, path = saved(tmp_path, bundle_id=NEW)
    prepared = prepared_of(path)
    assert prepared["bundle_id"] == NEW and prepared["path"] == path
    assert prepared["reads"] == [
        {"env": "dev", "host": "dev-CHURN", "project_keys": ["CHURN", "SALES"], "warning_is_failure": False},
        {"env": "staging", "host": "staging-CHURN", "project_keys": ["CHURN", "SALES"], "warning_is_failure": True}]
    assert saved_plan_refusal(results_of(prepared), prepared) is None

    moved = saved_plan_refusal(results_of(prepared, staging={
        "CHURN": automation_read(active="g0000000000aa", bundles=(OLD, "g0000000000aa"), certified=False),
        "SALES": automation_read(exists=False, bundles=())}, dev={"CHURN": design_read(), "SALES": design_read((OLD, "g9"))}),
        prepared)
    assert moved.startswith("The nodes no longer hold the state the plan %s was made from; nothing was written. "
                            "What moved: " % path)
    assert ("dev/SALES: bundle list [{o}] -> [{o}, g9]; staging/CHURN: active bundle {o} -> g0000000000aa, "
            "bundle list [{o}] -> [{o}, g0000000000aa], test record passing -> not passing; staging/SALES: project "
            "exists true -> false, active bundle {n} -> none, bundle list [{o}, {n}] -> [], test record passing -> "
            "none. Plan again".format(o=OLD, n=NEW)) in moved
    again = converged()
    again["bundles"][0]["imported_on"] = "2026-02-01T10:00:00.000+0000"
    assert "staging/SALES: bundle list [%s, %s] -> [%s, %s] (imported or exported again)" % (OLD, NEW, OLD, NEW) in \
        saved_plan_refusal(results_of(prepared, staging={"CHURN": automation_read(), "SALES": again}), prepared)


def test_a_project_already_holding_what_the_plan_deploys_counts_as_applied(tmp_path):
    _plan, path = saved(tmp_path, bundle_id=NEW)
    prepared = prepared_of(path)
    applied = {"CHURN": converged(), "SALES": converged()}
    exported = {k: design_read((OLD, NEW)) for k in ("CHURN", "SALES")}
    assert saved_plan_refusal(results_of(prepared, staging=applied, dev=exported), prepared) is None
    # Not without a passing test record, and not for a project the plan left alone (SALES was converged).
    untested = dict(applied, CHURN=automation_read(active=NEW, bundles=(OLD, NEW), certified=False))
    assert "staging/CHURN: active bundle %s -> %s" % (OLD, NEW) in \
        saved_plan_refusal(results_of(prepared, staging=untested), prepared)
    other = dict(applied, SALES=automation_read(active=OLD, bundles=(OLD, NEW)))
    assert "What moved: staging/SALES: active bundle %s -> %s." % (NEW, OLD) in \
        saved_plan_refusal(results_of(prepared, staging=other), prepared)


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not a saved plan: not JSON"),
    ('{"version": 1}', 'is not a saved plan of dataiku_gitops.dss (no "format": "dataiku_gitops.dss/promotion-plan")'),
    ('{"format": "dataiku_gitops.dss/promotion-plan", "version": 2}',
     "is a plan of format version 2; this version of dataiku_gitops.dss applies version 1 only. Plans are not "
     "converted: plan again with this version."),
    ('{"format": "dataiku_gitops.dss/promotion-plan", "version": 1, "environments": {"dev": {}}}',
     "is not a complete saved plan"),
])
def test_a_file_that_is_not_a_plan_of_this_version_is_refused(tmp_path, text, message):
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(AnsibleFilterError) as raised:
        prepared_of(str(path))
    assert str(path) + " " + message in str(raised.value)


def test_a_missing_or_edited_plan_is_refused(tmp_path):
    with pytest.raises(AnsibleFilterError, match="No saved plan at /nowhere/plan.json .dss_plan; a relative path is "
                                                 "relative to the directory ansible-playbook runs in"):
        prepared_of("/nowhere/plan.json")
    plan, path = saved(tmp_path)
    plan["environments"]["staging"]["projects"]["CHURN"]["bundle_id"] = OLD
    with open(path, "w", encoding="utf-8") as out:
        json.dump(plan, out)
    with pytest.raises(AnsibleFilterError, match="was edited after it was saved"):
        prepared_of(path)


def test_a_plan_made_for_another_run_is_refused(tmp_path):
    plan, path = saved(tmp_path)
    plan["environments"]["dev"]["projects"]["SALES"]["bundle_id"] = OLD  # as if SALES verified another commit
    plan["bundle_ids"], plan["bundle_id"] = [NEW, OLD], ""
    plan["plan_id"] = plans.plan_id(plan)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(plan, out)
    with pytest.raises(AnsibleFilterError) as raised:
        prepared_of(path, hostvars_of(keys=("CHURN", "SALES", "FRAUD")),
                    ["dev-CHURN", "dev-FRAUD", "staging-CHURN"])
    assert str(raised.value) == (
        "%s does not fit this run; nothing was written: the plan has no entry for dev/FRAUD (it was made for other "
        "projects or environments); the plan covers dev/SALES, staging/SALES, which this run does not (give the "
        "--limit the plan was made with); the plan names several bundles (%s, %s); a saved plan "
        "applies one bundle per run: plan again with -e dss_bundle_id." % (path, NEW, OLD))
    moved_node = hostvars_of(route="deployer")
    moved_node["staging-CHURN"]["dss_url"] = "https://other.example.com"
    _plan, one_bundle = saved(tmp_path, bundle_id=NEW)
    with pytest.raises(AnsibleFilterError) as raised:
        prepared_of(one_bundle, moved_node, bundle_id=OLD)
    assert ("staging is planned for the node %s, but this run's is https://other.example.com; staging/CHURN is "
            "planned for the direct route, but the inventory now says deployer; staging/SALES is planned for the "
            "direct route, but the inventory now says deployer; dss_bundle_id is %s but the plan deploys %s"
            % (URLS["staging"], OLD, NEW)) in str(raised.value)


def test_a_run_may_apply_some_environments_of_the_plan(tmp_path):
    _plan, path = saved(tmp_path)
    prepared = prepared_of(path, hosts=["staging-CHURN", "staging-SALES"])
    assert [read["env"] for read in prepared["reads"]] == ["staging"]
    assert saved_plan_refusal(results_of(prepared), prepared) is None


def test_the_markdown_summary_has_one_row_per_project_and_names_the_plan():
    plan = saved_plan(hostvars_of(), {"hosts": HOSTS, "bundle_id": NEW})
    plan["environments"]["staging"]["projects"]["CHURN"]["decisions"] = {"preflight": "passed | 2 checks"}
    text = saved_plan_markdown(plan)
    assert text.splitlines()[:6] == [
        "### DSS promotion plan `%s`" % plan["plan_id"][7:19], "",
        "Bundle `%s` · 3 project(s) to change, 1 already converged · environments: dev, staging" % NEW, "",
        "| Environment | Project | Planned | Now | Decisions |", "|---|---|---|---|---|"]
    assert "| dev | CHURN | **export %s** | exported: `%s` |  |" % (NEW, OLD) in text
    assert ("| staging | CHURN | **deploy and test %s (active: %s)** | active: `%s` (test record: passing) | "
            "preflight: passed \\| 2 checks |" % (NEW, OLD, OLD)) in text
    assert "| staging | SALES | %s active with a passing test record | active: `%s`" % (NEW, NEW) in text
    assert text.endswith("(plan id `%s`).\n" % plan["plan_id"])


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert (filters["saved_plan"], filters["saved_plan_prepare"], filters["saved_plan_refusal"],
            filters["saved_plan_markdown"]) == (saved_plan, saved_plan_prepare, saved_plan_refusal, saved_plan_markdown)
