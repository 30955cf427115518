# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter converged_result of plugins/filter/gitops.py (documented in plugins/filter/converged_result.yml)."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import blank


def converged_result(bundle_id, project_key, route="direct"):
    result = blank(route, project_key, bundle_id)
    result.update(previous_bundle_id=bundle_id, active_bundle_id=bundle_id, certified=True)
    return result
