# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saved plans of playbooks/promote.yml: what a check-mode run planned per environment and project, with the state
of each project it was computed from (the bulk reads the promotion already does) as a digest, and the comparison
that lets a later run apply the plan only while every node still holds that state.

Plain data in, plain data out; errors raise PlanError with a message for the user (the filters turn it into an
AnsibleFilterError)."""

from __future__ import annotations

import hashlib
import json
import os

FORMAT = "dataiku_gitops.dss/promotion-plan"
VERSION = 1
# Names of the state fields, as a message says what moved.
FIELD_NAMES = {"exists": "project exists", "active_bundle": "active bundle", "bundles": "bundle list",
               "test_record": "test record"}


class PlanError(Exception):
    """A saved plan that cannot be written, read or applied; the message says why and what to do."""


def digest(value):
    """sha256 of the canonical JSON of ``value``, as ``sha256:<hex>``."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_state(read, node_type):
    """The part of a project's bulk read (an entry of dataiku_bundle_state_info's ``projects``) a plan depends on.
    The deployment lock is left out: it is held only while a run works, and the deploy modules take it anyway."""
    read = read or {}
    date = "exported_on" if node_type == "design" else "imported_on"
    state = {"exists": bool(read.get("exists")),
             "bundles": [[b.get("bundle_id"), b.get(date)] for b in read.get("bundles") or []]}
    if node_type != "design":
        active = read.get("active_bundle_id")
        state["active_bundle"] = active
        state["test_record"] = "none" if not active else ("passing" if read.get("certified") else "not passing")
    return state


def _line_of(lines, key):
    prefix = "%s: " % key
    return next((line for line in lines or [] if line.startswith(prefix)), "")


def _host_entry(host_vars):
    """(env, key, entry, node) of one project host whose planning play ran, or None when it did not."""
    node_type = host_vars.get("dss_node_type")
    read_fact, plan_fact = (("bundle_export_node_read", "bundle_export_plan") if node_type == "design"
                            else ("promote_node", "promote_plan"))
    read, plan = host_vars.get(read_fact), host_vars.get(plan_fact)
    key = host_vars.get("dss_project_key")
    if not isinstance(read, dict) or not isinstance(plan, dict) or key not in (read.get("projects") or {}):
        return None
    state = project_state(read["projects"][key], node_type)
    entry = {"bundle_id": (plan.get("ids") or {}).get(key) or "",
             "work": key not in (plan.get("converged") or []),
             "step": _line_of(plan.get("lines"), key),
             "state": state, "digest": digest(state),
             # Per-project decisions other parts of the run add to the plan (for example a preflight gate's), by
             # name; the comparison ignores them, the Markdown summary lists them.
             "decisions": {}}
    if node_type != "design":
        entry["route"] = host_vars.get("dss_route") or "direct"
    node = {"node_type": node_type, "url": host_vars.get("dss_url") or ""}
    return host_vars.get("dss_env"), key, entry, node


def build(hostvars, hosts, failed=(), given_bundle_id="", created=""):
    """The plan of a check-mode run from the facts its planning plays left on ``hosts`` (the project hosts of the
    run). ``failed``: hosts that failed in the run; a plan with a failure is not saved."""
    if failed:
        raise PlanError("The plan is not saved: the check-mode run failed on %s. Fix that and plan again."
                        % ", ".join(sorted(failed)))
    environments = {}
    for host in hosts or []:
        found = _host_entry(hostvars[host])
        if found is None:
            raise PlanError("The plan is not saved: %s was not planned in this run (its environment's planning play "
                            "did not run for it)." % host)
        env, key, entry, node = found
        environments.setdefault(env, dict(node, projects={}))["projects"][key] = entry
    if not environments:
        raise PlanError("The plan is not saved: this run has no project host (dss_design / dss_automation).")
    ids = sorted({e["bundle_id"] for env in environments.values() for e in env["projects"].values()} - {""})
    plan = {"format": FORMAT, "version": VERSION, "created": created, "bundle_id": given_bundle_id or
            (ids[0] if len(ids) == 1 else ""), "bundle_ids": ids, "environments": environments}
    plan["plan_id"] = plan_id(plan)
    return plan


def plan_id(plan):
    """The digest that names a plan: its bundles and environments (not when it was made)."""
    return digest({k: plan.get(k) for k in ("bundle_id", "bundle_ids", "environments")})


