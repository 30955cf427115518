# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter node_connection of plugins/filter/gitops.py (documented in plugins/filter/node_connection.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.role_inputs import RoleInputError, connection


def node_connection(node, prefix=""):
    try:
        return connection(node, prefix)
    except RoleInputError as exc:
        raise AnsibleFilterError("node_connection: %s" % exc) from None
