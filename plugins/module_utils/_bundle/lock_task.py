# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataiku_deploy_lock: read the lock in force, decide, write unless check mode, re-read."""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import (
    DEFAULT_LEASE_SECONDS, ProjectLock, blocker, is_live, lock_owner_error)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import project_key_error


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        lock_owner=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        lock_timeout=dict(type="int", default=DEFAULT_LEASE_SECONDS),
        break_lock=dict(type="bool", default=False),
    )


class LockTask:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.key = self.p["project_key"]
        self.lock = ProjectLock(module, self.key, self.p["lock_owner"])

    def run(self):
        module, p = self.module, self.p
        errors = [project_key_error(self.key), lock_owner_error(p["lock_owner"])]
        if p["lock_timeout"] < 3:
            errors.append("lock_timeout must be 3 seconds or more, got %d." % p["lock_timeout"])
        errors = [e for e in errors if e]
        if errors:
            raise DssError(" ".join(errors))
        module.check_node_type_option()
        module.require_node_type("AUTOMATION", "The deployment lock (dataiku_deploy_lock)")
        summary = module.find_project(self.key)
        if summary is None:
            if p["state"] == "present":
                raise DssError("Project %s does not exist on %s: there is nothing to lock (a first deployment with "
                               "dataiku_gitops.dss.dataiku_bundle_deploy locks the project it creates)."
                               % (self.key, module.url))
            module.exit_with(False, {"lock": None}, {"lock": None}, project_key=self.key, lock=None, previous_lock=None)
        before = self.lock.read()
        now = time.time()
        live = before if is_live(before, now) else None
        if p["state"] == "present":
            mine = live is not None and live["owner"] == p["lock_owner"]
            if not mine:
                other = blocker(before, p["lock_owner"], now, p["break_lock"])
                if other is not None:
                    raise DssError(self.lock.refuse_message(other, now), lock=other, project_key=self.key)
            after = before if mine else self.lock.lease_for(p["lock_timeout"])
            if not mine and not module.check_mode:
                after = self.lock.take(p["lock_timeout"], p["break_lock"], renew=False)
        else:
            gone = before is not None and (before["owner"] == p["lock_owner"] or p["break_lock"])
            after = None if gone else before
            if gone and not module.check_mode:
                after = self.lock.release(break_lock=p["break_lock"])[1]
        module.exit_with(after != before, {"lock": before}, {"lock": after}, project_key=self.key, lock=after,
                         previous_lock=before)