def load(path, text):
    """The plan in ``text`` (read from ``path``, named in messages), checked to be a plan of this format."""
    try:
        plan = json.loads(text)
    except ValueError as exc:
        raise PlanError("%s is not a saved plan: not JSON (%s)." % (path, exc)) from None
    if not isinstance(plan, dict) or plan.get("format") != FORMAT:
        raise PlanError("%s is not a saved plan of dataiku_gitops.dss (no \"format\": \"%s\"). Make one with "
                        "playbooks/promote.yml --check -e dss_plan_out=FILE." % (path, FORMAT))
    if plan.get("version") != VERSION:
        raise PlanError("%s is a plan of format version %r; this version of dataiku_gitops.dss applies version %d "
                        "only. Plans are not converted: plan again with this version." % (path, plan.get("version"),
                                                                                          VERSION))
    environments = plan.get("environments")
    if not isinstance(environments, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("projects"), dict) for e in environments.values()):
        raise PlanError("%s is not a complete saved plan (environments.<env>.projects missing)." % path)
    if plan.get("plan_id") != plan_id(plan):
        raise PlanError("%s was edited after it was saved (its plan_id does not match its content): apply only "
                        "plans as promote.yml saved them." % path)
    return plan


def read_file(path):
    """The plan saved at ``path`` (absolute: the playbook anchors a relative one in the command's directory)."""
    if not os.path.isfile(path):
        raise PlanError("No saved plan at %s (dss_plan; a relative path is relative to the directory "
                        "ansible-playbook runs in)." % path)
    with open(path, encoding="utf-8") as handle:
        return load(path, handle.read())


def _pairs(hostvars, hosts):
    return {(hostvars[h].get("dss_env"), hostvars[h].get("dss_project_key")): h for h in hosts or []}


def _input_errors(plan, hostvars, run, given_bundle_id):
    # A run may apply some environments of the plan (the staging job, then the prod job after approval), but all
    # the planned projects of each environment it covers.
    envs = {env for env, _key in run}
    planned = {(env, key) for env, node in plan["environments"].items() if env in envs for key in node["projects"]}
    errors = []
    new = sorted("%s/%s" % p for p in set(run) - planned)
    gone = sorted("%s/%s" % p for p in planned - set(run))
    if new:
        errors.append("the plan has no entry for %s (it was made for other projects or environments)"
                      % ", ".join(new))
    if gone:
        errors.append("the plan covers %s, which this run does not (give the --limit the plan was made with)"
                      % ", ".join(gone))
    for (env, key), host in sorted(run.items()):
        node = plan["environments"].get(env)
        if node is None or key not in node["projects"]:
            continue
        url = hostvars[host].get("dss_url") or ""
        if node.get("url") != url:
            errors.append("%s is planned for the node %s, but this run's is %s" % (env, node.get("url"), url))
        route = node["projects"][key].get("route")
        if route and route != (hostvars[host].get("dss_route") or "direct"):
            errors.append("%s/%s is planned for the %s route, but the inventory now says %s"
                          % (env, key, route, hostvars[host].get("dss_route")))
    if len(plan.get("bundle_ids") or []) > 1:
        errors.append("the plan names several bundles (%s); a saved plan applies one bundle per run: plan again "
                      "with -e dss_bundle_id" % ", ".join(plan["bundle_ids"]))
    if given_bundle_id and plan.get("bundle_id") and given_bundle_id != plan["bundle_id"]:
        errors.append("dss_bundle_id is %s but the plan deploys %s (leave dss_bundle_id out: the plan gives it)"
                      % (given_bundle_id, plan["bundle_id"]))
    return sorted(set(errors), key=errors.index)


def prepare(plan, hostvars, hosts, given_bundle_id="", path="the plan"):
    """Check that this run (its project ``hosts``, inventory and dss_bundle_id) is the one ``plan`` was made for,
    and say what to read: ``{"bundle_id", "plan_id", "reads": [{env, host, project_keys, warning_is_failure}]}``,
    one read per environment (``host``: the environment's first project host, whose node settings to use)."""
    run = _pairs(hostvars, hosts)
    errors = _input_errors(plan, hostvars, run, given_bundle_id)
    if errors:
        raise PlanError("%s does not fit this run; nothing was written: %s." % (path, "; ".join(errors)))
    reads = {}
    for (env, key), host in run.items():
        tests = hostvars[host].get("dss_tests") or {}
        read = reads.setdefault(env, {"env": env, "host": host, "project_keys": [],
                                      "warning_is_failure": bool(tests.get("warning_is_failure"))})
        read["project_keys"].append(key)
    return {"bundle_id": plan.get("bundle_id") or "", "plan_id": plan["plan_id"], "path": path,
            "reads": [reads[env] for env in sorted(reads)], "environments": plan["environments"]}


