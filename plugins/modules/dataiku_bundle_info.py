#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_info
short_description: List the bundles of a Dataiku DSS project (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: One module reads a project; O(dataiku_gitops.dss.dataiku_project_info#module:include) chooses what.
  alternative: Use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[bundles]).
description:
  - Deprecated, removed in 2.0.0 - use M(dataiku_gitops.dss.dataiku_project_info) with C(include=[bundles]), which
    returns the bundles under its key C(bundles). This module keeps its options and results until then.
  - On a design node, lists the bundles exported from a project; on an automation node, the bundles imported into
    it and which one is active.
  - Use it to find the roll-back target (the bundle active before a deployment) or to decide whether a bundle id
    already exists.
  - A project that does not exist is not an error; RV(project_exists) is then false and RV(bundles) empty.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the DSS project, for example V(CHURN_MODEL).
    type: str
    required: true
  bundle_id:
    description: Only return this bundle (an empty RV(bundles) list when it does not exist).
    type: str
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: Read the bundles deployed on the automation node
  dataiku_gitops.dss.dataiku_bundle_info:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN_MODEL
  register: prod_bundles

- name: Show the active bundle
  ansible.builtin.debug:
    msg: "CHURN_MODEL runs {{ prod_bundles.active_bundle_id | default('nothing', true) }}"

- name: Does the design node already have the bundle of this commit?
  dataiku_gitops.dss.dataiku_bundle_info:
    url: https://dss-design.example.com:11200
    api_key: "{{ design_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: "git-{{ git_sha[:12] }}"
  register: design_bundle
"""

RETURN = r"""
node_type:
  description: Type of the node at O(url) (V(DESIGN) or V(AUTOMATION)).
  returned: always
  type: str
  sample: AUTOMATION
project_exists:
  description: Whether the project exists on the node.
  returned: always
  type: bool
active_bundle_id:
  description: The active bundle of the project (automation nodes), null when none was activated or on a design node.
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
bundle_ids:
  description: Ids of the listed bundles, oldest first.
  returned: always
  type: list
  elements: str
  sample: [git-0123456789ab, git-3f2a9c1d0e4b]
bundles:
  description: Exported (design node) or imported (automation node) bundles, oldest first, as DSS lists them.
  returned: always
  type: list
  elements: dict
  contains:
    bundle_id:
      description: Bundle id.
      type: str
      sample: git-3f2a9c1d0e4b
    state:
      description: Export state on a design node (V(BUILT) once usable), null when DSS gives none.
      type: str
      sample: BUILT
    exported_on:
      description: Export date as DSS gives it (C(exportUserInfo.exportedOn)).
      type: str
      sample: "2025-03-31T10:00:00.000+0000"
    exported_by:
      description: User who exported the bundle.
      type: str
      sample: admin
    release_notes:
      description: Release notes given at export.
      type: str
    original_project_key:
      description: Key of the design project the bundle was exported from.
      type: str
      sample: CHURN_MODEL
    imported_on:
      description: Import date (automation nodes), as DSS gives it (C(importState.importedOn)).
      type: str
      sample: "2025-03-31T10:15:30.123+0000"
    imported_by:
      description: User who imported the bundle (automation nodes).
      type: str
    active:
      description: Whether this is the active bundle of the project (always false on a design node).
      type: bool
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project_reads import bundle_node_type, read_bundles


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    key, wanted = module.params["project_key"], module.params["bundle_id"]
    error = project_key_error(key) or (bundle_id_error(wanted) if wanted is not None else None)
    if error:
        raise DssError(error)
    module.check_node_type_option()
    bundle_node_type(module)
    module.exit_json(changed=False, **read_bundles(module, key, wanted, module.find_project(key)))


def main():
    module = DssModule(
        argument_spec=dict(
            project_key=dict(type="str", required=True, no_log=False),
            bundle_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    module.run(run_task, module)


if __name__ == "__main__":
    main()
