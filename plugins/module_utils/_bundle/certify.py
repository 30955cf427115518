# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataiku_bundle_certify: every check (active bundle, test record, lock owner) before any write; retention only
after success; the lock released last."""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import testing_status as record
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.importing import BundleImport
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import (
    ProjectLock, blocker, describe, lock_of, lock_owner_error)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        bundle_id=dict(type="str", required=True),
        lock_owner=dict(type="str", required=True),
        state=dict(type="str", choices=["certified", "released"], default="certified"),
        keep_last=dict(type="int"),
        previous_bundle_id=dict(type="str"),
        warning_is_failure=dict(type="bool", default=False),
    )


def retention_plan(ids, bundle_id, keep_last, previous_bundle_id=None):
    """(imported ids once ``bundle_id`` is imported, the ids retention deletes after its certification): never
    ``bundle_id``, nor the roll-back target ``previous_bundle_id`` when ``keep_last`` leaves room for it."""
    ids_after = ids if bundle_id in ids else ids + [bundle_id]
    protected = {bundle_id}
    if previous_bundle_id and (keep_last or 0) >= 2:
        protected.add(previous_bundle_id)
    return ids_after, bundles.retention_victims(ids_after, keep_last, protected=protected)


def certification_problem(node, project_key, bundle_id, active, raw, warning_is_failure):
    """Why ``bundle_id`` is not certified on ``node`` (one sentence), or None: it must be the ``active`` bundle and
    its test record ``raw`` must pass. Shared by both routes."""
    if active != bundle_id:
        return ("Bundle %s of project %s on %s is not certified: it is not the active bundle (the active bundle is %s), "
                "so another deployment or a roll-back replaced it after it was tested."
                % (bundle_id, project_key, node.url, active or "none"))
    if not record.passes(raw, warning_is_failure):
        return "Bundle %s of project %s on %s is not certified: %s." % (
            bundle_id, project_key, node.url, record.problem(raw, bundle_id, warning_is_failure))
    return None


def check_certified(node, project_key, bundle_id, active, warning_is_failure):
    """Read the test record of ``bundle_id`` on ``node`` and raise unless it certifies the bundle; its summary."""
    with node.dss_errors("read the testing status of bundle %s of project %s" % (bundle_id, project_key)):
        raw = record.testing_status(node.client, project_key, bundle_id)
    problem = certification_problem(node, project_key, bundle_id, active, raw, warning_is_failure)
    if problem:
        raise DssError(node.scrub(problem), active_bundle_id=active)
    return record.summary(raw)


class CertifyRun:
    """dataiku_bundle_certify, or the certify step of dataiku_bundle_deploy (``params``: the same option names)."""

    def __init__(self, module, params=None):
        self.module = module
        self.p = params or module.params
        self.key = self.p["project_key"]
        self.bundle_id = self.p["bundle_id"]
        self.steps = BundleImport(module, self.key, self.bundle_id)
        self.lock = ProjectLock(module, self.key, self.p["lock_owner"])

    def fail(self, msg, **result):
        raise DssError(self.module.scrub(msg), project_key=self.key, bundle_id=self.bundle_id, **result)

    def run(self):
        module, p = self.module, self.p
        errors = [project_key_error(self.key), bundle_id_error(self.bundle_id), lock_owner_error(p["lock_owner"])]
        if p["previous_bundle_id"] is not None:
            errors.append(bundle_id_error(p["previous_bundle_id"], "previous_bundle_id"))
        errors.append(bundles.keep_last_error(p["keep_last"]))
        errors = [e for e in errors if e]
        if errors:
            raise DssError(" ".join(errors))
        module.check_node_type_option()
        module.require_node_type("AUTOMATION", "Certifying a bundle (dataiku_bundle_certify)")
        exists, ids, active = self.steps.read()
        if not exists and module.check_mode and p["state"] == "certified":
            # A plan of a first deployment: the project the real run certifies is created by the deploy task.
            module.exit_with(False, {"bundle_ids": [self.bundle_id]}, {"bundle_ids": [self.bundle_id]},
                             project_key=self.key, bundle_id=self.bundle_id, certified=False,
                             tests={"nb_ran": 0, "outcomes": {}}, active_bundle_id=self.bundle_id,
                             bundle_ids=[self.bundle_id], deleted_bundle_ids=[], lock_released=False)
        if not exists:
            self.fail("Project %s does not exist on %s: there is no bundle %s to certify."
                      % (self.key, module.url, self.bundle_id))
        if p["state"] == "released":
            released = self.lock.release()[0]
            module.exit_json(changed=False, project_key=self.key, bundle_id=self.bundle_id, active_bundle_id=active,
                             certified=False, bundle_ids=ids, deleted_bundle_ids=[], lock_released=released)
        changed, before, after, result = self.certify(ids, active)
        module.exit_with(changed, before, after, **result)

    def certify(self, ids, active):
        """Check (active, passing record, lock), then retention and the lock's release; (changed, before, after,
        result). Fails, deleting nothing and keeping the lock, when the bundle is not certified (not in check mode:
        tests have not run in a plan)."""
        module, p = self.module, self.p
        with module.dss_errors("read the testing status of bundle %s of project %s" % (self.bundle_id, self.key)):
            raw = record.testing_status(module.client, self.key, self.bundle_id)
        variables = self.lock.variables()
        lock = lock_of(variables)
        tests = record.summary(raw)
        certified = active == self.bundle_id and record.passes(raw, p["warning_is_failure"])
        now = time.time()
        other = blocker(lock, p["lock_owner"], now)
        if not module.check_mode:
            problem = certification_problem(module, self.key, self.bundle_id, active, raw, p["warning_is_failure"])
            if problem:
                self.fail(problem + (" Nothing was deleted; the deployment lock is kept for this run's roll-back."
                                     if active == self.bundle_id else ""), tests=tests, active_bundle_id=active)
        if other is not None:
            self.fail("Bundle %s of project %s on %s is not certified: another run holds the deployment lock (%s), so "
                      "this run's deployment may have been interleaved with it." % (
                          self.bundle_id, self.key, module.url, describe(other, now)), tests=tests)
        ids_after, victims = retention_plan(ids, self.bundle_id, p["keep_last"], p["previous_bundle_id"])
        before = {"bundle_ids": ids_after if module.check_mode else ids}
        after = {"bundle_ids": [i for i in ids_after if i not in victims]}
        released = lock is not None and lock["owner"] == p["lock_owner"]
        if not module.check_mode:
            self.steps.delete(victims)
            # The variables just read: the release writes them back without the lock (no second read).
            released = self.lock.release(variables=variables)[0]
            if victims:  # else the ids read before the checks are still the ones there
                after["bundle_ids"] = self.steps.read()[1]
        return bool(victims), before, after, dict(
            project_key=self.key, bundle_id=self.bundle_id, certified=certified, tests=tests,
            active_bundle_id=self.bundle_id, bundle_ids=after["bundle_ids"], deleted_bundle_ids=victims,
            lock_released=released)
