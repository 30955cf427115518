# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight gates of every project an automation environment's planning play queued (playbooks/promote.yml),
decided once for the play from what the run already read - the design node's bulk read (each exported bundle's
Project Standards report and release notes), this run's exports, the environment's own bulk read (imported bundles),
the gate environment's results and reads - with the deploy modules' own functions (module_utils/_bundle/preflight.py),
so the plan shows per project which gates pass, warn or block and why, and the deploy module decides the same.

What the run did not read is ``deferred``: the deploy module decides it (the Project Deployer's infrastructure policy,
Govern and published bundle; a design node other than the run's; a bundle archive directory).
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.gate_options import gate_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.promotion_evidence import promotion_evidence
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import preflight
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards

DEFERRED = "deferred"
UNKNOWN = object()  # what the run did not read: the deploy module reads and decides it


def deferred(gate, why):
    return {"gate": gate, "status": DEFERRED, "reason": "decided by the deployment: %s" % why}


def _design_bundle(hostvars, host_vars, key, bundle_id):
    """(Project Standards summary, release notes) of ``bundle_id`` as the direct route's deploy module will read them
    from its source, the design node: None for a bundle not exported yet, UNKNOWN when this run did not read it."""
    if host_vars.get("dss_bundle_archive_dir"):
        what = "bundle %s of %s" % (bundle_id, key)
        return standards.not_available("the report of %s is kept on the design node: set source" % what), UNKNOWN
    design = hostvars[host_vars["dss_design_host"]] if host_vars.get("dss_design_host") in hostvars else {}
    read = design.get("bundle_export_node_read")
    if host_vars.get("dss_bundle_source") or not isinstance(read, dict) or not isinstance(read.get("projects"), dict):
        return UNKNOWN, UNKNOWN
    for row in design.get("bundle_export_results") or []:  # exported by this run (real run only)
        if row.get("project_key") == key and row.get("bundle_id") == bundle_id and row.get("release_notes") is not None:
            return row.get("project_standards"), row["release_notes"]
    state = read["projects"].get(key) or {}
    for entry in state.get("bundles") or []:
        if entry.get("bundle_id") == bundle_id:
            summary = entry.get("standards") or standards.not_evaluated("bundle %s of %s" % (bundle_id, key))
            return summary, entry.get("release_notes") or ""
    return None, None


def _imported_notes(state, bundle_id):
    for entry in (state or {}).get("bundles") or []:
        if entry.get("bundle_id") == bundle_id:
            return entry.get("release_notes") or ""
    return None


def _tested(gates, evidence, key, bundle_id):
    """The tested_on entry, from this run's result on the gate environment or its node's read."""
    tested_on = gates.get("tested_on")
    if not tested_on:
        return preflight.entry("tested_on", "skip", "no previous environment required here")
    if tested_on.get("result") is not None:
        return preflight.tested_entry(tested_on["env"], bundle_id, *preflight.in_run_certified(tested_on["result"],
                                                                                               bundle_id))
    read = (evidence.get("read") or {})
    if key not in read:
        return deferred("tested_on", "the test record on %s is read then" % tested_on["env"])
    state = read[key] or {}
    if not state.get("exists"):
        return preflight.tested_entry(tested_on["env"], bundle_id, False, "project %s does not exist there" % key)
    certified = state["target_certified"] is True if state.get("target_certified") is not None \
        else bundle_converged(state, bundle_id)
    return preflight.tested_entry(tested_on["env"], bundle_id, certified, "no passing test record of it there")


def host_gates(hostvars, host, key, bundle_id, state, evidence):
    """The entries of every gate for one queued project (``state``: its entry in the environment's bulk read)."""
    host_vars = hostvars[host]
    gates = gate_options(hostvars, host, evidence)
    policy = gates.get("project_standards") or "ignore"
    notes_policy = gates.get("release_notes") or "ignore"
    severity = preflight.SEVERITIES.index(gates.get("min_severity") or "LOWEST") + 1
    tested = _tested(gates, evidence, key, bundle_id)
    if (host_vars.get("dss_route") or "direct") != "direct":
        why = "the Project Deployer's published bundle, infrastructure policy and Govern"
        return [preflight.standards_entry({}, [("environment", "ignore", 1)]) if policy == "ignore"
                else deferred("project_standards", why), deferred("govern", why), tested,
                preflight.notes_entry("ignore", None) if notes_policy == "ignore" else deferred("release_notes", why)]
    summary, notes = _design_bundle(hostvars, host_vars, key, bundle_id)
    imported = _imported_notes(state, bundle_id)
    notes = imported if imported is not None else notes
    entries = [preflight.direct_govern_entry(), tested]
    if policy == "ignore" or summary is not UNKNOWN:
        entries.insert(0, preflight.standards_entry(summary if policy != "ignore" else {},
                                                    [("environment", policy, severity)],
                                                    pending=policy != "ignore" and summary is None))
    else:
        entries.insert(0, deferred("project_standards", "the design node is not read in this run"))
    entries.append(preflight.notes_entry(notes_policy, notes) if notes_policy == "ignore" or notes is not UNKNOWN
                   else deferred("release_notes", "the bundle's manifest is not read in this run"))
    return entries


def view(entries):
    """The plan's ``gates`` of one project: preflight's view of the decided entries, plus the deferred gates."""
    decided = [e for e in entries if e["status"] != DEFERRED]
    out = preflight.view(decided)
    out["deferred"] = [e["gate"] for e in entries if e["status"] == DEFERRED]
    out["lines"] = ["%s: %s - %s" % (e["gate"], e["status"], e["reason"]) for e in entries]
    return out


def plan_gates(plan, hostvars, hosts, groups):
    """``plan`` (a promotion_plan result of an automation node) with ``gates`` (project key -> view), ``held``
    (project key -> why dss_all_or_nothing holds it back) and the gates in its ``lines``."""
    plan = dict(plan)
    pending = set(plan.get("pending") or [])
    queued = [h for h in hosts or [] if h in pending]
    evidence = promotion_evidence(hostvars, groups, queued[0]) if queued else {}
    gates, keys = {}, {}
    for host in queued:
        key = hostvars[host].get("dss_project_key")
        bundle_id = (plan.get("ids") or {}).get(key)
        keys[host] = key
        if bundle_id:
            state = (hostvars[host].get("promote_node") or {}).get("projects", {}).get(key)
            gates[key] = view(host_gates(hostvars, host, key, bundle_id, state, evidence))
    blocked = sorted(k for k, g in gates.items() if g["decision"] == "block")
    held = {}
    if blocked:
        for host in queued:
            key = keys[host]
            if key not in blocked and boolean(hostvars[host].get("dss_all_or_nothing") or False, strict=False):
                env = hostvars[host].get("dss_env")
                held[key] = ("%s: held back by dss_all_or_nothing: the preflight gates block %s on %s (every project "
                             "of an environment waits for the others)." % (key, ", ".join(blocked), env))
    plan.update(gates=gates, held=held, lines=_lines(plan.get("lines") or [], hosts, hostvars, gates, held))
    return plan


def _lines(lines, hosts, hostvars, gates, held):
    """The plan's lines (one per host, in ``hosts`` order) with each queued project's gates under its line."""
    if not gates and not held:
        return list(lines)  # nothing to add: no host's variables to read (a converged fleet of 1,000 projects)
    out = []
    for index, line in enumerate(lines):
        out.append(line)
        key = hostvars[hosts[index]].get("dss_project_key") if index < len(hosts or []) else None
        decided = gates.get(key)
        if decided and (decided["deferred"] or any(c["status"] != "skip" for c in decided["checks"])):
            shown = [item for item in decided["lines"] if not item.split(" - ", 1)[0].endswith(": skip")]
            out.append("    gates %s: %s" % (decided["decision"], "; ".join(shown)))
        if key in held:
            out.append("    " + held[key])
    return out
