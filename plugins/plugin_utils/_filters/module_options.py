# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter module_options of plugins/filter/gitops.py (documented in plugins/filter/module_options.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.module_options import ModuleOptionsError
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.module_options import module_options as _options


def module_options(entry, module, fixed=None):
    try:
        return _options(entry, module, fixed)
    except ModuleOptionsError as exc:
        raise AnsibleFilterError(str(exc)) from None
