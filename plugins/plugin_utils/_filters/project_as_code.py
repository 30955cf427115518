# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the project_as_code role and the drift playbook: the apply plan of a project description (what to
write in which order, what to delete, what to refuse) and the per-object changes of registered module results."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

KINDS = (("datasets", "name"), ("recipes", "name"), ("scenarios", "id"))


def _items(description, kind, id_key):
    items = description.get(kind) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get(id_key), str) for i in items):
        raise AnsibleFilterError("%s must be a list of mappings, each with a %s (a string)." % (kind, id_key))
    seen = set()
    for item in items:
        if item[id_key] in seen:
            raise AnsibleFilterError("%s lists %s %r twice." % (kind, id_key, item[id_key]))
        seen.add(item[id_key])
    return items


def _local(ref):
    """Refs such as OTHER_PROJECT.dataset point to another project and are not this description's business."""
    return "." not in ref


def recipe_order(recipes, dataset_names):
    """Recipes so that a recipe comes after every recipe producing one of its inputs (declaration order otherwise).
    Fails on refs to undeclared datasets, on a dataset produced twice and on cycles."""
    producer = {}
    for recipe in recipes:
        for role in ("inputs", "outputs"):
            for ref in recipe.get(role) or []:
                if _local(ref) and ref not in dataset_names:
                    raise AnsibleFilterError("recipe %s: %s %r is not declared in datasets."
                                             % (recipe["name"], role[:-1], ref))
        for ref in recipe.get("outputs") or []:
            if ref in producer:
                raise AnsibleFilterError("dataset %s is the output of both %s and %s." % (ref, producer[ref],
                                                                                          recipe["name"]))
            producer[ref] = recipe["name"]
    needs = dict((r["name"], set(producer[i] for i in r.get("inputs") or [] if i in producer) - {r["name"]})
                 for r in recipes)
    ordered, done = [], set()
    while len(ordered) < len(recipes):
        ready = [r for r in recipes if r["name"] not in done and needs[r["name"]] <= done]
        if not ready:
            stuck = sorted(r["name"] for r in recipes if r["name"] not in done)
            raise AnsibleFilterError("recipes %s depend on each other in a cycle." % ", ".join(stuck))
        ordered.append(ready[0])
        done.add(ready[0]["name"])
    return ordered


def dataset_order(datasets, recipes):
    """Datasets no declared recipe writes (inputs) first, then outputs in the order their recipes run."""
    outputs = [ref for recipe in recipes for ref in recipe.get("outputs") or []]
    by_name = dict((d["name"], d) for d in datasets)
    return [d for d in datasets if d["name"] not in outputs] + [by_name[ref] for ref in outputs if ref in by_name]


def _current_content(current):
    """The datasets, recipes and scenarios of a read of the project: dataiku_project_info with include content
    (nothing under ``content`` when the project does not exist yet), or dataiku_project_content_info."""
    if not isinstance(current, dict) or current.get("skipped"):
        raise AnsibleFilterError("exclusive needs the current content (the result of dataiku_project_info with "
                                 "include=[content]).")
    if "content" in current:
        return current["content"]
    return current if "datasets" in current else {}


def project_as_code_plan(description, current=None, delete_data=False):
    """The apply plan of a project description.

    ``current`` is the project as it is (the result of dataiku_project_info with include content): given, the plan
    is exclusive - it deletes the objects the description does not list. Returns ``project``,
    ``datasets``, ``recipes``, ``scenarios`` (in apply order), ``delete`` (``scenarios``, ``recipes``,
    ``datasets`` with their ``drop_data``: the reverse dependency order) and ``refused`` (managed datasets whose
    deletion would delete data and ``delete_data`` is false).
    """
    if not isinstance(description, dict) or not isinstance(description.get("project"), dict) \
            or not isinstance(description["project"].get("key"), str):
        raise AnsibleFilterError("A project description is a mapping with project.key (the project key), and "
                                 "optional datasets, recipes and scenarios lists.")
    unknown = sorted(set(description) - {"project", "datasets", "recipes", "scenarios"})
    if unknown:
        raise AnsibleFilterError("Unknown sections %s in the project description (allowed: project, datasets, "
                                 "recipes, scenarios)." % ", ".join(unknown))
    datasets, recipes, scenarios = (_items(description, kind, id_key) for kind, id_key in KINDS)
    recipes = recipe_order(recipes, set(d["name"] for d in datasets))
    plan = dict(project=description["project"], datasets=dataset_order(datasets, recipes), recipes=recipes,
                scenarios=scenarios, delete=dict(scenarios=[], recipes=[], datasets=[]), refused=[])
    if current is not None:
        current = _current_content(current)
        declared = dict((kind, set(i[id_key] for i in plan[kind])) for kind, id_key in KINDS)
        plan["delete"]["scenarios"] = [s["id"] for s in current.get("scenarios") or []
                                       if s["id"] not in declared["scenarios"]]
        plan["delete"]["recipes"] = [r["name"] for r in current.get("recipes") or []
                                     if r["name"] not in declared["recipes"]]
        for dataset in current.get("datasets") or []:
            if dataset["name"] in declared["datasets"]:
                continue
            if dataset.get("managed") and not delete_data:
                plan["refused"].append(dataset["name"])
            else:
                plan["delete"]["datasets"].append(dict(name=dataset["name"], drop_data=bool(dataset.get("managed"))))
    return plan


def project_as_code_changes(results, kind, id_key="name"):
    """Per-object changes of a registered module result (a loop's ``results`` or a single result): a list of
    ``{kind, id, action, before, after}`` for the objects that changed (or would change in check mode)."""
    if isinstance(results, dict) and "results" in results:
        results = results["results"]
    elif isinstance(results, dict):
        results = [results]
    changes = []
    for result in results or []:
        if not isinstance(result, dict) or not result.get("changed"):
            continue
        args = (result.get("invocation") or {}).get("module_args") or {}
        diff = result.get("diff") or {}
        before, after = diff.get("before"), diff.get("after")
        action = "delete" if args.get("state") == "absent" else ("create" if before == {} else "update")
        item = result.get("item") if isinstance(result.get("item"), dict) else {}
        object_id = args.get(id_key) or item.get(id_key) or (after or {}).get(id_key) or (before or {}).get(id_key)
        changes.append(dict(kind=kind, id=object_id, action=action, before=before, after=after))
    return changes
