# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: test_summary
short_description: The test part of a deployment result, from a registered dataiku_scenario_run result
version_added: 0.1.0
description:
  - Returns C({summary, failed_scenarios, junit_xml}) of a registered M(dataiku_gitops.dss.dataiku_scenario_run)
    result, or null when the task did not run (skipped, or no result at all).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input
options:
  _input:
    description: The registered result (may be empty or skipped).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record the tests of the deployment
  ansible.builtin.set_fact:
    deployment_tests: "{{ tests_run | dataiku_gitops.dss.test_summary }}"
"""

RETURN = r"""
_value:
  description: Null, or C(summary) (counts per outcome), C(failed_scenarios) (ids) and C(junit_xml) (path or null).
  type: dict
"""


def test_summary(result):
    if not isinstance(result, dict) or not result or result.get("skipped"):
        return None
    return {"summary": result.get("summary"), "failed_scenarios": list(result.get("failed_scenarios") or []),
            "junit_xml": result.get("junit_xml")}


class FilterModule:
    def filters(self):
        return {"test_summary": test_summary}
