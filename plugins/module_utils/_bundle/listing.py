# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading bundle state through dataikuapi, shared by dataiku_bundle and dataiku_bundle_info.

Bundle existence is decided by listing: DataikuException carries no HTTP status, so "not found" cannot be told
apart from other failures by catching it.
"""

from __future__ import annotations


def active_bundle_id(module, client, project_key, list_item):
    """The active bundle of an automation project (``activeBundleState.bundleId``), None if none was activated.

    The project list shows ``activeBundleState`` [INF: strong]; when the list entry lacks the key the project
    summary is read too, so a DSS that only puts it in the summary still works.
    """
    state = list_item.get("activeBundleState") if isinstance(list_item, dict) else None
    if state is None:
        with module.dss_errors("read the summary of project %s" % project_key):
            summary = client.get_project(project_key).get_summary()
        state = summary.get("activeBundleState") if isinstance(summary, dict) else None
    if isinstance(state, dict) and isinstance(state.get("bundleId"), str) and state["bundleId"]:
        return state["bundleId"]
    return None


def bundle_list(raw):
    bundles = raw.get("bundles") if isinstance(raw, dict) else raw
    return [b for b in bundles or [] if isinstance(b, dict) and b.get("bundleId")]


def exported_bundles(module, client, project_key, url=None):
    """Exported bundles of a design project, in DSS order (oldest first)."""
    with module.dss_errors("list the exported bundles of project %s" % project_key, url=url):
        return bundle_list(client.get_project(project_key).list_exported_bundles())


def imported_bundles(module, client, project_key):
    """Imported bundles of an automation project, in import order (oldest first, as DSS lists them)."""
    with module.dss_errors("list the imported bundles of project %s" % project_key):
        return bundle_list(client.get_project(project_key).list_imported_bundles())


def ids_of(bundles):
    return [b["bundleId"] for b in bundles]


def keep_last_error(keep_last):
    """None when the ``keep_last`` option is unset or usable, else the message."""
    if keep_last is not None and keep_last < 1:
        return "keep_last must be 1 or more, got %d." % keep_last
    return None


def retention_victims(ids, keep_last, protected=()):
    """Bundle ids to delete so that at most ``keep_last`` remain, oldest first, never one of ``protected``.

    ``ids`` is oldest first. Protected ids count towards ``keep_last`` but are never chosen, so more than
    ``keep_last`` may remain when protected bundles are among the oldest.
    """
    if keep_last is None:
        return []
    excess = len(ids) - keep_last
    victims = []
    for bundle_id in ids:
        if excess <= 0:
            break
        if bundle_id in protected:
            continue
        victims.append(bundle_id)
        excess -= 1
    return victims


def activation_report(response):
    """The InfoMessages report of a preload/activate answer: a completed-future object keeps it under ``result``."""
    if isinstance(response, dict) and isinstance(response.get("result"), dict):
        return response["result"]
    return response if isinstance(response, dict) else {}


def report_problems(report):
    """Messages that make an activation a failure. ``success`` is not a verdict (it flags SUCCESS-level
    messages and is false on a clean activation): judge by ``error``/``fatal`` and by the messages themselves."""
    problems = []
    for message in report.get("messages") or []:
        if not isinstance(message, dict):
            continue
        if message.get("isFatal") or str(message.get("severity", "")).upper() in ("ERROR", "FATAL"):
            text = " ".join(str(message[k]) for k in ("code", "title", "message", "details") if message.get(k))
            problems.append(text or str(message))
    if not problems and (report.get("error") or report.get("fatal")):
        problems.append("DSS reported %s without a message" % ("a fatal error" if report.get("fatal") else "an error"))
    return problems


def describe(bundle, active_id=None):
    """The user-facing view of an exported or imported bundle list entry (dates as DSS gives them)."""
    manifest = bundle.get("exportManifest") if isinstance(bundle.get("exportManifest"), dict) else {}
    export_info = manifest.get("exportUserInfo") if isinstance(manifest.get("exportUserInfo"), dict) else {}
    import_state = bundle.get("importState") if isinstance(bundle.get("importState"), dict) else {}
    return dict(
        bundle_id=bundle["bundleId"],
        state=bundle.get("state"),
        exported_on=export_info.get("exportedOn"),
        exported_by=export_info.get("exportedBy"),
        release_notes=export_info.get("releaseNotes"),
        original_project_key=manifest.get("originalProjectKey"),
        imported_on=import_state.get("importedOn"),
        imported_by=import_state.get("importedBy"),
        active=active_id is not None and bundle["bundleId"] == active_id,
    )
