# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter role_inputs of plugins/filter/gitops.py (documented in plugins/filter/role_inputs.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.role_inputs import RoleInputError, resolve


def role_inputs(variables, role):
    try:
        return resolve(variables, role)
    except RoleInputError as exc:
        raise AnsibleFilterError(str(exc)) from None
