# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deploy_result
short_description: The result of a bundle deployment, the same keys on both routes, from the registered module result
version_added: 0.1.0
description:
  - Picks the deployment result out of a registered M(dataiku_gitops.dss.dataiku_bundle_deploy) or
    M(dataiku_gitops.dss.dataiku_deployment) (with O(dataiku_gitops.dss.dataiku_deployment#module:tests)) result,
    successful or failed - C(route), C(project_key), C(bundle_id), C(previous_bundle_id), C(active_bundle_id),
    C(rollback_bundle_id), C(tests), C(certified), C(rolled_back), C(error), C(steps), C(lock),
    C(project_created) - every key present (null when the module failed before it knew it).
  - C(error) is the module's message when it failed before reporting one, and C(certified) is false on a failure.
  - The roles C(dataiku_gitops.dss.bundle_deploy) and C(dataiku_gitops.dss.deployer_deploy) record their result
    with it.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input
options:
  _input:
    description: The registered result of the deployment task.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record the deployment, also when it failed
  ansible.builtin.set_fact:
    deployment: "{{ deployed | dataiku_gitops.dss.deploy_result }}"
"""

RETURN = r"""
_value:
  description: The deployment result (see the description for its keys).
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import deploy_result


class FilterModule:
    def filters(self):
        return {"deploy_result": deploy_result}
