# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: promotion_gate
short_description: Whether a project may receive a bundle, from its test record on the previous environment
version_added: 0.1.0
description:
  - A bundle reaches an environment (prod) only after it passed its tests for the same project on the gate
    environment (staging). The evidence is this run's C(bundle_deploy_result) of the gate host when the gate
    environment ran in the same run, else the bulk read of the gate node (C(target_certified), or the active bundle's
    C(certified)).
  - With C(all_or_nothing) in O(gate), a project also waits for every project of the gate environment that took
    part in this run to be certified.
  - Returns null when the project may go on, else one line saying why not.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, gate
options:
  _input:
    description: C(bundle_deploy_result) facts of the gate environment's hosts in this run (may be empty).
    type: list
    elements: dict
    required: true
  gate:
    description:
      - What to check, as a dict - C(project_key) and C(bundle_id) (the project and the bundle to promote), C(env)
        (the name of the gate environment, for the message), C(read) (C(projects) of a
        M(dataiku_gitops.dss.dataiku_bundle_state_info) read of the gate node, used for projects without a result in
        this run), C(expected) (the projects of the gate environment that took part in this run) and
        C(all_or_nothing) (hold every project back when one project of the gate environment is not certified).
      - Without C(bundle_id), says that there is nothing to deploy on C(host) (with C(design_host), the design host
        of the project in this run, that failed to name one); without C(env), no gate applies.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check that staging certified the bundle first
  ansible.builtin.assert:
    that: gate_error is none
    fail_msg: "{{ gate_error }}"
  vars:
    gate_error: "{{ gate_results | dataiku_gitops.dss.promotion_gate({'project_key': dss_project_key, 'bundle_id': bundle_id, 'env': 'staging'}) }}"
"""

RETURN = r"""
_value:
  description: Null when the project may receive the bundle, else the reason.
  type: str
"""


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


class FilterModule:
    def filters(self):
        return {"promotion_gate": promotion_gate}
