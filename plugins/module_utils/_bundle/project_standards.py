# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project Standards reports (DSS 14) of a project or a bundle, read through dataikuapi and summarised.

A report maps each check id to ``{check: {id, name, ...}, result: {status, severity, message}}`` (dataikuapi's
``DSSProjectStandardsRunReport``): a check passes when it ran (``RUN_SUCCESS``) with severity 0; severities 1 to 5
are LOWEST, LOW, MEDIUM, HIGH and CRITICAL issues. The summary sorts the checks into passed, warnings (issues below
``min_severity``, and checks that could not run), failures (issues of ``min_severity`` or more) and not applicable.

Reads never fail on what an older or other DSS answers: a client without the call, a DSS without the endpoint or an
answer of another shape gives a summary whose status is ``NOT_AVAILABLE`` (with the reason), a bundle or project
without a report ``NOT_EVALUATED``. Transport failures (connection, TLS, timeout) are raised for the caller's
``dss_errors``.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line

SEVERITY_NAMES = ("SUCCESS", "LOWEST", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Where an exported bundle's list entry may hold its report (the first is what the emulator uses; DSS's field name
# is not documented, so a second spelling is accepted).
BUNDLE_REPORT_FIELDS = ("projectStandardsReport", "projectStandardsRunReport")
REASON_LIMIT = 300


def _empty(status, message):
    return dict(status=status, available=status != "NOT_AVAILABLE", evaluated=False, scope=None, min_severity=None,
                passed=[], warnings=[], failures=[], not_applicable=[], message=message)


def not_available(reason):
    """The summary when Project Standards cannot be read here (old client or DSS, unexpected answer)."""
    return _empty("NOT_AVAILABLE", "Project Standards are not available: %s" % cut_line(reason, REASON_LIMIT))


def not_evaluated(what):
    return _empty("NOT_EVALUATED", "No Project Standards report for %s: its checks were not evaluated" % what)


def _severity(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 5 else None


def _entry(check_id, info):
    check = info.get("check") if isinstance(info.get("check"), dict) else {}
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    severity = _severity(result.get("severity"))
    return dict(id=str(check.get("id") or check_id), name=str(check.get("name") or check_id),
                status=str(result.get("status") or "UNKNOWN"), severity=severity,
                severity_name=SEVERITY_NAMES[severity] if severity else None,
                message=cut_line(result.get("message") or "", REASON_LIMIT))


def min_severity_error(value):
    """None when ``value`` is a usable minimum severity (1 to 5), else what is allowed."""
    if _severity(value) and value >= 1:
        return None
    return "The minimum severity of a failing check must be 1 (LOWEST) to 5 (CRITICAL), got %r." % (value,)


def summarize(raw, what, min_severity=1):
    """The summary of a raw report (a dict, or None when there is none) about ``what`` (e.g. "bundle v3 of CHURN").

    Returns {status: PASSED | WARNING | FAILED | NOT_EVALUATED | NOT_AVAILABLE, available, evaluated, scope,
    min_severity, passed: [names], warnings: [check], failures: [check], not_applicable: [names], message}; a check
    is {id, name, status, severity, severity_name, message}.
    """
    if raw is None:
        return not_evaluated(what)
    if not isinstance(raw, dict):
        return not_available("the report of %s is a %s, not an object" % (what, type(raw).__name__))
    run_info = raw.get("bundleChecksRunInfo")
    if not isinstance(run_info, dict):
        return not_available("the checks of the report of %s are a %s, not an object" % (what, type(run_info).__name__))
    out = _empty("PASSED", "")
    out.update(available=True, evaluated=True, scope=raw.get("scope"), min_severity=SEVERITY_NAMES[min_severity])
    for check_id in sorted(run_info):
        info = run_info[check_id] if isinstance(run_info[check_id], dict) else {}
        check = _entry(check_id, info)
        if check["status"] == "NOT_APPLICABLE":
            out["not_applicable"].append(check["name"])
        elif check["status"] == "RUN_SUCCESS" and check["severity"] == 0:
            out["passed"].append(check["name"])
        elif check["status"] == "RUN_SUCCESS" and check["severity"] and check["severity"] >= min_severity:
            out["failures"].append(check)
        else:  # an issue below the threshold, or a check that could not run (RUN_ERROR, no severity, unknown)
            out["warnings"].append(check)
    out["status"] = "FAILED" if out["failures"] else "WARNING" if out["warnings"] else "PASSED"
    out["message"] = _message(out, what, len(run_info))
    return out


def _message(summary, what, total):
    def named(checks):
        return ", ".join("%s (%s)" % (c["name"], c["severity_name"] or c["status"]) for c in checks)
    text = "Project Standards of %s: %d of %d check(s) pass" % (what, len(summary["passed"]), total)
    if summary["failures"]:
        text += "; failing: %s" % named(summary["failures"])
    if summary["warnings"]:
        text += "; warnings: %s" % named(summary["warnings"])
    if summary["not_applicable"]:
        text += "; not applicable: %s" % ", ".join(summary["not_applicable"])
    return text


# -- reads -------------------------------------------------------------------------------------------------------

def exported_bundle_report(entry):
    """The report stored with an exported bundle (its entry in ``list_exported_bundles()``), or None."""
    for field in BUNDLE_REPORT_FIELDS:
        if isinstance(entry, dict) and entry.get(field) is not None:
            return entry[field]
    return None


def exported_bundle_summary(entry, project_key, min_severity=1):
    """Summary of the report an exported bundle holds (design node; no request: the entry was listed already)."""
    what = "bundle %s of %s" % ((entry or {}).get("bundleId"), project_key)
    return summarize(exported_bundle_report(entry), what, min_severity)


def compact(summary):
    """What the preflight gate decides on (status, evaluated, message, the failing and warning checks' names and
    severities), kept small for a bulk read of many projects."""
    def checks(items):
        return [dict(name=c["name"], severity=c["severity"], severity_name=c["severity_name"]) for c in items]
    return dict(status=summary["status"], evaluated=summary["evaluated"], message=summary["message"],
                failures=checks(summary["failures"]), warnings=checks(summary["warnings"]))


def _client_error():
    """dataikuapi's error class, imported where a client is at hand: the controller's planning filters import this
    module for its summaries, and loading the official client there would cost each Ansible process about 0.2 s."""
    from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException  # pylint: disable=import-outside-toplevel
    return DataikuException


def published_bundle_summary(client, published_key, bundle_id, min_severity=1):
    """Summary of a published bundle's report, read from the Project Deployer (``get_project_standards_report``).
    Call it for a bundle known to be published: any DSS error answer is taken for "not available"."""
    what = "bundle %s of %s" % (bundle_id, published_key)
    client_error = _client_error()
    handle = client.get_projectdeployer().get_project(published_key)
    if not hasattr(handle, "get_project_standards_report"):
        return not_available("this dataikuapi version cannot read Project Standards reports")
    try:
        raw = handle.get_project_standards_report(bundle_id, as_type="dict")
    except client_error as exc:
        return not_available("the Project Deployer did not answer the report of %s (%s)" % (what, exc))
    return summarize(raw, what, min_severity)


def project_summary(client, project_key, min_severity=1):
    """Summary of the last report of a project (``get_project_standards_last_report``), NOT_EVALUATED when the
    checks never ran on it."""
    what = "project %s" % project_key
    client_error = _client_error()
    project = client.get_project(project_key)
    if not hasattr(project, "get_project_standards_last_report"):
        return not_available("this dataikuapi version cannot read Project Standards reports")
    try:
        report = project.get_project_standards_last_report()
    except client_error as exc:
        return not_available("DSS did not answer the last report of %s (%s)" % (what, exc))
    except ValueError as exc:  # a body that is not JSON: not the Project Standards API
        return not_available("DSS answered the last report of %s with something else than JSON (%s)" % (what, exc))
    return summarize(getattr(report, "data", None) if report is not None else None, what, min_severity)
