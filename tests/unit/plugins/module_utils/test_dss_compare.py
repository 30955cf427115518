"""Unit tests of the generic comparison helpers (plugins/module_utils/_core/compare.py)."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import (
    camel_to_snake, changed_keys, deep_merge, equal, is_subset, keep_order, prune, rename_keys, same_items,
    sorted_unique)


@pytest.mark.parametrize("first,second,expected", [
    (1, 1, True),
    (True, 1, False),
    (0, False, False),
    (0.0, False, False),
    (1, 1.0, True),
    ({"a": [1, {"b": True}]}, {"a": [1, {"b": True}]}, True),
    ({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]}, False),
    ({"a": 1}, {"a": 1, "b": 2}, False),
    ([1, 2], [2, 1], False),
    ("x", None, False),
])
def test_equal_is_type_strict_for_booleans(first, second, expected):
    assert equal(first, second) is expected
    assert equal(second, first) is expected  # symmetric


@pytest.mark.parametrize("desired,current,expected", [
    ({}, {"a": 1}, True),
    ({"a": 1}, {"a": 1, "server_added": 2}, True),
    ({"a": 1}, {"a": 2}, False),
    ({"a": 1}, {}, False),
    ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, True),
    ({"a": {"b": 1}}, {"a": {"c": 2}}, False),
    ({"a": {"b": 1}}, {"a": "not a dict"}, False),
    ({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}]}, True),
    ({"a": [{"x": 1}]}, {"a": [{"x": 1}, {"x": 2}]}, False),
    ({"a": True}, {"a": 1}, False),
    ({"a": None}, {"a": None}, True),
])
def test_is_subset(desired, current, expected):
    assert is_subset(desired, current) is expected


def test_deep_merge_merges_dicts_replaces_the_rest_and_copies():
    base = {"a": {"x": 1, "y": [1]}, "b": 1}
    overlay = {"a": {"y": [2], "z": {"k": 1}}, "c": 3}
    merged = deep_merge(base, overlay)
    assert merged == {"a": {"x": 1, "y": [2], "z": {"k": 1}}, "b": 1, "c": 3}
    merged["a"]["z"]["k"] = 99
    assert base == {"a": {"x": 1, "y": [1]}, "b": 1}
    assert overlay["a"]["z"]["k"] == 1
    assert deep_merge(None, {"a": 1}) == {"a": 1}
    assert deep_merge({"a": {"b": 1}}, {"a": 5}) == {"a": 5}


def test_same_items_ignores_order_and_duplicates():
    assert same_items(["b", "a"], ["a", "b", "a"])
    assert same_items([], None)
    assert not same_items(["a"], ["a", "b"])
    assert same_items([{"k": 1}], [{"k": 1}])


def test_sorted_unique_is_stable_whatever_the_input_order():
    assert sorted_unique(["b", "a", "b"]) == sorted_unique(["a", "b"]) == ["a", "b"]
    assert sorted_unique(None) == []


def test_keep_order_keeps_current_order_then_appends_new_items():
    assert keep_order(["z", "b", "a"], ["a", "new", "z", "a"]) == ["z", "a", "new"]
    assert keep_order(None, ["b", "a", "b"]) == ["b", "a"]
    assert keep_order(["a"], []) == []


def test_camel_to_snake_and_rename_keys():
    assert camel_to_snake("readProjectContent") == "read_project_content"
    assert camel_to_snake("admin") == "admin"
    data = {"readDashboards": True, "group": "g", "newFlag": False}
    assert rename_keys(data, {"readDashboards": "read_dashboards"}) == {
        "read_dashboards": True, "group": "g", "newFlag": False}
    assert rename_keys(data, {"readDashboards": "read_dashboards"}, keep_unknown="snake") == {
        "read_dashboards": True, "group": "g", "new_flag": False}
    assert rename_keys(data, {"group": "group"}, keep_unknown=False) == {"group": "g"}


def test_prune_removes_none_recursively_but_keeps_falsy_values():
    view = {"a": None, "b": {"c": None, "d": 0, "e": ""}, "f": [{"g": None, "h": False}], "i": []}
    assert prune(view) == {"b": {"d": 0, "e": ""}, "f": [{"h": False}], "i": []}


def test_changed_keys_lists_top_level_differences():
    before = {"name": "a", "tags": ["x"], "same": {"k": 1}, "gone": 1}
    after = {"name": "b", "tags": ["x"], "same": {"k": 1}, "new": True}
    assert changed_keys(before, after) == ["gone", "name", "new"]
    assert changed_keys({}, None) == []
