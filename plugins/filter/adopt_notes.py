# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_notes
short_description: What adoption left to complete by hand
version_added: 0.1.0
description:
  - From the registered loop of M(dataiku_gitops.dss.dataiku_node_export_info) over the environments, one line per
    secret connection parameter to fill in from Vault, per object the formats do not express, per project missing on
    a node and per project without test scenarios.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, test_prefix
options:
  _input:
    description: The registered loop results of M(dataiku_gitops.dss.dataiku_node_export_info).
    type: list
    elements: dict
    required: true
  test_prefix:
    description: The prefix of the test scenarios.
    type: str
    default: TEST_
"""

EXAMPLES = r"""
- name: Say what to complete by hand
  ansible.builtin.debug:
    msg: "{{ adopt_read.results | dataiku_gitops.dss.adopt_notes('TEST_') }}"
"""

RETURN = r"""
_value:
  description: One line per note (empty when nothing is left to do).
  type: list
  elements: str
"""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import notes


def adopt_notes(results, test_prefix="TEST_"):
    return notes(results, test_prefix)


class FilterModule:
    def filters(self):
        return {"adopt_notes": adopt_notes}
