# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result of a deployment, the same keys on both routes (dataiku_bundle_deploy: ``direct``, dataiku_deployment
with ``tests``: ``deployer``), and the one-line message of a failed one: what failed, what was restored (or why
nothing was), and which bundle is known to be active."""

from __future__ import annotations

import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line, cut_long_words

ON_FAILURE = ("rollback", "keep", "delete_project")
MSG_LIMIT = 500
USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")
# The keys every deployment result has, on success and on failure, on both routes.
RESULT_KEYS = ("route", "project_key", "bundle_id", "previous_bundle_id", "active_bundle_id", "rollback_bundle_id",
               "tests", "certified", "rolled_back", "error", "steps", "lock", "project_created", "gates")


def on_failure_spec():
    return dict(type="str", choices=list(ON_FAILURE), default="keep")


def recovery():
    """The module that applies ``on_failure`` (_bundle/recovery.py), imported on a failure only: a module start
    compiles every module_utils file it imports from the AnsiballZ archive, so a rarely used one waits until needed."""
    from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import recovery as module  # pylint: disable=import-outside-toplevel
    return module


def short(text):
    """A message as a result value: one line, long words cut, at most MSG_LIMIT characters."""
    return cut_line(cut_long_words(cut_line(text)), MSG_LIMIT)


def blank(route, project_key, bundle_id):
    """A result with every key, before anything is known."""
    result = dict.fromkeys(RESULT_KEYS)
    result.update(route=route, project_key=project_key, bundle_id=bundle_id, certified=False, rolled_back=False,
                  steps=[], project_created=False)
    return result


def deploy_result(result):
    """The common keys of a module's (or a role's) deployment result, every one present."""
    result = result if isinstance(result, dict) else {}
    view = dict((key, result.get(key)) for key in RESULT_KEYS)
    view["certified"] = bool(view["certified"]) and not result.get("failed")
    view["rolled_back"] = bool(view["rolled_back"])
    view["steps"] = view["steps"] or []
    if result.get("failed") and not view["error"]:
        view["error"] = short(result.get("msg") or "failed")
    return view


class Recovered:
    """What the failure handling did, as the message says it: ``wrote`` (this run wrote before failing), ``policy``,
    ``target`` (the last certified bundle), ``rollback`` (None: not tried; else {changed, error, tests}), ``deleted``,
    ``created`` (the project was created by this run), ``active`` / ``exists`` / ``read_error`` (the read after)."""

    def __init__(self, policy, target, wrote, created):
        self.policy = policy
        self.target = target
        self.wrote = wrote
        self.created = created
        self.rollback = None
        self.deleted = False
        self.exists = None
        self.active = None
        self.read_error = None
        self.first_error = None

    def restored_text(self):
        rollback, target = self.rollback, self.target
        if not self.wrote:
            return "Nothing to restore: this run failed before its first write."
        if rollback is not None:
            if rollback["error"]:
                return "The roll-back to bundle %s (the last bundle with a passing test record) FAILED: %s" % (
                    target, _sentence(rollback["error"]))
            if rollback["changed"]:
                total = ((rollback["tests"] or {}).get("summary") or {}).get("total", 0)
                retest = "its tests pass again (%s scenario(s))" % total if rollback["tests"] else \
                    "it still has its passing test record"
                return "Rolled back to bundle %s, the last bundle with a passing test record: %s." % (target, retest)
            return "Nothing to restore: bundle %s, the last bundle with a passing test record, is the active one." % target
        if self.deleted:
            return "First deployment: the project this run created was deleted (on_failure=delete_project)."
        if self.policy == "keep":
            return ("Nothing restored (on_failure=keep): the node is left as the failure left it; the deployment lock "
                    "is kept until its lease lapses or the same lock_owner rolls back.")
        if not self.created:
            return "Nothing to restore: no other bundle of the project has a passing test record on this node."
        return ("First deployment: nothing to restore, the project is left as it is for inspection "
                "(on_failure=%s)." % self.policy)

    def state_text(self):
        if self.read_error and self.read_error == self.first_error:
            return "Known state: UNKNOWN, the read after the failure failed the same way."
        if self.read_error:
            return "Known state: UNKNOWN, the read after the failure failed (%s)." % _sentence(self.read_error)[:-1]
        if self.exists is False:
            return "Known state: the project does not exist on the node."
        return "Known state: active bundle %s." % (self.active or "none")


def _sentence(text):
    # On one line, not cut here: the module's fail_json cuts every long word (an id, an answer) once.
    text = cut_line(text).strip()
    return text if text.endswith(".") else text + "."


def failure_message(result, where, step, error, recovered):
    """One line: the deployment of ``result``'s bundle ``where`` (``on <url>``, ``through deployment D``) failed at
    ``step`` with ``error``; then what ``recovered`` did and the known state."""
    what = "Deployment of bundle %s to project %s %s failed at '%s': %s" % (
        cut_line(result["bundle_id"]), cut_line(result["project_key"]), USERINFO_RE.sub("", where), step,
        _sentence(error or "no message"))
    return " ".join([what, recovered.restored_text(), recovered.state_text()])
