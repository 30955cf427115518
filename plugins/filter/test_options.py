# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: test_options
short_description: The tests option of a deploy module, from the promotion contract's dss_tests
version_added: 0.1.0
description:
  - Maps C(dss_tests) (C(prefix), C(scenarios), C(timeout), C(if_no_scenarios)) to the O(dataiku_gitops.dss.dataiku_bundle_deploy#module:tests)
    option of M(dataiku_gitops.dss.dataiku_bundle_deploy) and M(dataiku_gitops.dss.dataiku_deployment) (C(timeout)
    becomes C(scenario_timeout)); unset entries keep the module's defaults.
  - With O(junit_dir), adds C(junit_xml) - C(<junit_dir>/<report_name>.xml).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, junit_dir, report_name
options:
  _input:
    description: C(dss_tests).
    type: dict
    required: true
  junit_dir:
    description: Directory of the JUnit reports; empty - no report.
    type: str
  report_name:
    description: File name of the report, without C(.xml).
    type: str
"""

EXAMPLES = r"""
- name: Deploy with the contract's tests
  dataiku_gitops.dss.dataiku_bundle_deploy:
    project_key: CHURN
    bundle_id: v2
    lock_owner: run-1
    tests: "{{ dss_tests | dataiku_gitops.dss.test_options('reports', 'CHURN-v2') }}"
"""

RETURN = r"""
_value:
  description: The O(dataiku_gitops.dss.dataiku_bundle_deploy#module:tests) option.
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.test_options import role_test_options


class FilterModule:
    def filters(self):
        return {"test_options": role_test_options}
