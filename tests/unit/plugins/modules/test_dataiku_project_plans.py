"""Planning and mapping logic of dataiku_project (plugins/module_utils/_content/project.py): no client at all."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import (
    PERMISSION_FLAGS, create_permissions, desired_tags, permission_entry_errors, permission_suboptions,
    plan_metadata, plan_permissions, plan_variables, predicted_summary, summary_view, with_active_bundle)


def entry(group=None, user=None, **flags):
    """A permissions option entry as AnsibleModule hands it over: every suboption present, unset ones None."""
    result = dict((name, None) for name in permission_suboptions())
    result.update(group=group, user=user)
    result.update(flags)
    return result


def md_params(**params):
    result = dict(name=None, description=None, short_description=None, tags=None, purge_tags=True)
    result.update(params)
    return result


# -- permissions ------------------------------------------------------------------------------------------------

def test_every_flag_maps_to_the_dss_camel_case_key():
    assert PERMISSION_FLAGS["read_project_content"] == "readProjectContent"
    assert PERMISSION_FLAGS["write_project_content"] == "writeProjectContent"
    assert PERMISSION_FLAGS["run_scenarios"] == "runScenarios"
    assert PERMISSION_FLAGS["manage_additional_dashboard_users"] == "manageAdditionalDashboardUsers"
    assert PERMISSION_FLAGS["admin"] == "admin"
    assert len(set(PERMISSION_FLAGS.values())) == len(PERMISSION_FLAGS) == 13
    assert set(permission_suboptions()) == set(PERMISSION_FLAGS) | {"group", "user"}
    assert all(spec.get("default") is None for spec in permission_suboptions().values())


def test_create_permissions_sends_only_flags_that_were_set():
    assert create_permissions([entry("readers", read_project_content=True, write_project_content=False)]) == [
        {"group": "readers", "readProjectContent": True, "writeProjectContent": False}]
    assert create_permissions(None) == []


def test_permission_entry_errors():
    assert permission_entry_errors([entry("a"), entry(user="bob")]) == []
    assert permission_entry_errors([entry()]) == ["permissions[0] must set exactly one of group or user"]
    assert permission_entry_errors([entry("a", user="bob")]) == ["permissions[0] must set exactly one of group or user"]
    assert permission_entry_errors([entry("a"), entry("a", admin=True)]) == ["permissions lists group 'a' twice"]


CURRENT_PERMS = {"owner": "alice", "permissions": [
    {"group": "readers", "readProjectContent": True, "writeProjectContent": False, "admin": False},
    {"group": "ops", "runScenarios": True},
    {"user": "bob", "admin": True},
]}


def test_permissions_already_matching_plan_nothing():
    plan = plan_permissions(CURRENT_PERMS, None, [entry("readers", read_project_content=True)], False)
    assert not plan.changed
    assert plan.before == plan.after == {"permissions": [{"group": "readers", "read_project_content": True}]}


def test_permissions_merge_updates_set_flags_only_and_keeps_other_entries():
    plan = plan_permissions(CURRENT_PERMS, None, [entry("readers", write_project_content=True),
                                                  entry("new_group", read_dashboards=True)], False)
    assert plan.changed
    assert plan.payload["owner"] == "alice"
    assert plan.payload["permissions"] == [
        {"group": "readers", "readProjectContent": True, "writeProjectContent": True, "admin": False},
        {"group": "ops", "runScenarios": True},
        {"user": "bob", "admin": True},
        {"group": "new_group", "readDashboards": True},
    ]
    assert plan.before == {"permissions": [{"group": "readers", "write_project_content": False}]}
    assert plan.after == {"permissions": [{"group": "new_group", "read_dashboards": True},
                                          {"group": "readers", "write_project_content": True}]}


def test_permissions_exclusive_removes_unlisted_entries_and_shows_them():
    plan = plan_permissions(CURRENT_PERMS, None, [entry("readers", read_project_content=True)], True)
    assert plan.changed
    assert plan.payload["permissions"] == [CURRENT_PERMS["permissions"][0]]
    assert plan.before["permissions"] == [
        {"group": "ops", "run_scenarios": True},
        {"group": "readers", "read_project_content": True},
        {"user": "bob", "admin": True},
    ]
    assert plan.after["permissions"] == [{"group": "readers", "read_project_content": True}]


def test_permissions_exclusive_with_exactly_the_listed_entries_is_unchanged():
    current = {"owner": "alice", "permissions": [{"group": "readers", "readProjectContent": True}]}
    assert not plan_permissions(current, None, [entry("readers", read_project_content=True)], True).changed


def test_owner_change_goes_through_permissions_and_keeps_entries():
    plan = plan_permissions(CURRENT_PERMS, "carol", None, False)
    assert plan.changed
    assert plan.payload == dict(CURRENT_PERMS, owner="carol")
    assert (plan.before, plan.after) == ({"owner": "alice"}, {"owner": "carol"})
    assert not plan_permissions(CURRENT_PERMS, "alice", None, False).changed


def test_unknown_flags_of_removed_entries_are_shown_in_snake_case():
    current = {"owner": "a", "permissions": [{"group": "g", "someFutureFlag": True}]}
    plan = plan_permissions(current, None, [], True)
    assert plan.before == {"permissions": [{"group": "g", "some_future_flag": True}]}
    assert plan.payload["permissions"] == []


# -- metadata ---------------------------------------------------------------------------------------------------

CURRENT_MD = {"label": "Churn", "description": "", "shortDesc": "old", "tags": ["b", "a"],
              "checklists": {"checklists": [{"id": "c1"}]}, "customFields": {"team": "x"}}


def test_metadata_only_set_fields_are_in_the_views():
    plan = plan_metadata(CURRENT_MD, md_params(short_description="new"))
    assert (plan.before, plan.after) == ({"short_description": "old"}, {"short_description": "new"})
    assert plan.payload == dict(CURRENT_MD, shortDesc="new")  # checklists and custom fields kept


def test_metadata_name_maps_to_label():
    plan = plan_metadata(CURRENT_MD, md_params(name="Churn v2"))
    assert plan.payload["label"] == "Churn v2"
    assert (plan.before, plan.after) == ({"name": "Churn"}, {"name": "Churn v2"})
    assert not plan_metadata(CURRENT_MD, md_params(name="Churn")).changed


def test_metadata_name_falls_back_to_the_summary_when_label_is_missing():
    plan = plan_metadata({"tags": []}, md_params(name="Churn"), current_name="Churn")
    assert not plan.changed


def test_metadata_missing_string_reads_as_empty():
    assert not plan_metadata({"tags": []}, md_params(description="")).changed


def test_tags_are_compared_as_a_set():
    plan = plan_metadata(CURRENT_MD, md_params(tags=["a", "b", "a"]))
    assert not plan.changed
    assert plan.before == plan.after == {"tags": ["a", "b"]}


def test_tags_purge_writes_current_order_then_new_ones():
    plan = plan_metadata(CURRENT_MD, md_params(tags=["c", "a"]))
    assert plan.payload["tags"] == ["a", "c"]
    assert (plan.before, plan.after) == ({"tags": ["a", "b"]}, {"tags": ["a", "c"]})


def test_tags_without_purge_only_add():
    plan = plan_metadata(CURRENT_MD, md_params(tags=["c"], purge_tags=False))
    assert plan.payload["tags"] == ["b", "a", "c"]
    assert not plan_metadata(CURRENT_MD, md_params(tags=["a"], purge_tags=False)).changed


def test_empty_tags_with_purge_remove_all():
    plan = plan_metadata(CURRENT_MD, md_params(tags=[]))
    assert plan.changed and plan.payload["tags"] == []


def test_desired_tags():
    assert desired_tags(["x"], None, True) is None
    assert desired_tags(None, ["b", "a", "b"], True) == ["b", "a"]


# -- variables --------------------------------------------------------------------------------------------------

CURRENT_VARS = {"standard": {"a": 1, "b": {"x": 1}}, "local": {"env": "dev"}}


def test_variables_merge_sets_given_keys_and_keeps_others():
    plan = plan_variables(CURRENT_VARS, {"standard": {"b": {"y": 2}, "c": "new"}, "local": None}, "merge")
    assert plan.payload == {"standard": {"a": 1, "b": {"y": 2}, "c": "new"}, "local": {"env": "dev"}}
    assert plan.before == {"variables": {"standard": {"b": {"x": 1}}}}
    assert plan.after == {"variables": {"standard": {"b": {"y": 2}, "c": "new"}}}


def test_variables_merge_already_set_is_unchanged():
    assert not plan_variables(CURRENT_VARS, {"standard": {"a": 1}, "local": None}, "merge").changed


def test_variables_compare_by_type():
    assert plan_variables(CURRENT_VARS, {"standard": {"a": True}, "local": None}, "merge").changed
    assert plan_variables(CURRENT_VARS, {"standard": {"a": "1"}, "local": None}, "merge").changed


def test_variables_replace_replaces_only_given_scopes():
    plan = plan_variables(CURRENT_VARS, {"standard": None, "local": {"env": "prod"}}, "replace")
    assert plan.payload == {"standard": CURRENT_VARS["standard"], "local": {"env": "prod"}}
    assert plan.before == {"variables": {"local": {"env": "dev"}}}
    plan = plan_variables(CURRENT_VARS, {"standard": {"a": 1}, "local": None}, "replace")
    assert plan.payload["standard"] == {"a": 1}
    assert plan.before == {"variables": {"standard": CURRENT_VARS["standard"]}}


def test_variables_replace_with_the_same_scope_is_unchanged():
    assert not plan_variables(CURRENT_VARS, {"standard": dict(CURRENT_VARS["standard"]), "local": None},
                              "replace").changed


def test_variables_payload_always_has_both_scopes():
    plan = plan_variables({"standard": {}}, {"standard": {"a": 1}, "local": None}, "merge")
    assert plan.payload == {"standard": {"a": 1}, "local": {}}


def test_no_scope_given_plans_nothing():
    plan = plan_variables(CURRENT_VARS, {"standard": None, "local": None}, "merge")
    assert not plan.changed and plan.before == plan.after == {}


# -- summaries --------------------------------------------------------------------------------------------------

def test_with_active_bundle_reads_the_bundle_id_defensively():
    assert with_active_bundle({"projectKey": "P"})["active_bundle_id"] is None
    assert with_active_bundle({"projectKey": "P", "activeBundleState": {"bundleId": "v2"}})["active_bundle_id"] == "v2"
    assert with_active_bundle({"projectKey": "P", "activeBundleState": "weird"})["active_bundle_id"] is None


def test_predicted_summary_applies_managed_fields():
    summary = {"projectKey": "P", "name": "old", "shortDesc": "s", "tags": ["x"], "ownerLogin": "a"}
    params = {"name": "new", "description": None, "short_description": None}
    predicted = predicted_summary(summary, params, owner="b", tags=["y"])
    assert predicted == {"projectKey": "P", "name": "new", "shortDesc": "s", "tags": ["y"], "ownerLogin": "b",
                         "active_bundle_id": None}
    assert summary["name"] == "old"


def test_summary_view_is_snake_case_and_sorted():
    view = summary_view({"projectKey": "P", "name": "n", "ownerLogin": "o", "shortDesc": "s", "tags": ["b", "a"]})
    assert view["short_description"] == "s" and view["owner"] == "o" and view["tags"] == ["a", "b"]
