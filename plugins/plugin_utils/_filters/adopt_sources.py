# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter adopt_sources of plugins/filter/gitops.py (documented in plugins/filter/adopt_sources.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_sources import adoption_sources
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


def adopt_sources(hostvars, hosts, nodes=None):
    try:
        return adoption_sources(hostvars, hosts, nodes)
    except DssError as exc:
        raise AnsibleFilterError(exc.msg) from None
