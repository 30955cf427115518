# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment lock of one project on one automation node, held in the project's LOCAL variables.

Local variables are per node and survive bundle activation (which replaces the standard ones), so the lock stays
on the node, visible to every runner, AWX job or CI job deploying there. DSS has no compare-and-set, so taking the
lock is write-then-verify: read, write our claim, wait ``SETTLE_SECONDS``, read again and keep the lock only when the
claim is still ours. Two runners that both pass this check would have to write within that window of each other;
the certification step closes the remaining gap by checking, before certifying, that the lock is still ours and
that the bundle it certifies is the active one. A lock names its owner (the run id) and expires; an expired lock,
or any lock with ``break_lock``, is taken over.
"""

from __future__ import annotations

import time

LOCK_VARIABLE = "dataiku_gitops_lock"
SETTLE_SECONDS = 0.3
MAX_OWNER_LENGTH = 100


def lock_owner_error(owner, option="lock_owner"):
    """None when ``owner`` is a usable run id, else the message."""
    if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_OWNER_LENGTH:
        return "%s must be a non-empty run id of at most %d characters, got %r." % (
            option, MAX_OWNER_LENGTH, (owner or "")[:MAX_OWNER_LENGTH] + ("..." if len(owner or "") > MAX_OWNER_LENGTH else ""))
    return None


def lock_of(variables):
    """The lock in raw project variables ({standard, local}), or None."""
    local = (variables or {}).get("local") if isinstance(variables, dict) else None
    lock = local.get(LOCK_VARIABLE) if isinstance(local, dict) else None
    if isinstance(lock, dict) and lock.get("owner"):
        return {"owner": str(lock["owner"]), "expires": lock.get("expires")}
    return None


def is_live(lock, now):
    try:
        return lock is not None and float(lock["expires"]) > now
    except (TypeError, ValueError):
        return False


def blocker(lock, owner, now, break_lock=False):
    """The lock that stops ``owner`` from taking it, or None."""
    if lock is None or lock["owner"] == owner or break_lock or not is_live(lock, now):
        return None
    return lock


def describe(lock, now):
    return "held by %s, expires in %d s" % (lock["owner"], max(0, int(float(lock["expires"]) - now)))


class ProjectLock:
    """Read, take and release the lock of ``project_key`` (a ``DssModule`` makes every failure one message)."""

    def __init__(self, module, project_key, owner):
        self.module = module
        self.key = project_key
        self.owner = owner
        self.project = module.client.get_project(project_key)

    def _variables(self):
        with self.module.dss_errors("read the variables of project %s" % self.key):
            return self.project.get_variables()

    def _save(self, variables, what, happened):
        """Write the variables once (``write_once``): after a failure in transit, ``happened(lock read back)`` says
        whether the write reached DSS before it is sent again."""
        self.module.write_once("%s of project %s" % (what, self.key), lambda: self.project.set_variables(variables),
                               lambda: happened(self.read()))

    def read(self):
        return lock_of(self._variables())

    def refuse_message(self, lock, now):
        return ("Project %s on %s is being deployed by another run (lock %s). Wait for it, or, if that run is dead, "
                "re-run with break_lock=true to take the lock over." % (self.key, self.module.url, describe(lock, now)))

    def take(self, timeout, break_lock=False):
        """Take (or keep) the lock for ``timeout`` seconds; returns the lock. Fails when another run holds it."""
        now = time.time()
        variables = self._variables()
        current = lock_of(variables)
        if current is not None and current["owner"] == self.owner:
            return current
        other = blocker(current, self.owner, now, break_lock)
        if other is not None:
            self.module.fail_json(msg=self.refuse_message(other, now), lock=other)
        mine = {"owner": self.owner, "expires": int(now + timeout)}
        local = variables.get("local") if isinstance(variables.get("local"), dict) else {}
        local[LOCK_VARIABLE] = dict(mine)
        variables["local"] = local
        variables.setdefault("standard", {})
        self._save(variables, "take the deployment lock", lambda lock: lock is not None and lock == mine)
        time.sleep(SETTLE_SECONDS)
        after = self.read()
        if after is None or after["owner"] != self.owner:
            self.module.fail_json(msg="Project %s on %s: another run took the deployment lock at the same time (%s); "
                                      "nothing was deployed by this run." % (
                                          self.key, self.module.url, describe(after, now) if after else "released"),
                                  lock=after)
        return mine

    def release(self):
        """Remove the lock when it is ours; (released, lock left). Another run's lock is left alone."""
        variables = self._variables()
        current = lock_of(variables)
        if current is None or current["owner"] != self.owner:
            return False, current
        if not self.module.check_mode:
            del variables["local"][LOCK_VARIABLE]
            self._save(variables, "release the deployment lock",
                       lambda lock: lock is None or lock["owner"] != self.owner)
        return True, None
