# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's filters, all in this one file: ansible-core finds a collection's filter by loading every file of
its plugins/filter folder, in each worker process that uses one (about 27 microseconds a file, when each filter had
its own file: 0.9 ms a lookup). Each filter's code is in plugins/plugin_utils/_filters, its documentation in
<filter name>.yml beside this file."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import deploy_result
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.adopt_files import adopt_files
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.adopt_notes import adopt_notes
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.adopt_pending import adopt_pending
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.adopt_sources import adopt_sources
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.awx_objects import awx_objects
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.command_output import command_output
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_results import (
    commit_check_results)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_settled import (
    commit_check_settled)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.converged_result import converged_result
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.drift import (
    drift_lines, drift_report, drift_targets)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.gate_node_reads import gate_node_reads
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.gate_options import gate_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.module_options import module_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.node_batches import node_batches
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.node_connection import node_connection
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.project_as_code import (
    project_as_code_changes, project_as_code_plan)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_evidence import promotion_evidence
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_gate import promotion_gate
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_gate_of_host import (
    promotion_gate_of_host)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_plan import promotion_plan
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.role_inputs import role_inputs
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.rollback_target import rollback_target
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.rollout_hold import rollout_hold
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.saved_plan import (
    saved_plan, saved_plan_markdown, saved_plan_prepare, saved_plan_refusal)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.status_table import (
    status_environments, status_table)
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.plan_gates import plan_gates
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.project_hosts import project_keys
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.test_options import role_test_options


class FilterModule:
    def filters(self):
        return {
            "adopt_files": adopt_files,
            "adopt_notes": adopt_notes,
            "adopt_pending": adopt_pending,
            "adopt_sources": adopt_sources,
            "awx_objects": awx_objects,
            "bundle_converged": bundle_converged,
            "command_output": command_output,
            "commit_check_results": commit_check_results,
            "commit_check_settled": commit_check_settled,
            "converged_result": converged_result,
            "deploy_result": deploy_result,
            "drift_lines": drift_lines,
            "drift_report": drift_report,
            "drift_targets": drift_targets,
            "gate_node_reads": gate_node_reads,
            "gate_options": gate_options,
            "module_options": module_options,
            "node_batches": node_batches,
            "node_connection": node_connection,
            "plan_gates": plan_gates,
            "project_as_code_changes": project_as_code_changes,
            "project_as_code_plan": project_as_code_plan,
            "project_keys": project_keys,
            "promotion_evidence": promotion_evidence,
            "promotion_gate": promotion_gate,
            "promotion_gate_of_host": promotion_gate_of_host,
            "promotion_plan": promotion_plan,
            "role_inputs": role_inputs,
            "rollback_target": rollback_target,
            "rollout_hold": rollout_hold,
            "saved_plan": saved_plan,
            "saved_plan_markdown": saved_plan_markdown,
            "saved_plan_prepare": saved_plan_prepare,
            "saved_plan_refusal": saved_plan_refusal,
            "status_environments": status_environments,
            "status_table": status_table,
            "test_options": role_test_options,
        }
