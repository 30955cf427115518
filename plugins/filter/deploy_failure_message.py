# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deploy_failure_message
short_description: One line saying what failed in a bundle deployment, what was restored and what state is known
version_added: 0.1.0
description:
  - Builds the failure message of the rescue of the role dataiku_gitops.dss.bundle_deploy from the registered
    results of its steps, so the role stays a sequence of tasks.
  - The message always says what failed, what was restored (or why nothing was), and which bundle is known to be
    active, also when a read or the roll-back itself failed in the rescue. It stays one line, and the quoted
    message of the failed task is cut to 500 characters.
  - User information in the node URL is dropped from the message.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input
options:
  _input:
    description:
      - The context of the failure, with keys C(project_key), C(bundle_id), C(url), C(failed_task) and
        C(failed_msg) (the task that failed and its message), C(rollback_bundle_id) (the last bundle with a passing
        test record, null for none), C(holds_lock) (false when the run failed before taking the lock, so before its
        first write), C(project_existed), C(policy) (first-deployment failure policy), and the registered results
        C(rollback) (M(dataiku_gitops.dss.dataiku_bundle_deploy) on the roll-back target, with its tests),
        C(deleted) and C(after) (the read of the node after the failure). A missing or skipped result means the
        step did not run.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail with what failed and what was restored
  ansible.builtin.fail:
    msg: "{{ failure_context | dataiku_gitops.dss.deploy_failure_message }}"
"""

RETURN = r"""
_value:
  description: The message, one line.
  type: str
"""

import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line

USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")
ID_LIMIT = 100
MSG_LIMIT = 500


def _ran(result):
    return isinstance(result, dict) and bool(result) and not result.get("skipped")


def _failed(result):
    return _ran(result) and (result.get("failed") or result.get("rc", 0) != 0 or "exception" in result)


def _msg(result, default="no message"):
    return cut_line((result or {}).get("msg") or default, MSG_LIMIT)


def _retest_text(rollback):
    tests = rollback.get("tests") or {}
    if not tests:
        return "it still has its passing test record"
    total = (tests.get("summary") or {}).get("total", 0)
    return "its tests pass again (%s scenario(s))" % total


def _known_state(context):
    after = context.get("after")
    if _ran(after) and not _failed(after) and "active_bundle_id" in after:
        return after.get("active_bundle_id")
    return None


def _restored_text(context):
    target = context.get("rollback_bundle_id")
    rollback = context.get("rollback")
    active = _known_state(context)
    if not context.get("holds_lock", True):
        return "Nothing to restore: this run failed before its first write."
    if _ran(rollback):
        if _failed(rollback) or (active is not None and active != target):
            return "The roll-back to bundle %s (the last bundle with a passing test record) FAILED: %s." % (
                target, _msg(rollback, "the active bundle differs"))
        if rollback.get("changed"):
            return "Rolled back to bundle %s, the last bundle with a passing test record: %s." % (
                target, _retest_text(rollback))
        return "Nothing to restore: bundle %s, the last bundle with a passing test record, is the active one." % target
    if context.get("project_existed"):
        return "Nothing to restore: no other bundle of the project has a passing test record on this node."
    if _ran(context.get("deleted")) and context["deleted"].get("changed"):
        return ("First deployment: the project this run created was deleted "
                "(dss_first_deploy_failure_policy=delete_project).")
    return ("First deployment: nothing to restore, the project is left as it is for inspection "
            "(dss_first_deploy_failure_policy=%s)." % context.get("policy", "keep"))


def _state_text(context):
    after = context.get("after")
    if _ran(after) and not _failed(after):
        if after.get("project_exists") is False:
            return "Known state: the project does not exist on the node."
        return "Known state: active bundle %s." % (after.get("active_bundle_id") or "none")
    if _failed(after):
        return "Known state: UNKNOWN, the read after the failure failed (%s)." % _msg(after)
    return "Known state: not read."


def deploy_failure_message(context):
    context = context if isinstance(context, dict) else {}
    url = USERINFO_RE.sub("", str(context.get("url") or "?"))
    what_failed = "Deployment of bundle %s to project %s on %s failed at '%s': %s" % (
        cut_line(context.get("bundle_id"), ID_LIMIT), cut_line(context.get("project_key"), ID_LIMIT), url,
        context.get("failed_task") or "?", cut_line(context.get("failed_msg") or "no message", MSG_LIMIT))
    return " ".join([what_failed, _restored_text(context), _state_text(context)])


class FilterModule:
    def filters(self):
        return {"deploy_failure_message": deploy_failure_message}
