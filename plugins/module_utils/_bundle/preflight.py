# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight gate of both deploy routes (dataiku_bundle_deploy, dataiku_deployment): every condition that decides
whether a bundle may go to an environment, evaluated at once before the first write, in check mode as in a real run.

Four gates, each giving one entry ``{gate, status, reason}`` whose status is ``pass``, ``warn``, ``block`` or ``skip``
(not required here, or not applicable on this route):

- ``project_standards``: the bundle's Project Standards report against the environment's policy (``ignore``,
  ``warn``, ``prevent`` and a minimum severity) and, on the Project Deployer route, against the infrastructure's own
  policy too (what DSS applies in the update, predicted here);
- ``govern``: Govern's status of the bundle for the deployment (Project Deployer route; the direct route deploys
  without an infrastructure, so Govern is not asked there: ``skip``);
- ``tested_on``: a passing test record of the bundle on the previous environment (this run's result there when the
  caller has it, else that node's per-bundle test record);
- ``release_notes``: the bundle has release notes when the environment requires them.

A ``block`` entry holds the bundle back: the task fails before any write with every reason in one message. ``warn``
entries let it through with a warning. The decision (``block`` > ``warn`` > ``pass``) and the entries are in the
result (``gates``) and in the diff, so a plan shows them.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import testing_status as record
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line

POLICIES = ("ignore", "warn", "prevent")
SEVERITIES = ("LOWEST", "LOW", "MEDIUM", "HIGH", "CRITICAL")  # DSS severities 1 to 5
GATE_NAMES = ("project_standards", "govern", "tested_on", "release_notes")
RANK = {"skip": 0, "pass": 1, "warn": 2, "block": 3}
# The infrastructure's policy as DSS names it in the infra's raw settings (not a named client method: see the docs).
INFRA_POLICY_FIELD = "projectStandardsCheckPolicy"
INFRA_MIN_SEVERITY_FIELD = "projectStandardsMinSeverity"
INFRA_POLICIES = {"NO_CHECK": "ignore", "WARN": "warn", "PREVENT": "prevent"}
REASON_LIMIT = 400
# The project-local variable (automation node) holding the decision of the last deployment that went through.
DECISION_VARIABLE = "dataiku_gitops_gates"


def gates_argument_spec():
    return dict(type="dict", options=dict(
        project_standards=dict(type="str", choices=list(POLICIES), default="ignore"),
        min_severity=dict(type="str", choices=list(SEVERITIES), default="LOWEST"),
        release_notes=dict(type="str", choices=list(POLICIES), default="ignore"),
        tested_on=dict(type="dict", options=dict(
            env=dict(type="str", required=True),
            url=dict(type="str"),
            api_key=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            result=dict(type="dict"),
        )),
    ))


def gates_errors(gates):
    """What is wrong with the ``gates`` option before any request (a list of sentences)."""
    tested_on = (gates or {}).get("tested_on")
    if not tested_on or tested_on.get("result") is not None:
        return []
    if not tested_on.get("url") or not tested_on.get("api_key"):
        return ["gates.tested_on needs url and api_key (the node of environment %s, whose test record of the bundle "
                "is read) unless result (this run's deployment result there) is given." % tested_on.get("env")]
    return []


def entry(gate, status, reason):
    return {"gate": gate, "status": status, "reason": cut_line(reason, REASON_LIMIT)}


def decision(entries):
    """``block``, ``warn`` or ``pass`` (``skip`` entries count as passing)."""
    worst = max((RANK[e["status"]] for e in entries), default=1)
    return "block" if worst == 3 else "warn" if worst == 2 else "pass"


def skipped(reason):
    """Every gate skipped (for instance nothing to deploy: the bundle is already active and certified)."""
    return [entry(name, "skip", reason) for name in GATE_NAMES]


# -- the decisions (no request) -----------------------------------------------------------------------------------

def standards_entry(summary, policies, pending=False):
    """The project_standards entry from a report summary (project_standards.summarize with min_severity 1) and the
    policies that apply, ``[(origin, policy, min_severity 1-5)]`` (the environment's, the infrastructure's);
    ``pending``: the bundle is not exported (published) yet, so there is no report to read in this plan."""
    active = [(origin, policy, severity) for origin, policy, severity in policies if policy != "ignore"]
    if not active:
        return entry("project_standards", "skip", "not required here (policy ignore)")
    if summary is None or pending:
        return entry("project_standards", "warn", "the bundle is not exported yet: its report is read when it is")
    if summary["status"] == "NOT_EVALUATED":  # no check applies to the project: DSS's deployer lets it through too
        return entry("project_standards", "pass", "%s (no check applies)" % summary["message"])
    if not summary["evaluated"]:
        return entry("project_standards", "warn", "%s; the bundle is let through unchecked" % summary["message"])
    worst, reasons = "pass", []
    for origin, policy, severity in active:
        failing = [c for c in summary["failures"] + summary["warnings"]
                   if c["severity"] is not None and c["severity"] >= severity]
        if not failing:
            reasons.append("%s (policy %s, %s or more): no failing check" % (origin, policy, SEVERITIES[severity - 1]))
            continue
        status = "block" if policy == "prevent" else "warn"
        worst = status if RANK[status] > RANK[worst] else worst
        reasons.append("%s (policy %s, %s or more): failing %s" % (
            origin, policy, SEVERITIES[severity - 1],
            ", ".join("%s (%s)" % (c["name"], c["severity_name"]) for c in failing)))
    return entry("project_standards", worst, "; ".join(reasons))


def govern_entry(gov, deployment_id, bundle_id, ignore_warnings, waited=""):
    """The govern entry from ``_deployer.reads.governance``."""
    if gov["blocked"]:
        return entry("govern", "block", "Govern refuses bundle %s for deployment %s%s: %s"
                     % (bundle_id, deployment_id, waited, gov["summary"]))
    if gov["warning"]:
        if ignore_warnings:
            return entry("govern", "warn", "Govern warns about bundle %s for deployment %s (let through by "
                                           "ignore_warnings): %s" % (bundle_id, deployment_id, gov["summary"]))
        return entry("govern", "block", "Govern warns about bundle %s for deployment %s: %s. Set "
                                        "ignore_warnings=true to deploy it anyway"
                     % (bundle_id, deployment_id, gov["summary"]))
    return entry("govern", "pass", gov["summary"])


def new_deployment_govern_entry(deployment_id, bundle_id, infra_id, policy, ignore_warnings):
    """The govern entry of a deployment not created yet. DSS reports Govern's status only for an existing deployment,
    so the creation request is the check (refused whole), which no read, and so no plan, can foresee; ``policy``, the
    infrastructure's governCheckPolicy, tells whether Govern can refuse it at all."""
    where = "infrastructure %s, governCheckPolicy %s" % (infra_id, policy or "not set")
    if policy == "NO_CHECK" or (policy == "WARN" and ignore_warnings):
        return entry("govern", "skip", "Govern cannot refuse the creation of deployment %s (%s%s)" % (
            deployment_id, where, ", ignore_warnings" if policy == "WARN" else ""))
    return entry("govern", "skip", "DSS asks Govern when it creates deployment %s (%s): unless Govern approved bundle "
                                   "%s, the creation is refused and nothing is created"
                 % (deployment_id, where, bundle_id))


def direct_govern_entry():
    return entry("govern", "skip", "the direct route deploys without a Project Deployer infrastructure: Govern is "
                                   "not asked (use the Project Deployer route where Govern must decide)")


def in_run_certified(result, bundle_id):
    """(certified, why not) from this run's deployment result of the project on the previous environment."""
    if result.get("error") or result.get("failed"):
        return False, "it failed there"
    if result.get("bundle_id", bundle_id) != bundle_id or result.get("active_bundle_id") != bundle_id:
        return False, "%s is active there, not %s" % (result.get("active_bundle_id") or "no bundle", bundle_id)
    if result.get("certified") is not True:
        return False, "%s is active there without a passing test record" % bundle_id
    return True, None


def tested_entry(env, bundle_id, certified, why):
    if certified:
        return entry("tested_on", "pass", "passing test record on %s" % env)
    return entry("tested_on", "block", "bundle %s is not promoted past %s because %s (a bundle reaches this "
                                       "environment only after its tests passed on %s)" % (bundle_id, env, why, env))


def notes_entry(policy, notes):
    """The release_notes entry: ``notes`` is the bundle's release notes, None when they cannot be read yet."""
    if policy == "ignore":
        return entry("release_notes", "skip", "not required here (policy ignore)")
    if notes is None:
        return entry("release_notes", "warn", "the bundle is not exported yet: its release notes are checked when "
                                              "it is")
    if str(notes).strip():
        return entry("release_notes", "pass", "release notes: %s" % cut_line(str(notes), 80))
    return entry("release_notes", "block" if policy == "prevent" else "warn", "the bundle has no release notes "
                 "(this environment requires them, policy %s)" % policy)


def release_notes(published, bundle_id):
    """The release notes of ``bundle_id`` in a published project's status (its ``packages``), None when it is not
    there (not published yet)."""
    for package in (published or {}).get("packages") or []:
        if package.get("id") == bundle_id:
            manifest = package.get("exportManifest") if isinstance(package.get("exportManifest"), dict) else {}
            info = manifest.get("exportUserInfo") if isinstance(manifest.get("exportUserInfo"), dict) else {}
            return info.get("releaseNotes") or ""
    return None


# -- reads --------------------------------------------------------------------------------------------------------

def previous_record(module, tested_on, project_key, bundle_id, warning_is_failure):
    """(certified, why not) on the previous environment: this run's result there when given, else its node's test
    record of the bundle (2 requests)."""
    if tested_on.get("result") is not None:
        return in_run_certified(tested_on["result"], bundle_id)
    url = module._checked_url(tested_on["url"], "gates.tested_on.url")  # pylint: disable=protected-access
    client = module.make_client(url, tested_on["api_key"], tested_on["validate_certs"], tested_on["ca_path"],
                                option="gates.tested_on.url")
    if module.find_project(project_key, client=client, url=url) is None:
        return False, "project %s does not exist there" % project_key
    with module.dss_errors("read the testing status of bundle %s of project %s" % (bundle_id, project_key), url=url):
        raw = record.testing_status(client, project_key, bundle_id)
    problem = record.problem(raw, bundle_id, warning_is_failure)
    return problem is None, problem


def infra_policy(raw_infra):
    """(policy, min severity 1-5) of an infrastructure's raw settings; ignore when it has none."""
    raw_infra = raw_infra if isinstance(raw_infra, dict) else {}
    policy = INFRA_POLICIES.get(raw_infra.get(INFRA_POLICY_FIELD) or "NO_CHECK", "ignore")
    severity = raw_infra.get(INFRA_MIN_SEVERITY_FIELD)
    severity = severity if isinstance(severity, int) and not isinstance(severity, bool) and 1 <= severity <= 5 else 1
    return policy, severity


class Preflight:
    """The gates of one (project, environment) deployment. The route gives what it read (the report summary, the
    release notes, Govern's status); ``evaluate`` adds the previous environment's record and decides."""

    def __init__(self, module, project_key, bundle_id, env_label):
        self.module = module
        self.gates = module.params.get("gates") or {}
        self.key = project_key
        self.bundle_id = bundle_id
        self.where = env_label

    @property
    def standards_policy(self):
        return self.gates.get("project_standards") or "ignore"

    @property
    def min_severity(self):
        return SEVERITIES.index(self.gates.get("min_severity") or "LOWEST") + 1

    def evaluate(self, standards_summary, notes, govern, infra=None):
        """The entries of every gate (``standards_summary`` None: the bundle cannot be read yet; ``govern``: an entry
        already made by the route)."""
        policies = [("environment", self.standards_policy, self.min_severity)]
        if infra is not None:
            policies.append(("infrastructure", infra[0], infra[1]))
        entries = [standards_entry(standards_summary, policies, pending=standards_summary is None), govern]
        tested_on = self.gates.get("tested_on")
        if tested_on:
            certified, why = previous_record(self.module, tested_on, self.key, self.bundle_id,
                                             self.module.params["warning_is_failure"])
            entries.append(tested_entry(tested_on["env"], self.bundle_id, certified, why))
        else:
            entries.append(entry("tested_on", "skip", "no previous environment required here"))
        entries.append(notes_entry(self.gates.get("release_notes") or "ignore", notes))
        return entries

    def enforce(self, entries, result):
        """Record the gates in ``result``; fail with every blocking reason at once, warn about the others."""
        result["gates"] = view(entries)
        blocking = [e for e in entries if e["status"] == "block"]
        if blocking:
            reasons = "; ".join("%s: %s" % (e["gate"], e["reason"]) for e in blocking)
            raise DssError(self.module.scrub("Preflight gates hold bundle %s of %s back from %s: %s. Nothing was "
                                             "changed." % (self.bundle_id, self.key, self.where, reasons)),
                           gates=result["gates"])
        for item in entries:
            if item["status"] == "warn":
                self.module.warn("Preflight gate %s warns about bundle %s of %s on %s: %s"
                                 % (item["gate"], self.bundle_id, self.key, self.where, item["reason"]))


def view(entries):
    """The ``gates`` result: the decision, the entries, and one line per gate (for the diff and the plan)."""
    return {"decision": decision(entries), "checks": entries,
            "lines": ["%s: %s - %s" % (e["gate"], e["status"], e["reason"]) for e in entries]}


def recorded_decision(bundle_id, gates):
    """The local variables recording the gates' decision about ``bundle_id`` (written with the deployment lock);
    none when the gates were not evaluated."""
    if not gates or all(c["status"] == "skip" for c in gates["checks"]):
        return {}
    warned = [c["gate"] for c in gates["checks"] if c["status"] == "warn"]
    return {DECISION_VARIABLE: {"bundle_id": bundle_id, "decision": gates["decision"], "warned": warned}}


def decision_of(variables):
    """The recorded decision ``{bundle_id, decision, warned}`` in a project's variables, or None."""
    local = (variables or {}).get("local") if isinstance(variables, dict) else None
    value = local.get(DECISION_VARIABLE) if isinstance(local, dict) else None
    if not isinstance(value, dict) or value.get("decision") not in ("pass", "warn", "block"):
        return None
    return {"bundle_id": value.get("bundle_id"), "decision": value["decision"], "warned": list(value.get("warned") or [])}
