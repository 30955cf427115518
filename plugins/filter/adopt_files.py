# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_files
short_description: The files adoption writes, from what each node holds
version_added: 0.1.0
description:
  - Turns the registered loop of M(dataiku_gitops.dss.dataiku_node_export_info) over the environments (one result
    per environment, C(item) its name) into the files C(playbooks/adopt.yml) writes, relative to the destination
    directory - C(inventories/fleet.yml) (environments with their environment objects, projects with their tests and
    remapping), C(inventories/ENV/hosts.yml), C(inventories/DESIGN/host_vars/DESIGN-KEY.yml) (C(dss_project_file))
    and C(projects/KEY.yml) (the project description of the C(dataiku_gitops.dss.project_as_code) role).
  - Credentials are written as references (C(DSS_ENV_URL) with the URL read as default, C(DSS_ENV_API_KEY) then
    C(DATAIKU_API_KEY)); secret connection parameters only as comments naming a Vault variable to fill in.
  - Fails unless exactly one environment is a design node.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, nodes, test_prefix
options:
  _input:
    description: The registered loop results of M(dataiku_gitops.dss.dataiku_node_export_info).
    type: list
    elements: dict
    required: true
  nodes:
    description: Per environment name, C(url), C(validate_certs) and C(ca_path) of the node (what the fleet states).
    type: dict
    required: true
  test_prefix:
    description: The prefix of the test scenarios, written as each project's C(tests.prefix).
    type: str
    default: TEST_
"""

EXAMPLES = r"""
- name: What to write
  ansible.builtin.set_fact:
    adopt_files: "{{ adopt_read.results | dataiku_gitops.dss.adopt_files(adopt_nodes, 'TEST_') }}"
"""

RETURN = r"""
_value:
  description: One C({path, content, sha1}) per file, C(path) relative to the destination directory.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import adoption_files
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


def adopt_files(results, nodes, test_prefix="TEST_"):
    try:
        files = adoption_files(results, nodes, test_prefix)
    except DssError as exc:
        raise AnsibleFilterError(exc.msg) from None
    # The contents hold Jinja meant for later (dss_project_file's inventory_dir, the Vault placeholders): never
    # templated when the playbook writes them.
    return wrap_var(files)


class FilterModule:
    def filters(self):
        return {"adopt_files": adopt_files}
