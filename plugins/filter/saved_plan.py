# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: saved_plan
short_description: The saved plan of a check-mode promotion, from the facts its planning plays left
version_added: 0.1.0
description:
  - "Gathers what a C(--check) run of playbooks/promote.yml planned, per environment and project: the bundle, the
    planned step, whether the project has work, and the state the plan was computed from (from the bulk reads the
    run already did - existence, bundle list, active bundle and its test record) with its sha256 digest."
  - "Each project entry has a C(decisions) dict, empty here, where other parts of the run may add their decisions
    (for example a preflight gate's); the comparison at apply time ignores it."
  - "Fails, so that nothing is saved, when a host of the run failed or was not planned."
  - "The format is described in docs/plans.md; P(dataiku_gitops.dss.saved_plan_prepare#filter) and
    P(dataiku_gitops.dss.saved_plan_refusal#filter) apply it, P(dataiku_gitops.dss.saved_plan_markdown#filter)
    summarises it."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, run
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  run:
    description:
      - The run, as a dict - C(hosts) (every project host the play targeted, C(ansible_play_hosts_all)), C(active)
        (those that have not failed, C(ansible_play_hosts)) and C(bundle_id) (C(dss_bundle_id) when given).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the plan
  ansible.builtin.copy:
    content: "{{ plan | to_nice_json }}\n"
    dest: /tmp/plan.json
    mode: "0644"
  vars:
    plan: >-
      {{ hostvars | dataiku_gitops.dss.saved_plan({'hosts': ansible_play_hosts_all, 'active': ansible_play_hosts,
         'bundle_id': dss_bundle_id | default('')}) }}
  check_mode: false
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description:
    - C(format), C(version) (1), C(created), C(plan_id) (digest of the content), C(bundle_id), C(bundle_ids) and
      C(environments) - per environment C(node_type), C(url) and C(projects) - per project key C(bundle_id), C(work),
      C(step), C(state), C(digest), C(decisions) and, on automation nodes, C(route).
  type: dict
"""

from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils import saved_plan as plans


def _run(value, name):
    if not isinstance(value, dict):
        raise AnsibleFilterError("%s: its argument must be a dict, got %s" % (name, type(value).__name__))
    return value


def saved_plan(hostvars, run):
    """The plan of a check-mode run (see the docs)."""
    run = _run(run, "saved_plan")
    hosts = list(run.get("hosts") or [])
    active = set(run.get("active") or hosts)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        return plans.build(hostvars, hosts, [h for h in hosts if h not in active], run.get("bundle_id") or "",
                           created)
    except plans.PlanError as exc:
        raise AnsibleFilterError(str(exc)) from None


def saved_plan_prepare(hostvars, run):
    """Read the plan file and check that it fits this run (see saved_plan_prepare.yml)."""
    run = _run(run, "saved_plan_prepare")
    path = run.get("path") or ""
    try:
        plan = plans.read_file(path)
        return plans.prepare(plan, hostvars, run.get("hosts"), run.get("bundle_id") or "", path)
    except plans.PlanError as exc:
        raise AnsibleFilterError(str(exc)) from None
    except OSError as exc:
        raise AnsibleFilterError("Cannot read the saved plan %s: %s" % (path, exc.strerror or exc)) from None


def saved_plan_refusal(results, prepared):
    """Null when every node still holds the planned state, else the message naming what moved."""
    prepared = _run(prepared, "saved_plan_refusal")
    return plans.refusal(prepared, plans.moved(prepared, results))


def saved_plan_markdown(plan):
    """The plan as Markdown for a pull-request comment."""
    return plans.markdown(_run(plan, "saved_plan_markdown"))


class FilterModule:
    def filters(self):
        return {"saved_plan": saved_plan, "saved_plan_prepare": saved_plan_prepare,
                "saved_plan_refusal": saved_plan_refusal, "saved_plan_markdown": saved_plan_markdown}
