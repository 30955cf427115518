# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter adopt_pending of plugins/filter/gitops.py (documented in plugins/filter/adopt_pending.yml)."""

from __future__ import annotations

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import pending


def adopt_pending(files, directory):
    # The contents hold Jinja meant for later: never templated when the playbook writes them.
    return wrap_var(pending(files, directory))
