# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``on_failure`` of a deployment, the same for both routes: after a failure that came after this run's first write,
``rollback`` makes the last bundle with a passing test record active again, re-tests and certifies it (and releases
the lock); ``delete_project`` deletes the project this run created (else rolls back like ``rollback``); ``keep``
leaves the node as the failure left it. Then the node is read, and the error is raised again with one message and
the route's result.

The route is an adapter with ``restore(bundle_id)`` (make it active; True when it changed something),
``verify(bundle_id, restored)`` (re-test when ``restored`` and certify; the tests' view, raises when not certified),
``delete_created()``, ``release()`` and ``read_state()`` (exists, active bundle)."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.outcome import Recovered, failure_message, short
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


class Recovery:
    def __init__(self, route, policy):
        self.route = route
        self.policy = policy

    def failed(self, error, result, where, step, wrote):
        """Apply the policy to the failure ``error`` (a DssError) of the deployment whose result is ``result``;
        returns the error to raise, with the message and every key of ``result``."""
        for key in ("tests", "lock", "previous_bundle_id"):
            if error.result.get(key) is not None:
                result[key] = error.result[key]
        recovered = Recovered(self.policy, result["rollback_bundle_id"], wrote, result["project_created"])
        recovered.first_error = error.msg
        if wrote and self.policy != "keep":
            if self.policy == "delete_project" and result["project_created"]:
                recovered.deleted = self._attempt(self.route.delete_created) is True
            elif recovered.target:
                recovered.rollback = self._roll_back(recovered.target)
            if not recovered.deleted and not (recovered.rollback and not recovered.rollback["error"]):
                self._attempt(self.route.release)  # a successful roll-back released it with its certification
            result["lock"] = None
        try:
            recovered.exists, recovered.active = self.route.read_state()
        except DssError as exc:
            recovered.read_error = exc.msg
        rollback = recovered.rollback
        result.update(active_bundle_id=recovered.active, certified=False,
                      rolled_back=bool(rollback and rollback["changed"] and not rollback["error"]),
                      rollback=rollback, project_deleted=recovered.deleted,
                      error=short(error.msg))
        changed = bool(error.result.get("changed")) or wrote
        error.result.update(result, changed=changed)
        error.msg = failure_message(result, where, step, error.msg, recovered)
        if rollback and rollback["error"]:
            rollback["error"] = short(rollback["error"])  # a result value: cut here, the message is cut by fail_json
        return error

    def _roll_back(self, target):
        rollback = dict(bundle_id=target, changed=False, tests=None, error=None)
        try:
            rollback["changed"] = self.route.restore(target)
            rollback["tests"] = self.route.verify(target, rollback["changed"])
        except DssError as exc:
            rollback["error"] = exc.msg
            rollback["tests"] = exc.result.get("tests", rollback["tests"])
        return rollback

    @staticmethod
    def _attempt(action):
        """Run a clean-up step; its failure is reported in the message of the first failure, not instead of it."""
        try:
            return action()
        except DssError as exc:
            return exc
