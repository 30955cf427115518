#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_recipe
short_description: Create, update or delete a recipe of a Dataiku DSS project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a recipe exists in a DSS project with the given type, inputs, outputs, code (or payload) and parameters,
    or that it does not exist.
  - Only the options that are set are managed; a second run with the same options sends no write request.
  - The whole recipe definition and payload are written back, so fields this module does not manage are kept; they
    are then read again and the task fails if DSS did not keep a written field.
  - In check mode nothing is written; C(changed) and the diff are exactly those of a real run. The diff shows the
    managed fields only.
  - The project and the datasets named in O(inputs) and O(outputs) must exist (create them with
    M(dataiku_gitops.dss.dataiku_dataset) first).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project holding the recipe.
    type: str
    required: true
  name:
    description: Name of the recipe (letters, digits and underscores).
    type: str
    required: true
  state:
    description:
      - V(present) creates the recipe if needed and applies the options that are set.
      - V(absent) deletes the recipe if it exists (its output datasets are kept).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Recipe type, for example V(python), V(sql_query), V(sync), V(join), V(grouping).
      - Required to create a recipe. DSS cannot change the type of an existing recipe; a different type fails and
        says so.
    type: str
  inputs:
    description:
      - Names of the input datasets of the main input role, in order. Other roles are kept as they are.
    type: list
    elements: str
  outputs:
    description:
      - Names of the output datasets of the main output role, in order. Other roles are kept as they are.
    type: list
    elements: str
  payload:
    description:
      - The recipe's payload as DSS stores it, that is the code of a code recipe (Python, SQL, R...), or the JSON text
        of a visual recipe's settings.
      - Compared as text.
    type: str
  params:
    description: Recipe parameters (C(params) of the recipe definition); the keys given are set, the others are kept.
    type: dict
seealso:
  - module: dataiku_gitops.dss.dataiku_dataset
"""

EXAMPLES = r"""
- name: A Python recipe from customers to scored
  dataiku_gitops.dss.dataiku_recipe:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_key: CHURN
    name: compute_scored
    type: python
    inputs: [customers]
    outputs: [scored]
    payload: "{{ lookup('ansible.builtin.file', 'recipes/compute_scored.py') }}"

- name: Remove a recipe
  dataiku_gitops.dss.dataiku_recipe:
    project_key: CHURN
    name: compute_old
    state: absent
"""

RETURN = r"""
recipe:
  description:
    - The managed fields of the recipe after the run (type, inputs and outputs of the main roles, payload, params),
      V({}) when it does not exist. In check mode, the current fields with the requested ones applied.
  returned: always
  type: dict
  sample:
    type: python
    inputs: [customers]
    outputs: [scored]
    payload: "print('scoring')"
    params: {}
"""

import copy

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import deep_merge
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    ProjectObject, content_argument_spec, main_of, object_name_error, project_object_errors)

MAIN_ROLE = "main"


def main_refs(roles):
    """Dataset names of the main role of a recipe's ``inputs`` or ``outputs``."""
    items = ((roles or {}).get(MAIN_ROLE) or {}).get("items") or []
    return [item.get("ref") for item in items]


def with_main_refs(roles, refs, new_item):
    """``roles`` with the main role listing ``refs``: items already there keep their settings, new ones are built
    by ``new_item(ref)``."""
    roles = copy.deepcopy(roles or {})
    old = dict((item.get("ref"), item) for item in (roles.get(MAIN_ROLE) or {}).get("items") or [])
    role = roles.setdefault(MAIN_ROLE, {})
    role["items"] = [old.get(ref) or new_item(ref) for ref in refs]
    return roles


class Recipe(ProjectObject):
    kind = "recipe"
    immutable = ("type",)

    def __init__(self, module):
        super().__init__(module)
        self.handle = self.project.get_recipe(self.name)

    def list_names(self):
        return [r.get("name") for r in self.project.list_recipes(as_type="listitems")]

    def read(self):
        return self.handle.get_settings().data

    def view(self, raw):
        recipe = raw.get("recipe") or {}
        return dict(type=recipe.get("type"), inputs=main_refs(recipe.get("inputs")),
                    outputs=main_refs(recipe.get("outputs")), payload=raw.get("payload") or "",
                    params=recipe.get("params") or {})

    def desired(self):
        p = self.params
        return dict((o, p[o]) for o in ("type", "inputs", "outputs", "payload", "params") if p[o] is not None)

    def check_input(self, raw):
        exists = raw is not None
        if not exists and not self.params["type"]:
            return "Creating the recipe %s needs type (for example python, sql_query or sync)." % self.label
        errors = [object_name_error(ref, option) for option in ("inputs", "outputs")
                  for ref in self.params[option] or []]
        return "; ".join(e for e in errors if e) or None

    def create(self, desired):
        p = self.params
        proto = {"type": p["type"], "name": self.name,
                 "inputs": with_main_refs({}, p["inputs"] or [], _input_item),
                 "outputs": with_main_refs({}, p["outputs"] or [], _output_item)}
        self.project.create_recipe(proto, {})

    def update(self, raw, desired):
        settings = self.handle.get_settings()
        recipe = settings.data["recipe"]
        if "inputs" in desired:
            recipe["inputs"] = with_main_refs(recipe.get("inputs"), desired["inputs"], _input_item)
        if "outputs" in desired:
            recipe["outputs"] = with_main_refs(recipe.get("outputs"), desired["outputs"], _output_item)
        if "params" in desired:
            recipe["params"] = deep_merge(recipe.get("params") or {}, desired["params"])
        if "payload" in desired:
            settings.str_payload = desired["payload"]
        settings.save()

    def delete(self, raw):
        self.handle.delete()


def _input_item(ref):
    return {"ref": ref, "deps": []}


def _output_item(ref):
    return {"ref": ref, "appendMode": False}


def argument_spec():
    return content_argument_spec(
        type=dict(type="str"),
        inputs=dict(type="list", elements="str"),
        outputs=dict(type="list", elements="str"),
        payload=dict(type="str"),
        params=dict(type="dict"),
    )


def main():
    main_of(Recipe, argument_spec(), lambda params: project_object_errors(params, "name"))


if __name__ == "__main__":
    main()
