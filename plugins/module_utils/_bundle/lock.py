# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment lock of one project on one automation node: a lease held in the project's LOCAL variables.

Local variables are per node and survive bundle activation (which replaces the standard ones), so the lock stays
on the node, visible to every runner, AWX job or CI job deploying there. DSS has no compare-and-set, so taking the
lock is write-then-verify: read, write our claim, wait ``SETTLE_SECONDS``, read again and keep the lock only when the
claim is still ours. Two runners that both pass this check would have to write within that window of each other;
the certification step closes the remaining gap by checking, before certifying, that the lock is still ours and
that the bundle it certifies is the active one.

The lock is a lease: it expires ``lease`` seconds after it was last renewed, and the holder renews it from a
background thread (``LeaseKeeper``) while the module works (streamed import, scenario waits; the activation, which
replaces the variables, runs under a lease extended to two lengths just before it, with no renewal). A holder
that dies (killed runner, node restarted mid-run) stops renewing, so its lease lapses within ``lease`` seconds and the
next run takes over with no manual step; ``break_lock`` takes over a live lease.

A project that does not exist yet has no variables to hold a lock: a first deployment creates the project empty,
with its claim in the project description (``POST /projects/`` fails when the project exists, so exactly one run
creates it), then takes the lock in the variables and imports the bundle into it. Until the project has an imported
bundle, a live claim in its description counts as the lock.
"""

from __future__ import annotations

import json
import re
import threading
import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError

LOCK_VARIABLE = "dataiku_gitops_lock"
SETTLE_SECONDS = 0.3
MAX_OWNER_LENGTH = 100
DEFAULT_LEASE_SECONDS = 300
CLAIM_RE = re.compile(r"%s=(\{[^{}]*\})" % LOCK_VARIABLE)
CLAIM_PREFIX = "Being created by a dataiku_gitops.dss deployment (the bundle import follows)."
CLAIM_TEXT_RE = re.compile(r"(%s\s*)?%s=\{[^{}]*\}" % (re.escape(CLAIM_PREFIX), LOCK_VARIABLE))


def lock_owner_error(owner, option="lock_owner"):
    """None when ``owner`` is a usable run id, else the message."""
    if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_OWNER_LENGTH:
        return "%s must be a non-empty run id of at most %d characters, got %r." % (
            option, MAX_OWNER_LENGTH, (owner or "")[:MAX_OWNER_LENGTH] + ("..." if len(owner or "") > MAX_OWNER_LENGTH else ""))
    return None


def _lock_dict(lock):
    if isinstance(lock, dict) and lock.get("owner"):
        return {"owner": str(lock["owner"]), "expires": lock.get("expires")}
    return None


def lock_of(variables):
    """The lock in raw project variables ({standard, local}), or None."""
    local = (variables or {}).get("local") if isinstance(variables, dict) else None
    return _lock_dict(local.get(LOCK_VARIABLE) if isinstance(local, dict) else None)


def claim_description(lock):
    """The description a first deployment creates the project with: its claim, readable by people and runs."""
    return "%s %s=%s" % (CLAIM_PREFIX, LOCK_VARIABLE, json.dumps(lock, sort_keys=True))


def claim_of(summary):
    """The creation claim in a project summary's description, or None."""
    match = CLAIM_RE.search(str((summary or {}).get("description") or ""))
    if not match:
        return None
    try:
        return _lock_dict(json.loads(match.group(1)))
    except ValueError:
        return None


def current_lock(variables, summary, imported_ids):
    """The lock in force: the one in the variables, else (no bundle imported yet) the creation claim."""
    lock = lock_of(variables)
    if lock is None and not imported_ids:
        lock = claim_of(summary)
    return lock


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
    return "held by %s, lease expires in %d s unless its holder renews it" % (
        lock["owner"], max(0, int(float(lock["expires"]) - now)))


def with_lock(variables, lock, extra=None):
    """``variables`` with the lock set (``lock``) or removed (None), and the local variables ``extra`` set in the same
    write; both sections kept, as DSS requires."""
    local = dict(variables.get("local") or {}) if isinstance(variables.get("local"), dict) else {}
    local.pop(LOCK_VARIABLE, None)
    if lock is not None:
        local[LOCK_VARIABLE] = dict(lock)
    local.update(extra or {})
    return dict(variables, local=local, standard=variables.get("standard") or {})


