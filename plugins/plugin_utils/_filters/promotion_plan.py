# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter promotion_plan of plugins/filter/gitops.py (documented in plugins/filter/promotion_plan.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.commit_check_settled import (
    commit_check_settled)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_of_commit


def _design_node(key, state, check, bundle_id, head):
    """(id or '', pending, line) of a project on the design node."""
    if check is not None and not commit_check_settled({key: state}, key, check):
        return "", True, "%s: check the commit of the design project, then export its bundle" % key
    settled = (state or {}).get("commit_check") or {}
    verified = settled.get("bundle_id") if settled.get("verified") else None
    bundle = bundle_id or verified or (bundle_id_of_commit(head) if head else "")
    if not bundle:
        return "", True, "%s: no bundle id (no dss_bundle_id, verified commit or checkout HEAD)" % key
    if bundle_converged(state, bundle, "design"):
        return bundle, False, "%s: %s already exported" % (key, bundle)
    return bundle, True, "%s: export %s" % (key, bundle)


def _design(hostvars, host_vars, key, design_plans):
    """(the bundle id of the project's design host in this run, the one it named and exported where missing, or
    ''): one read of the design host's variables. The design plan (fact bundle_export_plan) is the same on every
    host of the design play, which sets it once for all (run_once): read once for the hosts it lists
    (``design_plans``: [(hosts, ids)] read so far), not once per host, which costs a copy of every project's id."""
    design = host_vars.get("dss_design_host")
    if not design or design not in hostvars:
        return "", ""
    design_vars = hostvars[design]
    exported = design_vars.get("bundle_export_bundle_id") or ""
    if exported:
        return exported, exported
    ids = next((ids for hosts, ids in design_plans if design in hosts), None)
    if ids is None:
        plan = design_vars.get("bundle_export_plan") or {}
        ids = dict(plan.get("ids") or {})
        design_plans.append((frozenset(plan.get("hosts") or ()), ids))
    return ids.get(key) or "", exported


def _automation(key, state, route, bundle):
    """(pending, line) of a project on an automation node."""
    active = (state or {}).get("active_bundle_id") or "none"
    if not bundle:
        return True, "%s: no bundle to deploy (see the design node's result)" % key
    if route != "direct":
        return True, "%s: deploy %s through the %s route (active: %s)" % (key, bundle, route, active)
    if bundle_converged(state, bundle):
        return False, "%s: %s active with a passing test record" % (key, bundle)
    if active == bundle:
        return True, "%s: test %s again (active without a passing test record)" % (key, bundle)
    return True, "%s: deploy and test %s (active: %s)" % (key, bundle, active)


def promotion_plan(hostvars, hosts, node):
    """The plan of ``hosts`` on one node: ``node`` is {type, projects, bundle_id, checks, head} (see the docs)."""
    node = node if isinstance(node, dict) else {}
    return _plan(hostvars, hosts, node.get("projects"), node.get("type"), node.get("bundle_id") or "",
                 node.get("checks"), node.get("head") or "", node.get("project_keys") or {})


def _plan(hostvars, hosts, projects, node_type, bundle_id, checks, head, keys):
    if node_type not in ("design", "automation"):
        raise AnsibleFilterError("promotion_plan: node.type must be design or automation, got %r" % (node_type,))
    projects, checks = projects or {}, checks or {}
    plan = {"pending": [], "converged": [], "ids": {}, "bundle_id": "", "lines": [], "pending_ids": {},
            "exported_in_run": {}, "hosts": list(hosts or [])}
    design_plans = []
    for host in hosts or []:
        # The design plan needs no other variable of the host than its project key: read without hostvars when given.
        host_vars = hostvars[host] if node_type == "automation" or host not in keys else {}
        key = keys.get(host) or host_vars.get("dss_project_key")
        if not key:
            raise AnsibleFilterError("promotion_plan: host %s has no dss_project_key (one host per project, as the "
                                     "inventory plugin dataiku_gitops.dss.fleet makes them)" % host)
        state = projects.get(key)
        if node_type == "design":
            bundle, pending, line = _design_node(key, state, checks.get(key), bundle_id, head or "")
        else:
            design_id, exported = _design(hostvars, host_vars, key, design_plans)
            bundle = bundle_id or design_id
            pending, line = _automation(key, state, host_vars.get("dss_route") or "direct", bundle)
            plan["exported_in_run"][key] = bool(bundle) and exported == bundle
            if pending and bundle:
                plan["pending_ids"][key] = bundle
        plan["ids"][key] = bundle
        plan["bundle_id"] = plan["bundle_id"] or bundle
        plan["pending" if pending else "converged"].append(host if pending else key)
        plan["lines"].append(line)
    return plan
