"""Unit tests of the filters status_table and rollback_target."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.rollback_target import rollback_target
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.status_table import status_table

SHA = "0123456789ab" + "c" * 28


def bundle(bundle_id, date_key, notes):
    return {"bundle_id": bundle_id, date_key: "2026-11-30T04:00:00.000Z", "release_notes": notes}


ROWS = [
    {"project": "CHURN", "env": "prod", "node_type": "automation",
     "state": {"exists": True, "active_bundle_id": "b1", "certified": False, "bundle_ids": ["b1"],
               "bundles": [bundle("b1", "imported_on", SHA + " first version\nmore")]}},
    {"project": "CHURN", "env": "dev", "node_type": "design",
     "state": {"exists": True, "bundle_ids": ["b1", "b2"],
               "bundles": [bundle("b1", "exported_on", "x"), bundle("b2", "exported_on", "")]}},
    {"project": "CHURN", "env": "staging", "node_type": "automation",
     "state": {"project_exists": True, "active_bundle_id": "b2", "bundle_ids": ["b2"],  # dataiku_bundle_info shape
               "bundles": [bundle("b2", "imported_on", "y" * 80)]}},
    {"project": "ALPHA", "env": "prod", "node_type": "automation", "state": {"exists": False}},
    {"project": "ALPHA", "env": "qa", "node_type": "automation", "state": {"exists": True, "active_bundle_id": None}},
]


def test_rows_sorted_by_project_then_environment_order_and_aligned():
    lines = status_table(ROWS)
    assert [line.split()[:2] for line in lines] == [
        ["PROJECT", "ENVIRONMENT"], ["ALPHA", "prod"], ["ALPHA", "qa"], ["CHURN", "dev"], ["CHURN", "staging"],
        ["CHURN", "prod"]]
    column = lines[0].index("BUNDLE")
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines)
    assert lines[1].split()[2:] == ["not", "deployed", "-", "-"]
    assert lines[2].split()[2:] == ["none", "-", "-"]
    assert lines[3].split()[2:] == ["b2", "(latest", "export)", "2026-11-30", "04:00:00", "-"]
    assert lines[5].split()[2:6] == ["b1", "(untested)", "2026-11-30", "04:00:00"]
    assert lines[5].endswith("0123456789ab first version")
    assert lines[4].endswith("y" * 57 + "...")
    assert all(line == line.rstrip() for line in lines)


def test_bulk_reads_looped_over_environments_expand_to_rows():
    prod = {"CHURN": {"exists": True, "active_bundle_id": "b1", "certified": True, "bundle_ids": ["b1"]},
            "ALPHA": {"exists": False}}
    reads = [{"item": "prod", "node_type": "AUTOMATION", "projects": prod},
             {"item": "dev", "node_type": "DESIGN", "projects": {"CHURN": {"exists": True, "bundle_ids": ["b1"]}}}]
    lines = status_table(reads)
    assert [line.split()[:3] for line in lines[1:]] == [["ALPHA", "prod", "not"], ["CHURN", "dev", "b1"],
                                                        ["CHURN", "prod", "b1"]]
    assert "(latest export)" in lines[2] and "(untested)" not in lines[3]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="list of rows"):
        status_table({"project": "CHURN"})


@pytest.mark.parametrize("state,requested,expected", [
    ({"active_bundle_id": "b3", "bundle_ids": ["b1", "b2", "b3"]}, "", {"bundle_id": "b2", "error": None}),
    ({"active_bundle_id": "b3", "bundle_ids": ["b1", "b2", "b3"]}, "b1", {"bundle_id": "b1", "error": None}),
])
def test_rollback_target_found(state, requested, expected):
    assert rollback_target(state, "CHURN", requested) == expected


def test_rollback_target_errors_name_the_bundles():
    result = rollback_target({"active_bundle_id": "b1", "bundle_ids": ["b1"]}, "CHURN")
    assert result["bundle_id"] == "" and result["error"] == (
        "CHURN cannot be rolled back to an earlier bundle (none imported before the active one b1); "
        "imported bundles: b1")
    result = rollback_target({"active_bundle_id": "b1", "bundle_ids": ["b1"]}, "CHURN", "g000")
    assert result["error"].startswith("CHURN cannot be rolled back to g000;")
    assert rollback_target(None, "CHURN")["error"].endswith("imported bundles: none")


def test_a_node_that_could_not_be_read_is_marked_and_the_others_shown():
    from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.status_table import status_environments
    hostvars = {"dev-CHURN": {"dss_env": "dev", "dss_project_key": "CHURN"},
                "prod-CHURN": {"dss_env": "prod", "dss_project_key": "CHURN"},
                "prod-ALPHA": {"dss_env": "prod", "dss_project_key": "ALPHA"}}
    envs = status_environments(hostvars, list(hostvars))
    assert envs == [{"env": "dev", "hosts": ["dev-CHURN"], "project_keys": ["CHURN"]},
                    {"env": "prod", "hosts": ["prod-CHURN", "prod-ALPHA"], "project_keys": ["CHURN", "ALPHA"]}]
    reads = [{"item": envs[0], "node_type": "DESIGN", "projects": {"CHURN": {"exists": True, "bundle_ids": ["b1"]}}},
             {"item": envs[1], "failed": False, "msg": "Failed to connect"}]
    lines = status_table(reads)
    assert [line.split()[:5] for line in lines[1:]] == [["ALPHA", "prod", "node", "not", "read"],
                                                        ["CHURN", "dev", "b1", "(latest", "export)"],
                                                        ["CHURN", "prod", "node", "not", "read"]]
