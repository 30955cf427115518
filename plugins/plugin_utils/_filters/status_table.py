# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters status_environments, status_table of plugins/filter/gitops.py (documented in
plugins/filter/status_environments.yml, status_table.yml)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

HEADER = ("PROJECT", "ENVIRONMENT", "BUNDLE", "DATE", "COMMIT")
FULL_SHA_RE = re.compile(r"^([0-9a-f]{12})[0-9a-f]{28}\b")


def _bundle(state, bundle_id):
    return next((b for b in state.get("bundles") or [] if b.get("bundle_id") == bundle_id), {})


def _gates(row):
    """The GATES cell: the decision recorded with the deployment of the active bundle, else -."""
    state = row.get("state") or {}
    record = state.get("gates")
    if not isinstance(record, dict) or not record.get("decision") or record.get("bundle_id") != state.get(
            "active_bundle_id"):
        return "-"
    warned = record.get("warned") or []
    return record["decision"] + (" (%s)" % ", ".join(warned) if warned else "")


def _cells(row):
    state = row.get("state") or {}
    if state.get("unread"):
        return "node not read", "-", "-"
    design = row.get("node_type") == "design"
    exists = state.get("exists", state.get("project_exists"))
    if not exists:
        return "not deployed", "-", "-"
    bundle_id = (state.get("bundle_ids") or [""])[-1] if design else state.get("active_bundle_id")
    if not bundle_id:
        return "none", "-", "-"
    bundle = _bundle(state, bundle_id)
    label = bundle_id + (" (latest export)" if design else "")
    if not design and state.get("certified") is False:
        label += " (untested)"
    date = str(bundle.get("exported_on" if design else "imported_on") or "")[:19].replace("T", " ") or "-"
    notes = str(bundle.get("release_notes") or "").splitlines()
    commit = FULL_SHA_RE.sub(r"\1", notes[0]) if notes and notes[0] else "-"
    if len(commit) > 60:
        commit = commit[:57] + "..."
    return label, date, commit


def _expand(read):
    """Rows of one bulk read {env or item, node_type, projects}; a failed read of an item {env, project_keys} gives
    its projects as not read."""
    item = read.get("item")
    env = read.get("env", item.get("env") if isinstance(item, dict) else item)
    if "projects" not in read and isinstance(item, dict):
        return [{"project": key, "env": env, "state": {"unread": True}} for key in item.get("project_keys") or []]
    node_type = str(read.get("node_type") or "").lower()
    return [{"project": key, "env": env, "node_type": node_type, "state": state}
            for key, state in sorted((read.get("projects") or {}).items())]


def status_environments(hostvars, hosts):
    """[{env, hosts, project_keys}] of the project hosts ``hosts``, one entry per environment (dss_env), in the
    order the environments first appear."""
    envs = {}
    for host in hosts or []:
        host_vars = hostvars[host]
        entry = envs.setdefault(host_vars.get("dss_env"), {"env": host_vars.get("dss_env"), "hosts": [],
                                                           "project_keys": []})
        entry["hosts"].append(host)
        entry["project_keys"].append(host_vars.get("dss_project_key"))
    return list(envs.values())


def status_table(rows, environments=("dev", "staging", "prod")):
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise AnsibleFilterError("status_table expects a list of rows {project, env, node_type, state} or of reads "
                                 "{env, node_type, projects}")
    rows = [expanded for row in rows for expanded in (_expand(row) if "projects" in row or "item" in row else [row])]
    order = list(environments)

    def rank(row):
        env = row.get("env") or ""
        return (str(row.get("project")), order.index(env) if env in order else len(order), env)

    lines = [HEADER] + [(str(row.get("project")), str(row.get("env"))) + _cells(row) for row in sorted(rows, key=rank)]
    if any(isinstance((row.get("state") or {}).get("gates"), dict) for row in rows):
        # The gates' decision of each deployment, once some deployment recorded one.
        gates = [_gates(row) for row in sorted(rows, key=rank)]
        lines = [lines[0] + ("GATES",)] + [line + (cell,) for line, cell in zip(lines[1:], gates)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
