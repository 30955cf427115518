# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of saved promotion plans (documented in plugins/filter/saved_plan*.yml): the plan of a check-mode run, the
plan file checked against the run that applies it, what moved since, and the Markdown summary."""

from __future__ import annotations

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