class LeaseKeeper:
    """Renews ``owner``'s lease on ``project_key`` every third of the lease, from a daemon thread with its own
    client (the module's client records statuses for write_once). Stops by itself when the lock is no longer the
    owner's; ``mutex`` serialises its read-modify-write of the variables with the activation, which replaces them."""

    def __init__(self, client, project_key, owner, lease, mutex):
        self.project = client.get_project(project_key)
        self.owner = owner
        self.lease = lease
        self.mutex = mutex
        self.renewals = 0
        self.lost = None  # the lock found in place of ours, when another run took over
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dss-lease", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def _loop(self):
        while not self._stop.wait(max(0.5, self.lease / 3.0)):
            try:
                if not self.renew():
                    return
            except Exception:  # pylint: disable=broad-except
                continue  # a failed renewal is retried at the next tick; the lease covers two more

    def renew(self, leases=1):
        """One renewal for ``leases`` lease lengths; False when the lock is no longer ours (nothing written then)."""
        with self.mutex:
            if self._stop.is_set():
                return False
            variables = self.project.get_variables()
            lock = lock_of(variables)
            if lock is None or lock["owner"] != self.owner:
                self.lost = lock
                return False
            self.project.set_variables(with_lock(variables, {"owner": self.owner,
                                                             "expires": int(time.time() + leases * self.lease)}))
            self.renewals += 1
            return True

    def before_activation(self):
        """The activation replaces the variables, so no renewal may run during it (``mutex``): extend the lease to
        two lengths first. An activation longer than that lets the lease lapse; the certification then finds the
        lock lost and certifies nothing."""
        try:
            self.renew(leases=2)
        except Exception:  # pylint: disable=broad-except
            pass  # the lease still runs; the next tick renews it


