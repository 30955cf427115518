# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: plan_gates
short_description: The preflight gates of every queued project of an automation environment, in its plan
version_added: 0.1.0
description:
  - "Adds the preflight gates (docs/promotion.md, Gates) to the plan of an automation environment's planning play of
    playbooks/promote.yml (a P(dataiku_gitops.dss.promotion_plan#filter) result), once for the whole play, from what
    the run already read - the design node's bulk read (each exported bundle's Project Standards report and release
    notes, fact C(bundle_export_node_read) of the project's design host) or this run's exports (fact
    C(bundle_export_results)), the environment's bulk read (C(promote_node)), and the gate environment's results in
    this run or its node's read (P(dataiku_gitops.dss.promotion_evidence#filter))."
  - "The decisions use the deploy modules' own code, so a plan shows per project which gates pass, warn or block and
    why, as the deployment then decides. What the run did not read is V(deferred) (the deploy module decides it) -
    on the Project Deployer route Project Standards, Govern and the release notes (the infrastructure's policy and
    the published bundle), on the direct route the report and notes of a bundle whose design node this run did not
    read (C(dss_bundle_source) given, or the design environment not in the run)."
  - "With C(dss_all_or_nothing), when the gates block one queued project, every other queued project of the play is
    held back (C(held)): the playbook refuses it before its deploy module starts."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, hostvars, hosts, groups
options:
  _input:
    description: The plan (P(dataiku_gitops.dss.promotion_plan#filter) of an automation node for O(hosts)).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts the plan was made for, in the same order (C(ansible_play_batch)).
    type: list
    elements: str
    required: true
  groups:
    description: C(groups).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Add the gates to the plan
  ansible.builtin.set_fact:
    promote_plan: "{{ promote_plan | dataiku_gitops.dss.plan_gates(hostvars, ansible_play_batch, groups) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - The plan with C(gates) (project key of each queued project with a bundle -> C(decision) (V(pass), V(warn) or
      V(block), over the decided gates), C(checks) (C(gate), C(status) V(pass), V(warn), V(block), V(skip) - and
      C(reason)), C(deferred) (the gates the deployment decides) and C(lines)), C(held) (project key -> why
      C(dss_all_or_nothing) holds it back), and under each queued project's line in C(lines) a line with its gates
      (the skipped ones left out) and one with its hold.
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.plan_gates import plan_gates


class FilterModule:
    def filters(self):
        return {"plan_gates": plan_gates}
