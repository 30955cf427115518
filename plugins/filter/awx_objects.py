# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: awx_objects
short_description: The AWX objects that run dataiku_gitops.dss promotions, as options of the awx.awx modules
version_added: 0.1.0
description:
  - "What C(playbooks/awx/configure.yml) creates on an AWX / Automation Platform controller, by kind, each object as
    the options of the C(awx.awx) module that creates it (C(state=present)): C(credentials) (one C(DSS <env> node)
    per environment and C(DSS bundle source)), C(execution_environments) (none without an image), C(project),
    C(inventories), C(inventory_sources) (the project's C(inventories/<env>/hosts.yml)), C(job_templates) (export
    and its check-mode plan on the first environment; deploy, plan and rollback on each later one) and C(workflow)
    (export, then an approval and a deploy per later environment, in order). C(controller) holds the connection
    options of the C(awx.awx.controller) group that are set."
  - "Reads these variables of O(_input) (all optional): C(dss_awx_organization) (V(Default)), C(dss_awx_scm_url)
    (else the environment variable C(DSS_AWX_SCM_URL)), C(dss_awx_scm_branch) (V(main)), C(dss_awx_scm_credential)
    (an existing Source Control credential), C(dss_awx_ee_image) (else C(DSS_AWX_EE_IMAGE)), C(dss_awx_ee_name)
    (V(DSS Dataiku EE)), C(dss_awx_update_secrets) (V(false)), C(dss_awx_environments) (V([dev, staging, prod]), the
    design environment first), C(dss_awx_project) (V(DSS GitOps project)), C(dss_awx_promote_playbook)
    (V(playbooks/promote.yml)), C(dss_awx_rollback_playbook) (V(playbooks/rollback.yml)),
    C(dss_awx_approval_timeout) (V(86400) seconds), C(dss_awx_controller_host), C(dss_awx_controller_token) and
    C(dss_awx_controller_validate_certs)."
  - "Each environment's DSS credential comes from the environment variables C(DSS_<ENV>_URL) and
    C(DSS_<ENV>_API_KEY) (required), C(DSS_<ENV>_VALIDATE_CERTS) (default true) and C(DSS_<ENV>_CA_FILE) (a PEM file
    whose content becomes the credential's CA); the bundle source credential holds the first environment's URL and
    key."
  - "Fails with one message naming every missing input (the git URL, each environment's URL and API key) or invalid
    one; the message never holds a secret."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, environ
options:
  _input:
    description: The variables of the play (C(vars)).
    type: dict
    required: true
  environ:
    description: The environment variables to read C(DSS_*) from. Omitted, those of the controller's process.
    type: dict
"""

EXAMPLES = r"""
- name: Create the job templates of the promotion
  vars:
    dss_awx_objects: "{{ vars | dataiku_gitops.dss.awx_objects }}"
  module_defaults:
    awx.awx.job_template: "{{ item }}"
  awx.awx.job_template: {}
  loop: "{{ dss_awx_objects.job_templates }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
_value:
  description: The objects by kind (lists, but C(project) and C(workflow)) and C(controller), as described above.
  type: dict
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.awx_objects import AwxInputError, build


def awx_objects(variables, environ=None):
    try:
        return build(variables, os.environ if environ is None else environ)
    except AwxInputError as exc:
        raise AnsibleFilterError("awx_objects: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"awx_objects": awx_objects}
