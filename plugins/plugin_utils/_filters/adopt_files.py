# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter adopt_files of plugins/filter/gitops.py (documented in plugins/filter/adopt_files.yml)."""

from __future__ import annotations

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
