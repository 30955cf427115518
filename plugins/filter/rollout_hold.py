# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_hold
short_description: Whether a host of a deploy play may deploy now, from what happened before it in the rollout
version_added: 0.1.0
description:
  - For a host of a deploy play of playbooks/promote.yml (tasks/deploy_step.yml), null when it may deploy now, else
    one line saying why it is held back (docs/topologies.md), checked in this order
  - With C(dss_all_or_nothing), another project of its environment that the preflight gates block in the plan
    (C(held) of the host's C(promote_plan), see P(dataiku_gitops.dss.plan_gates#filter)).
  - A node of the gate environment (C(dss_gate_hosts)) without a passing test record of the bundle - with several
    nodes in the previous environment, every one must certify it. The evidence is this run's deployment result on
    that node, else the node's read of this run, else the read of P(dataiku_gitops.dss.gate_node_reads#filter)
    (the host's C(promote_gate_nodes)).
  - An earlier rollout phase of its environment (C(dss_rollout_phase) - the canary node, then batches of nodes)
    where more deployments failed or were held back than C(max_fail_percentage) of the environment's
    C(rollout) (default 0 - any failure on the canary stops the environment).
  - An upstream project (C(dss_upstream_hosts), from C(depends_on)) whose deployment on the same node was queued in
    this run and failed or was held back.
  - Null for a host without any of these variables (single-node environments, no C(depends_on)).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, gate, play_hosts, alive
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  gate:
    description: The host's input of P(dataiku_gitops.dss.promotion_gate#filter) - C(host) and C(bundle_id) are used.
    type: dict
    required: true
  play_hosts:
    description: The hosts of the deploy play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  alive:
    description: The hosts of the deploy play that have not failed (C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Hold back what must wait
  ansible.builtin.assert:
    that: refusal is none
    fail_msg: "{{ refusal }}"
  vars:
    refusal: >-
      {{ hostvars | dataiku_gitops.dss.rollout_hold({'host': inventory_hostname, 'bundle_id': bundle_id},
         ansible_play_hosts_all, ansible_play_hosts) }}
"""

RETURN = r"""
_value:
  description: Null when the host may deploy now, else the reason.
  type: str
"""

from ansible_collections.dataiku_gitops.dss.plugins.filter.bundle_converged import bundle_converged


def _vars(hostvars, host):
    return hostvars[host] if host in hostvars else {}


def _pending(hostvars, host):
    """Whether ``host`` was queued to deploy in this run (its node's plan has it pending)."""
    plan = _vars(hostvars, host).get("promote_plan") or {}
    return host in (plan.get("pending") or [])


def _certified_result(result, bundle_id):
    return isinstance(result, dict) and result.get("bundle_id", bundle_id) == bundle_id and \
        result.get("active_bundle_id") == bundle_id and result.get("certified") is True


def _gate_certified(hostvars, host_vars, gate_host, bundle_id):
    """Whether the bundle has a passing test record on the node of ``gate_host``: this run's result there, else the
    node's read of this run (converged there), else the read of the gate nodes this play made."""
    key = host_vars.get("dss_project_key")
    gate_vars = _vars(hostvars, gate_host)
    result = gate_vars.get("bundle_deploy_result") or gate_vars.get("deployer_deploy_result")
    if result:
        return _certified_result(result, bundle_id)
    read = gate_vars.get("promote_node")
    if isinstance(read, dict) and isinstance(read.get("projects"), dict):
        return bundle_converged(read["projects"].get(key), bundle_id)
    for item in (host_vars.get("promote_gate_nodes") or {}).get("results") or []:
        if gate_host in (item.get("promote_gate_item") or {}).get("gate_hosts", []):
            return bundle_converged((item.get("projects") or {}).get(key), bundle_id)
    return False


def _gate_refusal(hostvars, host_vars, bundle_id):
    gate_env = host_vars.get("dss_gate_env")
    for gate_host in host_vars.get("dss_gate_hosts") or []:
        if not _gate_certified(hostvars, host_vars, gate_host, bundle_id):
            node = gate_host[len(gate_env) + 1:-len(host_vars.get("dss_project_key")) - 1]
            return ("%s: bundle %s is not promoted past %s because node %s has no passing test record of it (a bundle "
                    "reaches %s only after its tests passed on every node of %s)."
                    % (host_vars.get("dss_project_key"), bundle_id, gate_env, node, host_vars.get("dss_env"),
                       gate_env))
    return None


def _phase_refusal(hostvars, host_vars, play_hosts, alive):
    phase = host_vars.get("dss_rollout_phase") or 0
    rollout = host_vars.get("dss_rollout") or {}
    allowed = rollout.get("max_fail_percentage") or 0
    env = host_vars.get("dss_env")
    for earlier in range(phase):
        deployed = [h for h in play_hosts if _vars(hostvars, h).get("dss_env") == env
                    and _vars(hostvars, h).get("dss_rollout_phase") == earlier and _pending(hostvars, h)]
        failed = [h for h in deployed if h not in alive]
        if deployed and 100.0 * len(failed) / len(deployed) > allowed:
            where = ("the canary node %s" % rollout["canary"]) if earlier == 0 and rollout.get("canary") \
                else "batch %d of its nodes" % earlier
            return ("%s: held back on %s node %s: the rollout of %s stopped after %s, where %d of %d deployment(s) "
                    "failed or were held back (%s), more than max_fail_percentage %s."
                    % (host_vars.get("dss_project_key"), env, host_vars.get("dss_node"), env, where, len(failed),
                       len(deployed), ", ".join(failed), allowed))
    return None


def _upstream_refusal(hostvars, host_vars, alive):
    for upstream in host_vars.get("dss_upstream_hosts") or []:
        if _pending(hostvars, upstream) and upstream not in alive:
            node = " node %s" % host_vars["dss_node"] if host_vars.get("dss_node") else ""
            return ("%s: held back on %s%s: it depends on %s, whose deployment failed or was held back there in this "
                    "run (%s); an upstream project's bundle is activated before its dependents'."
                    % (host_vars.get("dss_project_key"), host_vars.get("dss_env"), node,
                       _vars(hostvars, upstream).get("dss_project_key"), upstream))
    return None


def rollout_hold(hostvars, gate, play_hosts, alive):
    """Null when the host may deploy now, else why it is held back: ``gate`` is the host's promotion_gate input
    (``host``, ``bundle_id``), ``play_hosts`` the deploy play's hosts, ``alive`` those that have not failed."""
    gate = gate if isinstance(gate, dict) else {}
    host_vars = _vars(hostvars, gate.get("host"))
    alive = set(alive or [])
    held = ((host_vars.get("promote_plan") or {}).get("held") or {}).get(host_vars.get("dss_project_key"))
    return held or _gate_refusal(hostvars, host_vars, gate.get("bundle_id")) or \
        _phase_refusal(hostvars, host_vars, play_hosts or [], alive) or \
        _upstream_refusal(hostvars, host_vars, alive)


class FilterModule:
    def filters(self):
        return {"rollout_hold": rollout_hold}
