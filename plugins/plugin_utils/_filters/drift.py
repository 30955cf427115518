# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the drift playbook: gather the per-host changes a check-mode run found into one report (machine
readable) and the lines a person reads."""

from __future__ import annotations

import json


def _differences(before, after, path=""):
    """(path, before, after) of every leaf that differs; dicts are walked, anything else is compared whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            sub = "%s.%s" % (path, key) if path else str(key)
            found += _differences(before.get(key), after.get(key), sub)
        return found
    if json.dumps(before, sort_keys=True, default=str) == json.dumps(after, sort_keys=True, default=str):
        return []
    return [(path or "(object)", before, after)]


def drift_report(hostvars, hosts, fact="dss_drift"):
    """``{"drift": bool, "count": n, "hosts": {host: [change, ...]}}`` from the ``fact`` (a name or a list of names)
    of each of ``hosts`` (a list of ``{kind, id, action, before, after}``), each change with its ``differences``
    (``[{path, declared, actual}]``: what DSS holds against what is declared)."""
    report = {}
    facts = [fact] if isinstance(fact, str) else list(fact)
    for host in hosts:
        host_vars = hostvars.get(host) or {}
        changes = [change for name in facts for change in (host_vars.get(name) or [])]
        if not changes:
            continue
        rows = []
        for change in changes:
            # The check run's "before" is what DSS holds, its "after" what is declared.
            differences = [dict(path=p, actual=b, declared=a)
                           for p, b, a in _differences(change.get("before") or {}, change.get("after") or {})]
            rows.append(dict(change, differences=differences))
        report[host] = rows
    count = sum(len(rows) for rows in report.values())
    return dict(drift=count > 0, count=count, hosts=report)


def drift_targets(hostvars, hosts):
    """``[{host, group}]``: the first host of each environment (``dss_env``) that declares
    ``dss_environment_objects`` (group ``dss_drift_environment``: the objects are the node's, checked once), and every
    host with a ``dss_project_file`` (group ``dss_drift_project``)."""
    targets, environments = [], set()
    for host in hosts or []:
        host_vars = hostvars[host]
        if "dss_environment_objects" in host_vars:
            env = host_vars.get("dss_env", host)
            if env not in environments:
                environments.add(env)
                targets.append({"host": host, "group": "dss_drift_environment"})
        if "dss_project_file" in host_vars:
            targets.append({"host": host, "group": "dss_drift_project"})
    return targets


def drift_lines(report):
    """One line per differing field: ``host: kind id (action) path: actual -> declared``."""
    lines = []
    for host in sorted(report.get("hosts") or {}):
        for change in report["hosts"][host]:
            head = "%s: %s %s" % (host, change.get("kind"), change.get("id"))
            missing = {"create": "missing (declared, not on the node)", "delete": "present (not declared)"}
            if change.get("action") in missing:
                lines.append("%s %s" % (head, missing[change["action"]]))
                continue
            for diff in change.get("differences") or [{"path": "(object)", "actual": "?", "declared": "?"}]:
                actual, declared = (json.dumps(diff[k], default=str) for k in ("actual", "declared"))
                lines.append("%s %s: %s -> %s" % (head, diff["path"], actual, declared))
    return lines or ["No drift: every declared object matches."]
