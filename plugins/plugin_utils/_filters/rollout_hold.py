# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter rollout_hold of plugins/filter/gitops.py (documented in plugins/filter/rollout_hold.yml)."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged


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
