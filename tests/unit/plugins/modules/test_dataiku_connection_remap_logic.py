"""The pure remapping logic: merge/exclusive lists, order-insensitive comparison, bundle picking, resolution."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap import mapping as r


def test_merge_replaces_given_sources_keeps_others_and_extra_keys():
    current = [{"source": "a", "target": "x", "note": "kept"}, {"source": "b", "target": "y"}]
    result = r.merged_entries(current, {"b": "z", "c": "w"}, exclusive=False)
    assert result == [{"source": "a", "target": "x", "note": "kept"}, {"source": "b", "target": "z"},
                      {"source": "c", "target": "w"}]


def test_merge_drops_later_duplicates_of_a_managed_source_only():
    current = [{"source": "a", "target": "x"}, {"source": "a", "target": "y"}, {"source": "b", "target": "1"},
               {"source": "b", "target": "2"}]
    result = r.merged_entries(current, {"a": "y"}, exclusive=False)
    assert result == [{"source": "a", "target": "y"}, {"source": "b", "target": "1"}, {"source": "b", "target": "2"}]
    assert r.as_mapping(current) == {"a": "x", "b": "1"}  # first entry wins


def test_exclusive_keeps_only_given_sources():
    current = [{"source": "a", "target": "x"}, {"source": "b", "target": "y", "extra": 1}, "garbage"]
    assert r.merged_entries(current, {"b": "y"}, exclusive=True) == [{"source": "b", "target": "y", "extra": 1}]
    assert r.merged_entries(current, {}, exclusive=True) == []


def test_same_entries_ignores_order_but_not_content():
    left = [{"source": "a", "target": "x"}, {"source": "b", "target": "y"}]
    assert r.same_entries(left, list(reversed(left)))
    assert r.same_entries([], None)
    assert not r.same_entries(left, left[:1])
    assert not r.same_entries(left, [{"source": "a", "target": "x"}, {"source": "b", "target": "z"}])


def test_merged_behavior_sets_only_given_keys():
    current = {"importTimeMode": "INSTALL_IF_MISS", "envImportSpecificationMode": "SPECIFIED", "other": 1}
    result = r.merged_behavior(current, {"import_time_mode": "FAIL_IF_MISS", "env_import_specification_mode": None})
    assert result == {"importTimeMode": "FAIL_IF_MISS", "envImportSpecificationMode": "SPECIFIED", "other": 1}


def test_pick_bundle_latest_by_import_date_else_list_order():
    bundles = [{"bundleId": "v2", "importState": {"importedOn": "2025-03-31T10:00:00.000+0000"}},
               {"bundleId": "v1", "importState": {"importedOn": "2025-03-30T10:00:00.000+0000"}}]
    assert r.pick_bundle(bundles)["bundleId"] == "v2"
    assert r.pick_bundle(bundles, "v1")["bundleId"] == "v1"
    assert r.pick_bundle(bundles, "v9") is None
    assert r.pick_bundle([{"bundleId": "a"}, {"bundleId": "b"}])["bundleId"] == "b"
    assert r.pick_bundle([]) is None


def test_required_connections_dict_list_and_virtual():
    as_dict = {"exportManifest": {"requiredConnections": {
        "pg": {"name": "pg", "type": "PostgreSQL"}, "@virtual(impala-jdbc):x": {"type": "Impala"}}}}
    assert r.required_connections(as_dict) == [{"name": "pg", "type": "PostgreSQL"}]
    as_list = {"exportManifest": {"requiredConnections": [{"name": "pg", "type": "PostgreSQL"}, "fs"]}}
    assert r.required_connections(as_list) == [{"name": "pg", "type": "PostgreSQL"}, {"name": "fs", "type": None}]
    assert r.required_connections(None) == []


def test_resolve_connections_reasons():
    node = {"pg_prod": "PostgreSQL", "snow": "Snowflake", "fs": "Filesystem"}
    sources = [{"name": "pg_dev", "type": "PostgreSQL"}, {"name": "fs", "type": "Filesystem"},
               {"name": "sf_dev", "type": "PostgreSQL"}, {"name": "gone", "type": None},
               {"name": "opt", "type": "S3"}]
    rows = r.resolve_connections(sources, {"pg_dev": "pg_prod", "sf_dev": "snow"}, node, {"opt"})
    by = dict((row["source"], row) for row in rows)
    assert by["pg_dev"]["ok"] and by["pg_dev"]["resolved_by"] == "mapping" and by["pg_dev"]["target_type"] == "PostgreSQL"
    assert by["fs"]["ok"] and by["fs"]["resolved_by"] == "same_name"
    assert not by["sf_dev"]["ok"] and "Snowflake vs PostgreSQL" in by["sf_dev"]["problem"]
    assert not by["gone"]["ok"] and by["gone"]["problem"].startswith("missing")
    assert by["opt"]["ok"] and "allowed" in by["opt"]["problem"]


def test_resolve_code_envs_language_and_install_if_miss():
    node = {("PYTHON", "py311"), ("R", "r_env")}
    sources = [{"name": "py_dev", "language": "PYTHON"}, {"name": "r_env", "language": "PYTHON"},
               {"name": "r_env", "language": None}]
    rows = r.resolve_code_envs(sources, {"py_dev": "py311"}, node)
    assert [row["ok"] for row in rows] == [True, False, True]
    assert "PYTHON code env 'r_env'" in rows[1]["problem"]
    rows = r.resolve_code_envs(sources, {}, node, import_time_mode="INSTALL_IF_MISS")
    assert all(row["ok"] for row in rows)
    assert "installed at preload" in rows[0]["problem"]


def test_failure_message_lists_problems_and_existing_connections():
    rows = r.resolve_connections([{"name": "pg_dev", "type": "PostgreSQL"}], {"pg_dev": "snow"},
                                 {"snow": "Snowflake", "pg_prod": "PostgreSQL"})
    msg = r.failure_message("P", "v2", rows, [], {"snow": "Snowflake", "pg_prod": "PostgreSQL"}, set(), "http://n")
    assert "bundle v2" in msg and "nothing was changed" in msg
    assert "'pg_dev' -> 'snow' (by mapping)" in msg and "Snowflake vs PostgreSQL" in msg
    assert "Connections on http://n: pg_prod (PostgreSQL), snow (Snowflake)." in msg
    assert "\n" not in msg
