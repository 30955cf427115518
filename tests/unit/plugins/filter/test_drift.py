"""Unit tests of the drift filters (plugins/plugin_utils/_filters/drift.py): the hosts drift.yml compares, and the
report joining the changes of several facts per host."""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.drift import drift_report, drift_targets

CONNECTION = {"kind": "connection", "id": "pg", "action": "update", "before": {"params": {"host": "a"}},
              "after": {"params": {"host": "b"}}}
RECIPE = {"kind": "recipe", "id": "r", "action": "create", "before": None, "after": {"payload": "x"}}


def test_targets_are_the_first_host_of_each_environment_with_objects_and_the_hosts_with_a_project_file():
    hostvars = {
        "staging-A": {"dss_env": "staging", "dss_environment_objects": {}, "dss_project_file": "a.yml"},
        "staging-B": {"dss_env": "staging", "dss_environment_objects": {}},
        "prod-A": {"dss_env": "prod", "dss_environment_objects": {}},
        "prod-B": {"dss_env": "prod"},
        "prod-C": {"dss_env": "prod", "dss_project_file": "c.yml"},
    }
    assert drift_targets(hostvars, list(hostvars)) == [
        {"host": "staging-A", "group": "dss_drift_environment"}, {"host": "staging-A", "group": "dss_drift_project"},
        {"host": "prod-A", "group": "dss_drift_environment"}, {"host": "prod-C", "group": "dss_drift_project"}]
    assert drift_targets(hostvars, ["prod-B"]) == []


def test_report_joins_the_changes_of_several_facts():
    hostvars = {"h1": {"dss_environment_changes": [CONNECTION], "project_as_code_changes": [RECIPE]},
                "h2": {"dss_environment_changes": []}}
    report = drift_report(hostvars, ["h1", "h2"], ["dss_environment_changes", "project_as_code_changes"])
    assert report["drift"] is True and report["count"] == 2 and list(report["hosts"]) == ["h1"]
    assert report["hosts"]["h1"][0]["differences"] == [{"path": "params.host", "actual": "a", "declared": "b"}]
    # One fact name still works (the default is dss_drift).
    assert drift_report({"h": {"dss_drift": [RECIPE]}}, ["h"])["count"] == 1
