# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_conflicts
short_description: The files adoption would overwrite with another content
version_added: 0.1.0
description:
  - From the registered loop of M(ansible.builtin.stat) over the files of P(dataiku_gitops.dss.adopt_files#filter)
    (C(item) the file entry), the paths that exist with a content other than the one adoption writes.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, files
options:
  _input:
    description: The registered loop results of M(ansible.builtin.stat) (with C(get_checksum), SHA-1).
    type: list
    elements: dict
    required: true
  files:
    description: The files to write, as P(dataiku_gitops.dss.adopt_files#filter) returns them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse to overwrite a file that differs
  ansible.builtin.assert:
    that: adopt_stat.results | dataiku_gitops.dss.adopt_conflicts(adopt_files) | length == 0
"""

RETURN = r"""
_value:
  description: Sorted paths (relative to the destination directory) of the files that differ.
  type: list
  elements: str
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._adopt.files import conflicts


def adopt_conflicts(stat_results, files):
    return conflicts(stat_results, files)


class FilterModule:
    def filters(self):
        return {"adopt_conflicts": adopt_conflicts}
