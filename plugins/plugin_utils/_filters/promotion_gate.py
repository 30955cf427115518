# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter promotion_gate of plugins/filter/gitops.py (documented in plugins/filter/promotion_gate.yml)."""

from __future__ import annotations


def _certified(result, bundle_id):
    return bool(result) and result.get("bundle_id", bundle_id) == bundle_id and \
        result.get("active_bundle_id") == bundle_id and result.get("certified") is True


def _read_certified(state, bundle_id):
    if not state or not state.get("exists"):
        return False
    if "target_certified" in state and state.get("target_certified") is not None:
        return state["target_certified"] is True
    return state.get("active_bundle_id") == bundle_id and state.get("certified") is True


def promotion_gate(results, gate):
    """Null when the project may receive the bundle, else why not: ``gate`` is {project_key, bundle_id, env, read,
    expected, all_or_nothing} (see the docs)."""
    gate = gate if isinstance(gate, dict) else {}
    if not gate.get("bundle_id"):
        return _nothing_to_deploy(gate.get("host"), gate.get("design_host"))
    if not gate.get("env"):
        return None
    return _refusal(results, gate.get("project_key"), gate.get("bundle_id"), gate.get("env"), gate.get("read"),
                    gate.get("expected"), bool(gate.get("all_or_nothing")))


def _nothing_to_deploy(host, design_host):
    if design_host:
        why = "the design host %s named no bundle (it failed on the design node, see above)" % design_host
    else:
        why = "run the design environment in the same run (-i inventories/dev) or pass -e dss_bundle_id=<id>"
    return "Nothing to deploy on %s: %s." % (host, why)


def _refusal(results, project_key, bundle_id, gate_env, read, expected, all_or_nothing):
    by_project = {r.get("project_key"): r for r in results or [] if isinstance(r, dict)}
    read = read or {}

    def certified(key):
        if key in by_project:
            return _certified(by_project[key], bundle_id)
        return _read_certified(read.get(key), bundle_id)

    if not certified(project_key):
        result = by_project.get(project_key)
        if result and result.get("error"):
            why = "it failed there"
        elif result:
            why = "%s is active there without a passing test record" % (result.get("active_bundle_id") or "no bundle")
        else:
            why = "no passing test record of it there"
        return ("%s: bundle %s is not promoted past %s because %s (a bundle reaches this environment only after "
                "its tests passed on %s)." % (project_key, bundle_id, gate_env, why, gate_env))
    if all_or_nothing:
        blocking = sorted(key for key in set(expected or []) | set(by_project) if not certified(key))
        if blocking:
            return ("%s: held back by dss_all_or_nothing: bundle %s is not certified on %s for %s."
                    % (project_key, bundle_id, gate_env, ", ".join(blocking)))
    return None
