#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_scenario
short_description: Create, update or delete a scenario of a Dataiku DSS project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a scenario exists in a DSS project with the given type, steps or script, triggers and active flag, or
    that it does not exist.
  - Only the options that are set are managed; a second run with the same options sends no write request.
  - The whole scenario definition is written back, so fields this module does not manage (reporters, tags...) are
    kept; it is then read again and the task fails if DSS did not keep a written field.
  - In check mode nothing is written; C(changed) and the diff are exactly those of a real run. The diff shows the
    managed fields only.
  - To run a scenario, use M(dataiku_gitops.dss.dataiku_scenario_run).
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project holding the scenario.
    type: str
    required: true
  id:
    description:
      - Id of the scenario (letters, digits and underscores), for example V(TEST_SMOKE).
      - Given to DSS on creation; the task fails if DSS chose another id.
    type: str
    required: true
  state:
    description:
      - V(present) creates the scenario if needed and applies the options that are set.
      - V(absent) deletes the scenario if it exists.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Display name. On creation defaults to O(id).
    type: str
  type:
    description:
      - V(step_based) (steps) or V(custom_python) (a Python script).
      - Required to create a scenario; DSS cannot change the type of an existing scenario.
    type: str
    choices: [step_based, custom_python]
  steps:
    description:
      - Steps of a V(step_based) scenario, in order, as DSS stores them (C(params.steps)), each a dict with
        C(id), C(type) (for example V(build_flowitem), V(custom_python)), C(name) and C(params).
      - Compared step by step on the keys given.
    type: list
    elements: dict
  script:
    description: Python script of a V(custom_python) scenario. Compared as text.
    type: str
  triggers:
    description:
      - Triggers, in order, as DSS stores them, each a dict with C(type) (for example V(temporal), V(ds_modified)),
        C(active), C(name) and C(params). Compared trigger by trigger on the keys given. V([]) removes all.
    type: list
    elements: dict
  active:
    description: Whether the scenario's automatic triggers are active.
    type: bool
seealso:
  - module: dataiku_gitops.dss.dataiku_scenario_run
"""

EXAMPLES = r"""
- name: A nightly build scenario
  dataiku_gitops.dss.dataiku_scenario:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_key: CHURN
    id: NIGHTLY
    name: Nightly build
    type: step_based
    active: true
    steps:
      - id: build_scored
        type: build_flowitem
        name: Build scored
        params:
          builds: [{type: DATASET, itemId: scored}]
    triggers:
      - type: temporal
        name: Every night
        active: true
        params: {frequency: Daily, hour: 2, minute: 0}

- name: A Python test scenario
  dataiku_gitops.dss.dataiku_scenario:
    project_key: CHURN
    id: TEST_SMOKE
    type: custom_python
    script: |
      from dataiku.scenario import Scenario
      Scenario().build_dataset("scored")
"""

RETURN = r"""
scenario:
  description:
    - The managed fields of the scenario after the run (name, type, active, triggers, and steps or script),
      V({}) when it does not exist. In check mode, the current fields with the requested ones applied.
  returned: always
  type: dict
  sample:
    name: Nightly build
    type: step_based
    active: true
    triggers: []
    steps: []
"""

import copy

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    ProjectObject, content_argument_spec, main_of, project_object_errors)

STEP_BASED = "step_based"
PYTHON = "custom_python"


class Scenario(ProjectObject):
    kind = "scenario"
    name_option = "id"
    immutable = ("type",)

    def __init__(self, module):
        super().__init__(module)
        self.handle = self.project.get_scenario(self.name)

    def list_names(self):
        return [s.get("id") for s in self.project.list_scenarios(as_type="listitems")]

    def read(self):
        settings = self.handle.get_settings()
        raw = copy.deepcopy(settings.get_raw())
        if raw.get("type") != STEP_BASED:
            raw["script"] = settings.code
        return raw

    def view(self, raw):
        view = dict(name=raw.get("name"), type=raw.get("type"), active=raw.get("active", False),
                    triggers=raw.get("triggers") or [])
        if raw.get("type") == STEP_BASED:
            view["steps"] = (raw.get("params") or {}).get("steps") or []
        else:
            view["script"] = raw.get("script") or ""
        return view

    def desired(self):
        p = self.params
        return dict((o, p[o]) for o in ("name", "type", "active", "triggers", "steps", "script") if p[o] is not None)

    def check_input(self, raw):
        exists = raw is not None
        p = self.params
        if not exists and not p["type"]:
            return "Creating the scenario %s needs type (step_based or custom_python)." % self.label
        if p["steps"] is not None and p["script"] is not None:
            return "steps and script are mutually exclusive: steps for step_based scenarios, script for custom_python."
        scenario_type = p["type"] or (raw or {}).get("type")
        if p["steps"] is not None and scenario_type != STEP_BASED:
            return "steps only apply to step_based scenarios; %s is %s." % (self.label, scenario_type)
        if p["script"] is not None and scenario_type != PYTHON:
            return "script only applies to custom_python scenarios; %s is %s." % (self.label, scenario_type)
        return None

    def create(self, desired):
        p = self.params
        definition = {"id": self.name, "params": {"steps": []} if p["type"] == STEP_BASED else {}}
        created = self.project.create_scenario(p["name"] or self.name, p["type"], definition=definition)
        if created.id != self.name:
            raise DssError("DSS at %s created the scenario with id %s instead of %s: rename or delete it."
                           % (self.module.url, created.id, self.name))

    def update(self, raw, desired):
        settings = self.handle.get_settings()
        data = settings.get_raw()
        for field in ("name", "active", "triggers"):
            if field in desired:
                data[field] = copy.deepcopy(desired[field])
        if "steps" in desired:
            data.setdefault("params", {})["steps"] = copy.deepcopy(desired["steps"])
        if "script" in desired:
            settings.code = desired["script"]
        settings.save()

    def delete(self, raw):
        self.handle.delete()


def argument_spec():
    return content_argument_spec(
        "id",
        name=dict(type="str"),
        type=dict(type="str", choices=[STEP_BASED, PYTHON]),
        steps=dict(type="list", elements="dict"),
        script=dict(type="str"),
        triggers=dict(type="list", elements="dict"),
        active=dict(type="bool"),
    )


def main():
    main_of(Scenario, argument_spec(), lambda params: project_object_errors(params, "id"))


if __name__ == "__main__":
    main()
