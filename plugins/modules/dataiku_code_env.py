#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_code_env
short_description: Create, update or delete a Dataiku DSS code environment
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a Python or R code environment exists on a DSS design or automation node with the given deployment mode
    and required packages, or that it does not exist. Typically used to declare what a staging or production node
    must hold before a bundle that uses the code env is activated there.
  - When the package list changes, the new list is saved and DSS is asked to update the environment's packages
    (O(update_packages)).
  - Only the options that are set are managed; a second run with the same options sends no write request.
  - In check mode nothing is written; C(changed) and the diff are exactly those of a real run.
  - Needs an API key allowed to create or manage code envs.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  name:
    description: Name of the code env.
    type: str
    required: true
  lang:
    description: Language of the code env.
    type: str
    choices: [python, r]
    default: python
  state:
    description:
      - V(present) creates the code env if needed and applies the options that are set.
      - V(absent) deletes the code env if it exists.
    type: str
    choices: [present, absent]
    default: present
  deployment_mode:
    description:
      - How DSS manages the env, for example V(DESIGN_MANAGED) (design nodes) or V(AUTOMATION_SINGLE) (automation
        nodes). When creating and not set, V(DESIGN_MANAGED) on a design node and V(AUTOMATION_SINGLE) on an
        automation node.
      - Cannot be changed on an existing env. V(AUTOMATION_VERSIONED) envs can be created and deleted, but their
        O(packages) are not managed (they belong to versions).
    type: str
  packages:
    description:
      - Required packages, one requirement each (for example V(pandas==2.2.2)), in order (C(specPackageList)).
      - Compared line by line, ignoring blank lines and surrounding spaces.
    type: list
    elements: str
  update_packages:
    description:
      - After writing a changed O(packages) list (or creating the env with packages), ask DSS to install them
        (C(POST .../packages)). With V(false), only the list is saved.
    type: bool
    default: true
seealso:
  - module: dataiku_gitops.dss.dataiku_connection
"""

EXAMPLES = r"""
- name: The scoring env a bundle needs on the automation node
  dataiku_gitops.dss.dataiku_code_env:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    name: py311_scoring
    lang: python
    packages:
      - pandas==2.2.2
      - scikit-learn==1.5.1
"""

RETURN = r"""
code_env:
  description:
    - The managed fields of the code env after the run (lang, deployment_mode, packages), V({}) when it does not
      exist. In check mode, the current fields with the requested ones applied.
  returned: always
  type: dict
  sample:
    lang: python
    deployment_mode: AUTOMATION_SINGLE
    packages: [pandas==2.2.2]
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.code_env import VERSIONED, package_holder
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    ContentObject, content_argument_spec, instance_object_errors, lines, main_of)

DEFAULT_MODES = {"DESIGN": "DESIGN_MANAGED", "AUTOMATION": "AUTOMATION_SINGLE"}


class CodeEnv(ContentObject):
    kind = "code_env"
    immutable = ("deployment_mode",)

    def __init__(self, module):
        super().__init__(module)
        self.name = self.params["name"]
        self.lang = self.params["lang"].upper()
        self.label = "%s code env %s" % (self.lang, self.name)
        self.handle = module.client.get_code_env(self.lang, self.name)

    def exists(self):
        return any(e.get("envName") == self.name and str(e.get("envLang", "")).upper() == self.lang
                   for e in self.module.client.list_code_envs() or [])

    def read(self):
        return self.handle.get_definition()

    def view(self, raw):
        holder = package_holder(dict(raw))
        view = dict(lang=self.params["lang"], deployment_mode=raw.get("deploymentMode"))
        if holder is not None:
            view["packages"] = lines(holder.get("specPackageList"))
        return view

    def desired(self):
        p = self.params
        wanted = dict(lang=p["lang"])
        if p["deployment_mode"] is not None:
            wanted["deployment_mode"] = p["deployment_mode"]
        if p["packages"] is not None:
            wanted["packages"] = lines("\n".join(p["packages"]))
        return wanted

    def check_input(self, raw):
        mode = raw.get("deploymentMode") if raw is not None else self.params["deployment_mode"]
        if mode == VERSIONED and self.params["packages"] is not None:
            return ("packages cannot be managed on the %s: it is %s (its packages belong to versions)."
                    % (self.label, VERSIONED))
        return None

    def create(self, desired):
        mode = desired.get("deployment_mode") or DEFAULT_MODES.get(self.module.node_info().get("nodeType"))
        self.module.client.create_code_env(self.lang, self.name, mode, params={})

    def update(self, raw, desired):
        if "packages" not in desired:
            return
        settings = self.handle.get_settings()
        holder = package_holder(settings.get_raw())
        holder["specPackageList"] = "\n".join(desired["packages"])
        settings.save()
        if self.params["update_packages"]:
            self.handle.update_packages()

    def delete(self, raw):
        self.handle.delete()


def argument_spec():
    return content_argument_spec(
        in_project=False,
        lang=dict(type="str", choices=["python", "r"], default="python"),
        deployment_mode=dict(type="str"),
        packages=dict(type="list", elements="str"),
        update_packages=dict(type="bool", default=True),
    )


def main():
    main_of(CodeEnv, argument_spec(), instance_object_errors)


if __name__ == "__main__":
    main()
