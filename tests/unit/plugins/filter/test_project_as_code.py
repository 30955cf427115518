"""Unit tests of the project_as_code filters: apply order, validation, exclusive deletions, change lists."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.project_as_code import (
    project_as_code_changes, project_as_code_plan)


def spec(**sections):
    return dict({"project": {"key": "P"}}, **sections)


def names(items, key="name"):
    return [i[key] for i in items]


def test_recipes_follow_their_inputs_and_outputs_come_after_inputs():
    plan = project_as_code_plan(spec(
        datasets=[{"name": "c"}, {"name": "b"}, {"name": "a"}],
        recipes=[{"name": "b_to_c", "inputs": ["b"], "outputs": ["c"]},
                 {"name": "a_to_b", "inputs": ["a"], "outputs": ["b"]}]))
    assert names(plan["recipes"]) == ["a_to_b", "b_to_c"]
    assert names(plan["datasets"]) == ["a", "b", "c"]
    assert plan["delete"] == {"scenarios": [], "recipes": [], "datasets": []} and plan["refused"] == []


def test_foreign_refs_are_allowed():
    plan = project_as_code_plan(spec(datasets=[{"name": "out"}],
                                     recipes=[{"name": "r", "inputs": ["OTHER.src"], "outputs": ["out"]}]))
    assert names(plan["recipes"]) == ["r"]


@pytest.mark.parametrize("description,message", [
    ({"datasets": []}, "project.key"),
    (spec(flows=[]), "Unknown sections flows"),
    (spec(datasets=[{"name": "a"}, {"name": "a"}]), "datasets lists name 'a' twice"),
    (spec(scenarios=[{"name": "no id"}]), "scenarios must be a list of mappings, each with a id"),
    (spec(datasets=[{"name": "a"}], recipes=[{"name": "r", "inputs": ["missing"]}]),
     "recipe r: input 'missing' is not declared in datasets"),
    (spec(datasets=[{"name": "a"}], recipes=[{"name": "r1", "outputs": ["a"]}, {"name": "r2", "outputs": ["a"]}]),
     "dataset a is the output of both r1 and r2"),
    (spec(datasets=[{"name": "a"}, {"name": "b"}],
          recipes=[{"name": "r1", "inputs": ["a"], "outputs": ["b"]}, {"name": "r2", "inputs": ["b"], "outputs": ["a"]}]),
     "recipes r1, r2 depend on each other in a cycle"),
])
def test_bad_descriptions_fail_clearly(description, message):
    with pytest.raises(AnsibleFilterError, match=message):
        project_as_code_plan(description)


CURRENT = {"datasets": [{"name": "keep", "managed": False}, {"name": "ext", "managed": False},
                        {"name": "data", "managed": True}],
           "recipes": [{"name": "old"}], "scenarios": [{"id": "S1"}, {"id": "KEEP"}]}


def test_exclusive_deletes_unlisted_and_refuses_managed_data():
    plan = project_as_code_plan(spec(datasets=[{"name": "keep"}], scenarios=[{"id": "KEEP"}]), CURRENT)
    assert plan["delete"] == {"scenarios": ["S1"], "recipes": ["old"],
                              "datasets": [{"name": "ext", "drop_data": False}]}
    assert plan["refused"] == ["data"]
    allowed = project_as_code_plan(spec(datasets=[{"name": "keep"}], scenarios=[{"id": "KEEP"}]),
                                   {"exists": True, "content": CURRENT}, delete_data=True)
    assert allowed["refused"] == [] and {"name": "data", "drop_data": True} in allowed["delete"]["datasets"]


def test_exclusive_with_the_current_content_only():
    assert project_as_code_plan(spec(), None)["delete"]["datasets"] == []
    new_project = project_as_code_plan(spec(), {"exists": False, "projects": []})  # dataiku_project_info, no project
    assert new_project["delete"] == {"scenarios": [], "recipes": [], "datasets": []}
    with pytest.raises(AnsibleFilterError, match="exclusive needs the current content"):
        project_as_code_plan(spec(), {"skipped": True, "changed": False})


def test_changes_from_loop_and_single_results():
    loop = {"results": [
        {"changed": True, "invocation": {"module_args": {"name": "a", "state": "present"}},
         "diff": {"before": {}, "after": {"type": "Filesystem"}}},
        {"changed": False, "invocation": {"module_args": {"name": "b"}}},
        {"changed": True, "item": {"name": "c"}, "diff": {"before": {"x": 1}, "after": {"x": 2}}},
        {"changed": True, "invocation": {"module_args": {"name": "d", "state": "absent"}},
         "diff": {"before": {"x": 1}, "after": {}}},
    ]}
    assert [(c["id"], c["action"]) for c in project_as_code_changes(loop, "dataset")] == [
        ("a", "create"), ("c", "update"), ("d", "delete")]
    single = {"changed": True, "diff": {"before": {"project_key": "P", "name": "x"}, "after": {"project_key": "P"}}}
    assert project_as_code_changes(single, "project", "project_key")[0]["id"] == "P"
    assert project_as_code_changes({"skipped": True, "results": []}, "recipe") == []