def _at_target(entry, state, node_type):
    """Whether a project the plan had work for already holds what the plan deploys (a plan applied before, or a
    run interrupted after it): applying the plan again then changes nothing there."""
    bundle = entry.get("bundle_id")
    if not entry.get("work") or not bundle or not state["exists"]:
        return False
    ids = [b[0] for b in state["bundles"]]
    if node_type == "design":
        return bundle in ids
    return state.get("active_bundle") == bundle and state.get("test_record") == "passing"


def _show(field, value):
    if field == "bundles":
        return "[%s]" % ", ".join(str(b[0]) for b in value or [])
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _what_moved(planned, now):
    changes = []
    for field in ("exists", "active_bundle", "bundles", "test_record"):
        if field not in planned and field not in now or planned.get(field) == now.get(field):
            continue
        before, after = _show(field, planned.get(field)), _show(field, now.get(field))
        if before == after:  # same bundle ids, other dates: a bundle imported or exported again
            after += " (imported or exported again)"
        changes.append("%s %s -> %s" % (FIELD_NAMES[field], before, after))
    return changes


def moved(prepared, results):
    """What moved since the plan, one string per project (``<env>/<KEY>: what was -> what is``), from ``results``
    (the loop results of one bulk read per entry of ``prepared["reads"]``, each with its ``item`` and
    ``projects``). Empty when every node still holds the state the plan was made from."""
    lines = []
    for result in results or []:
        env = (result.get("item") or {}).get("env")
        node = prepared["environments"].get(env) or {}
        projects = result.get("projects") or {}
        for key, entry in sorted((node.get("projects") or {}).items()):
            state = project_state(projects.get(key), node.get("node_type"))
            if digest(state) == entry.get("digest") or _at_target(entry, state, node.get("node_type")):
                continue
            what = _what_moved(entry.get("state") or {}, state) or ["state digest %s -> %s"
                                                                    % (entry.get("digest"), digest(state))]
            lines.append("%s/%s: %s" % (env, key, ", ".join(what)))
    return lines


def refusal(prepared, lines):
    """The message that stops an apply whose nodes moved, or None."""
    if not lines:
        return None
    return ("The nodes no longer hold the state the plan %s was made from; nothing was written. What moved: %s. "
            "Plan again (--check -e dss_plan_out=FILE) and review the new plan."
            % (prepared.get("path"), "; ".join(lines)))


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _now(entry, node_type):
    state = entry.get("state") or {}
    if not state.get("exists"):
        return "no project"
    if node_type == "design":
        return "exported: %s" % (", ".join("`%s`" % b[0] for b in state.get("bundles") or []) or "none")
    active = state.get("active_bundle")
    return "active: %s (test record: %s)" % ("`%s`" % active if active else "none", state.get("test_record"))


def markdown(plan):
    """The plan as Markdown, for a pull-request comment."""
    envs = plan.get("environments") or {}
    rows, todo, done = [], 0, 0
    for env, node in envs.items():
        for key, entry in sorted((node.get("projects") or {}).items()):
            todo, done = todo + bool(entry.get("work")), done + (not entry.get("work"))
            step = entry.get("step", "")
            step = step.split(": ", 1)[1] if step.startswith(key + ": ") else step
            decisions = "; ".join("%s: %s" % (k, v) for k, v in sorted((entry.get("decisions") or {}).items()))
            rows.append("| %s | %s | %s | %s | %s |" % (
                _cell(env), _cell(key), _cell(("**%s**" % step) if entry.get("work") else step),
                _cell(_now(entry, node.get("node_type"))), _cell(decisions or "")))
    bundle = plan.get("bundle_id") or ", ".join(plan.get("bundle_ids") or []) or "none"
    lines = ["### DSS promotion plan `%s`" % str(plan.get("plan_id", ""))[7:19],
             "",
             "Bundle `%s` · %d project(s) to change, %d already converged · environments: %s"
             % (bundle, todo, done, ", ".join(envs) or "none"),
             "",
             "| Environment | Project | Planned | Now | Decisions |",
             "|---|---|---|---|---|"] + rows
    lines += ["", "Applied after merge only while every node still holds the state above (plan id `%s`)."
              % plan.get("plan_id", "")]
    return "\n".join(lines) + "\n"
