# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JUnit XML report of dataiku_scenario_run results (one testsuite per project, one testcase per scenario).

The layout is the de-facto one CI servers read (Jenkins, GitLab, Azure DevOps): FAILED -> <failure>, ABORTED
(including timeouts) -> <error>, WARNING -> <failure> only when warnings fail the task (else a passing case
with the message in <system-out>), not run -> <skipped>.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.report import acceptable


def _seconds(value):
    return "%.3f" % (value or 0)


def _details(row):
    lines = ["%s %s (run %s)" % (row["scenario_id"], row["outcome"], row["run_id"])]
    for step in row["steps"]:
        lines.append("step %s [%s]: %s%s" % (step["name"], step["type"], step["outcome"],
                                             " - %s" % step["message"] if step["message"] else ""))
    return "\n".join(lines)


def _testcase(suite, project_key, row, warning_is_failure):
    case = ET.SubElement(suite, "testcase", classname=project_key, name=row["scenario_id"],
                         time=_seconds(row["duration_seconds"]))
    outcome, message = row["outcome"], row["failure_message"] or ""
    if outcome is None:
        ET.SubElement(case, "skipped", message=row["skipped"] or "not run")
        return "skipped"
    if outcome == "ABORTED":
        ET.SubElement(case, "error", message=message, type=outcome).text = _details(row)
        return "errors"
    if not acceptable(outcome, warning_is_failure):
        ET.SubElement(case, "failure", message=message, type=outcome).text = _details(row)
        return "failures"
    if message:
        ET.SubElement(case, "system-out").text = "%s: %s" % (outcome, message)
    return None


def junit_document(project_key, url, rows, warning_is_failure, timestamp):
    """The report as an ElementTree element (``timestamp``: ISO 8601 start of the task)."""
    counts = dict(tests=len(rows), failures=0, errors=0, skipped=0)
    total_time = sum(r["duration_seconds"] or 0 for r in rows)
    root = ET.Element("testsuites", name="dataiku_scenario_run")
    suite = ET.SubElement(root, "testsuite", name=project_key, timestamp=timestamp, time=_seconds(total_time))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="dss_url", value=url)
    ET.SubElement(props, "property", name="warning_is_failure", value=str(bool(warning_is_failure)).lower())
    for row in rows:
        kind = _testcase(suite, project_key, row, warning_is_failure)
        if kind:
            counts[kind] += 1
    for element in (root, suite):
        for key, value in counts.items():
            element.set(key, str(value))
    root.set("time", _seconds(total_time))
    return root


def write_junit(path, root):
    """Write atomically (temp file + rename) so a CI job never reads half a report; creates the directory."""
    path = os.path.abspath(os.path.expanduser(path))
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".junit-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            ET.ElementTree(root).write(handle, encoding="utf-8", xml_declaration=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):  # only when something failed before the rename
            os.unlink(tmp)
    return path
