# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter adopt_notes of plugins/filter/gitops.py (documented in plugins/filter/adopt_notes.yml)."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import notes


def adopt_notes(results, test_prefix="TEST_"):
    return notes(results, test_prefix)