class ProjectLock:
    """Read, take, renew and release the lock of ``project_key`` (a ``DssModule`` makes every failure one message).

    The renewal thread and the activation share ``module.variables_mutex``; one keeper per module run."""

    def __init__(self, module, project_key, owner):
        self.module = module
        self.key = project_key
        self.owner = owner
        self.project = module.client.get_project(project_key)
        if not hasattr(module, "variables_mutex"):
            module.variables_mutex = threading.Lock()
            module.lease_keeper = None

    def _variables(self):
        with self.module.dss_errors("read the variables of project %s" % self.key):
            return self.project.get_variables()

    def _save(self, variables, what, happened):
        """Write the variables once (``write_once``): after a failure in transit, ``happened(lock read back)`` says
        whether the write reached DSS before it is sent again."""
        self.module.write_once("%s of project %s" % (what, self.key), lambda: self.project.set_variables(variables),
                               lambda: happened(self.read()))

    def variables(self):
        """The project's raw variables ({standard, local}); ``lock_of`` finds the lock in them."""
        return self._variables()

    def read(self):
        return lock_of(self._variables())

    def in_force(self, summary, imported_ids):
        """The lock in force on the existing project: in its variables, else its creation claim (see current_lock)."""
        return current_lock(self._variables(), summary, imported_ids)

    def refuse_message(self, lock, now):
        return ("Project %s on %s is being deployed by another run (lock %s). Nothing was written by this run. Wait for "
                "it; if that run is dead, its lease lapses by itself (or re-run with break_lock=true to take it over "
                "at once)." % (self.key, self.module.url, describe(lock, now)))

    def lease_for(self, lease):
        return {"owner": self.owner, "expires": int(time.time() + lease)}

    def take(self, lease, break_lock=False, renew=True, extra=None):
        """Take (or keep) the lock as a ``lease``-second lease and (``renew``) start renewing it; returns the lock.
        Fails when another run holds it. ``extra``: local variables written with the lock (no write of their own)."""
        now = time.time()
        variables = self._variables()
        current = lock_of(variables)
        if current is None or current["owner"] != self.owner or not is_live(current, now):
            other = blocker(current, self.owner, now, break_lock)
            if other is not None:
                raise DssError(self.refuse_message(other, now), lock=other)
            mine = self.lease_for(lease)
            with self.module.variables_mutex:
                self._save(with_lock(variables, mine, extra), "take the deployment lock",
                           lambda lock: lock is not None and lock == mine)
            time.sleep(SETTLE_SECONDS)
            current = self.read()
            if current is None or current["owner"] != self.owner:
                raise DssError("Project %s on %s: another run took the deployment lock at the same time (%s); "
                               "nothing was deployed by this run." % (
                                   self.key, self.module.url, describe(current, now) if current else "released"),
                               lock=current)
        if renew:
            self.keep(lease)
        return current

    def keep(self, lease):
        """Renew the lease in the background until ``release`` (or the module ends)."""
        if self.module.lease_keeper is None:
            client = self.module.make_client(self.module.url, self.module.params["api_key"], quiet=True)
            self.module.lease_keeper = LeaseKeeper(client, self.key, self.owner, lease,
                                                   self.module.variables_mutex).start()

    def create_reserved(self, lease, extra=None):
        """First deployment: create the project empty with this run's claim in its description (one atomic write:
        DSS refuses to create an existing project), then take the lock in its variables. Fails, having written
        nothing, when another run created it first."""
        module = self.module
        mine = self.lease_for(lease)
        with module.dss_errors("read the identity of the API key"):
            owner_login = (module.client.get_auth_info() or {}).get("authIdentifier") or "admin"
        state = {}

        def create():
            try:
                module.client.create_project(self.key, self.key, owner_login, description=claim_description(mine))
            except Exception as exc:  # pylint: disable=broad-except
                if "ALREADY_EXISTS" in str(exc) or "already exists" in str(exc):
                    state["taken"] = True
                    return None
                raise
            return None

        def created():
            summary = module.find_project(self.key)
            if summary is not None and claim_of(summary) != mine:
                state["taken"] = True
            return summary is not None
        module.write_once("create project %s (first deployment)" % self.key, create, created)
        if state.get("taken"):
            summary = module.find_project(self.key) or {}
            other = claim_of(summary) or {"owner": "another run", "expires": time.time()}
            raise DssError("Project %s on %s was created by another run at the same time (lock %s). Nothing was "
                           "changed by this run (DSS refused its creation of the project)."
                           % (self.key, module.url, describe(other, time.time())), lock=other)
        return self.take(lease, extra=extra)

    def stop_renewing(self):
        keeper = self.module.lease_keeper
        if keeper is not None:
            keeper.stop()
            self.module.lease_keeper = None

    def release(self, break_lock=False, variables=None):
        """Stop renewing, then remove the lock when it is ours (or any lock, with ``break_lock``); (released, lock
        left). Another run's lock is left alone. ``variables``: the project's variables as the caller just read them
        (then not read again; a renewal since then only moved the lease's end, which the release removes anyway)."""
        self.stop_renewing()
        variables = self._variables() if variables is None else variables
        current = lock_of(variables)
        if current is None or (current["owner"] != self.owner and not break_lock):
            return False, current
        if not self.module.check_mode:
            # Happened: the lock is gone or another owner's (a renewal of ours since the read is not a release).
            self._save(with_lock(variables, None), "release the deployment lock",
                       lambda lock: lock is None or lock["owner"] != current["owner"])
            self.clear_claim()
        return True, None

    def saw_no_claim(self, summary):
        """Record that the existing project's summary ``summary`` (read by this run) has no creation claim: none can
        appear later (only the creation of the project writes one), so the release does not read it again."""
        if summary is not None and claim_of(summary) is None:
            self.module.project_without_claim = self.key

    def clear_claim(self):
        """Remove a first deployment's creation claim from the project description (its lock is in the variables
        from then on): the project must not keep telling people it is being created."""
        module = self.module
        if getattr(module, "project_without_claim", None) == self.key or claim_of(module.find_project(self.key)) is None:
            return
        with module.dss_errors("read the metadata of project %s" % self.key):
            metadata = self.project.get_metadata()
        metadata["description"] = CLAIM_TEXT_RE.sub("", str(metadata.get("description") or "")).strip()

        def cleared():
            with module.dss_errors("read the metadata of project %s" % self.key):
                return claim_of(self.project.get_metadata()) is None
        module.write_once("clear the creation claim of project %s" % self.key,
                          lambda: self.project.set_metadata(metadata), cleared)
