# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataiku_bundle_deploy: read once, plan every step (lock, preflight, import, remap, activate, and with ``tests``
the test runs and the certification), then write in that order. The plan is the check-mode answer; the real run
executes it and re-reads the result."""

from __future__ import annotations

import time
from contextlib import contextmanager

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap import plan as remap_plan
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import outcome
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import testing_status as record
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_tests import (
    TestAndCertify, tests_argument_spec, tests_option_errors, tests_view)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.importing import BundleImport
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.lock import (
    DEFAULT_LEASE_SECONDS, ProjectLock, blocker, lock_owner_error)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import (
    Preflight, direct_govern_entry, gates_argument_spec, gates_errors, recorded_decision, skipped,
    view as gates_view)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.listing import describe
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, name_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.release_notes import add_to_diff, deploy_changes
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.state import RemapState
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_argument_spec, source_errors


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        bundle_id=dict(type="str", required=True),
        src=dict(type="path"),
        source=source_argument_spec(),
        connections=dict(type="dict"),
        code_envs=dict(type="dict"),
        lock_owner=dict(type="str", required=True),
        lock_timeout=dict(type="int", default=DEFAULT_LEASE_SECONDS),
        expect_export=dict(type="bool", default=False),
        break_lock=dict(type="bool", default=False),
        warning_is_failure=dict(type="bool", default=False),
        tests=tests_argument_spec(),
        keep_last=dict(type="int"),
        on_failure=outcome.on_failure_spec(),
        gates=gates_argument_spec(),
    )


def input_errors(module, p):
    errors = [project_key_error(p["project_key"]), bundle_id_error(p["bundle_id"]), lock_owner_error(p["lock_owner"])]
    if p["lock_timeout"] < 3:
        errors.append("lock_timeout (the lease, renewed every third of it) must be 3 seconds or more, got %d."
                      % p["lock_timeout"])
    for option in ("connections", "code_envs"):
        for source, target in (p[option] or {}).items():
            errors.append(name_error(source, "%s source" % option))
            errors.append(name_error(target, "%s[%r] target" % (option, source)))
    if p["source"]:
        errors += source_errors(module, p["source"], p["project_key"], p["bundle_id"],
                                ", so the imported bundle would not be %r" % (p["bundle_id"],))
    return [e for e in errors if e] + tests_option_errors(p) + gates_errors(p["gates"])


def rollback_target(module, project_key, ids, active, bundle_id, warning_is_failure):  # shared by both routes
    """The bundle a failure of this deployment rolls back to: the last one with a passing test record on this node
    (the active bundle when it has one, else the newest imported bundle that has one), never ``bundle_id``; None
    when no bundle of the project passed its tests here."""
    order = ([active] if active in ids else []) + [i for i in reversed(ids) if i != active]
    for candidate in order:
        if candidate == bundle_id:
            continue
        with module.dss_errors("read the testing status of bundle %s of project %s" % (candidate, project_key)):
            if record.passes(record.testing_status(module.client, project_key, candidate), warning_is_failure):
                return candidate
    return None


def _step(name, changed, before=None, after=None, **extra):
    entry = dict(name=name, changed=changed, **extra)
    if changed and (before is not None or after is not None):
        entry["diff"] = dict(before=before, after=after)
    return entry


class DeployRun:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.key = self.p["project_key"]
        self.bundle_id = self.p["bundle_id"]
        self.steps = BundleImport(module, self.key, self.bundle_id, self.p["src"], self.p["source"])
        self.lock = ProjectLock(module, self.key, self.p["lock_owner"])
        self.durations = {}
        self.result = outcome.blank("direct", self.key, self.bundle_id)
        self.step = "read"  # the step running, named in a failure's message
        self.wrote = False  # whether this run wrote anything yet (its first write takes the lock)

    @contextmanager
    def timed(self, name):
        """Add the time spent in the block to step ``name``'s duration (reported in ``steps``)."""
        start = time.monotonic()
        self.step = name
        try:
            yield
        finally:
            self.durations[name] = self.durations.get(name, 0.0) + time.monotonic() - start

    def with_durations(self, steps):
        for step in steps:
            step.setdefault("duration", round(self.durations.get(step["name"], 0.0), 3))
        return steps

    def run(self):
        module, p = self.module, self.p
        errors = input_errors(module, p)
        if errors:
            raise DssError(" ".join(errors))
        module.check_node_type_option()
        module.require_node_type("AUTOMATION", "Deploying a bundle (dataiku_bundle_deploy)")
        try:
            self.deploy()
        except DssError as exc:
            self.result["steps"] = self.with_durations(self.result["steps"])
            recovery = outcome.recovery().Recovery(DirectRoute(self), p["on_failure"])
            raise recovery.failed(exc, self.result, "on %s" % module.url, self.step, self.wrote)

    def deploy(self):
        module, p = self.module, self.p
        result = self.result

        # -- read ---------------------------------------------------------------------------------------------
        with self.timed("lock"):
            exists, ids, active = self.steps.read()
            certified = False
            current_lock = None
            if exists and self.bundle_id in ids:
                with module.dss_errors("read the testing status of bundle %s of project %s" % (self.bundle_id, self.key)):
                    certified = record.passes(record.testing_status(module.client, self.key, self.bundle_id),
                                              p["warning_is_failure"])
            if exists:
                current_lock = self.lock.in_force(self.steps.summary, ids)
                self.lock.saw_no_claim(self.steps.summary)
        result["previous_bundle_id"] = active

        # -- plan (no write) ----------------------------------------------------------------------------------
        to_import = self.bundle_id not in ids
        with self.timed("import"):
            upload = self.steps.plan_upload(exists, ids) if to_import else None
        with self.timed("preflight"):
            remap = self.plan_remap(exists)
        to_activate = active != self.bundle_id
        needs_lock = to_import or remap["changed"] or to_activate or not certified
        # What a failure of this run rolls back to (also predicted in check mode).
        with self.timed("lock"):
            rollback = rollback_target(module, self.key, ids, active, self.bundle_id, p["warning_is_failure"]) \
                if exists and needs_lock else (active if active != self.bundle_id else None)
        result.update(rollback_bundle_id=rollback, project_created=to_import and not exists)
        # The gates, before the lock (the first write): every reason at once, in check mode as in a real run.
        with self.timed("preflight"):
            gates = self.preflight(needs_lock)
        now = time.time()
        if needs_lock:
            other = blocker(current_lock, p["lock_owner"], now, p["break_lock"])
            if other is not None:
                raise DssError(self.lock.refuse_message(other, now), lock=other)
        planned_lock = None
        if needs_lock:
            planned_lock = current_lock if current_lock and current_lock["owner"] == p["lock_owner"] else \
                {"owner": p["lock_owner"], "expires": int(now + p["lock_timeout"])}
        ids_after = ids + [self.bundle_id] if to_import else list(ids)
        result.update(active_bundle_id=self.bundle_id, imported=to_import, activated=to_activate, certified=certified,
                      lock=planned_lock, report=None, on_failure=p["on_failure"])
        steps = result["steps"] = [
            _step("lock", False, lock=planned_lock),
            _step("preflight", False, resolution=remap["rows"][0], code_env_resolution=remap["rows"][1],
                  gates=result["gates"]),
            _step("import", to_import, {"project_exists": exists, "bundle_ids": ids},
                  {"project_exists": True, "bundle_ids": ids_after}),
            _step("remap", remap["changed"], remap["before"], remap["after"]),
            _step("activate", to_activate, {"active_bundle_id": active}, {"active_bundle_id": self.bundle_id}),
        ]
        changed = to_import or remap["changed"] or to_activate
        before = dict(project_exists=exists, bundle_ids=ids, active_bundle_id=active, remapping=remap["before"])
        after = dict(project_exists=True, bundle_ids=ids_after, active_bundle_id=self.bundle_id,
                     remapping=remap["after"])
        # What the activation changes, from the design project's git (reads on the design node, only when activating).
        result["changes"] = deploy_changes(module, p["source"], active, self.steps.imported, self.bundle_id) \
            if to_activate else None
        add_to_diff(before, after, result["changes"])
        if gates is not None and p["gates"]:
            after["gates"] = result["gates"]["lines"]
        # With tests: they run whenever the task changes something or the bundle has no passing record yet.
        checks = TestAndCertify(module, self.key, self.bundle_id, active, p["keep_last"]) \
            if p["tests"] is not None else None
        if module.check_mode and checks is not None and needs_lock:
            more, tests = checks.plan(exists, ids_after, to_activate)
            after["bundle_ids"] = [i for i in ids_after if i not in more[-1]["deleted_bundle_ids"]]
            result.update(tests=tests_view(tests), certified=True, lock=None,
                          deleted_bundle_ids=more[-1]["deleted_bundle_ids"])
            result["steps"] = self.with_durations(steps + more)
            module.exit_with(changed or any(step["changed"] for step in more), before, after, **result)
        if module.check_mode and checks is None:
            result["steps"] = self.with_durations(steps)
            module.exit_with(changed, before, after, **result)
        # Check mode goes on only for a bundle already active and certified, with tests: from here on it only
        # reads (nothing below needs the lock, and the certification writes nothing in check mode).

        # -- write, in order ----------------------------------------------------------------------------------
        if needs_lock:
            # Before the first write, also on a first deployment (the project is created empty under this run's
            # claim, then locked): a second run is refused before it writes anything.
            with self.timed("lock"):
                result["lock"] = steps[0]["lock"] = self.hold(create=not exists)
        if upload:
            with self.timed("import"):
                sent = self.steps.upload_and_check(upload, exists=True if needs_lock else exists)[0]
            steps[2]["uploaded_bytes"] = sent
        if remap["changed"]:
            with self.timed("remap"):
                remap_state = RemapState(module, self.key)
                remap_plan.write(module, remap_state.settings(), remap["after_raw"], remap["params"],
                                 remap_state.settings)
        if to_activate:
            with self.timed("activate"):
                result["report"] = self.steps.activate(active)
        ids, active = None, None
        if checks is None or not needs_lock:
            # With tests to run, the certification reads the project again after them and fails (on_failure then
            # applies) unless this bundle is still the active one: no read in between.
            exists, ids, active = self.steps.read()
            if active != self.bundle_id:
                result["active_bundle_id"] = active
                raise DssError("Bundle %s was activated in project %s on %s, but the active bundle is now %s: another "
                               "deployment changed it." % (self.bundle_id, self.key, module.url, active or "none"))
            after.update(bundle_ids=ids, active_bundle_id=active)
        if checks is not None:
            self.step = "test and certify"
            more, tests, certification, after["bundle_ids"] = checks.run(needs_lock, self.steps.read, (ids, active))
            steps += more
            changed = changed or any(step["changed"] for step in more)
            result.update(tests=tests_view(tests), certified=certification["certified"], lock=None,
                          deleted_bundle_ids=certification["deleted_bundle_ids"])
        result["steps"] = self.with_durations(steps)
        module.exit_with(changed, before, after, **result)

    def hold(self, create=False):
        """Take the lock (creating the project under this run's claim on a first deployment): the first write."""
        # The gates' decision goes with the lock (no write of its own): the status table shows it.
        extra = recorded_decision(self.bundle_id, self.result["gates"])
        lock = self.lock.create_reserved(self.p["lock_timeout"], extra) if create else \
            self.lock.take(self.p["lock_timeout"], self.p["break_lock"], extra=extra)
        self.wrote = True
        return lock

    def preflight(self, needs_lock):
        """Evaluate the gates when there is something to deploy (fails with every blocking reason); returns the
        entries, or None when nothing is to be written (then every gate is skipped)."""
        if not needs_lock:
            self.result["gates"] = gates_view(skipped("bundle %s is already active with a passing test record here"
                                                      % self.bundle_id))
            return None
        check = Preflight(self.module, self.key, self.bundle_id, self.module.url)
        summary = self.standards_summary() if check.standards_policy != "ignore" else {}
        entries = check.evaluate(summary, self.release_notes(), direct_govern_entry())
        check.enforce(entries, self.result)
        return entries

    def standards_summary(self):
        """The bundle's Project Standards report, kept with the exported bundle on the design node (``source``);
        None when it is not exported yet."""
        what = "bundle %s of %s" % (self.bundle_id, self.key)
        source = self.p["source"]
        if not source:
            return standards.not_available("the report of %s is kept on the design node: set source" % what)
        entries = source_bundles(self.module, source)[1]
        entry = next((e for e in entries if e.get("bundleId") == source["bundle_id"]), None)
        if entry is None:
            return None  # not exported yet (a plan expecting the export): read by the real run
        return standards.exported_bundle_summary(entry, source["project_key"])

    def release_notes(self):
        """The bundle's release notes from its manifest (imported or incoming), None when not known yet."""
        entry = self.steps.incoming or next((e for e in self.steps.imported if e.get("bundleId") == self.bundle_id),
                                            None)
        if not entry or not isinstance(entry.get("exportManifest"), dict):
            return None
        return describe(entry)["release_notes"] or ""

    def plan_remap(self, exists):
        """The remap step: preflight of the bundle against the mapping (fails before any write) and the change."""
        module, p = self.module, self.p
        params = dict(project_key=self.key, bundle_id=self.bundle_id, connections=p["connections"],
                      code_envs=p["code_envs"], code_envs_behavior=None, exclusive=False)
        if p["connections"] is None and p["code_envs"] is None:
            return dict(changed=False, before=None, after=None, rows=([], []), params=params, after_raw=None)
        state = RemapState(module, self.key, p["source"], imported=self.steps.imported)
        raw = state.settings().get_raw() if exists else {}
        before, after, conn_rows, env_rows, changed, _bundle = remap_plan.plan(
            module, state, raw, params, bundle=self.steps.incoming)
        return dict(changed=changed, before=remap_plan.view(before), after=remap_plan.view(after),
                    rows=(conn_rows, env_rows), params=params, after_raw=after)


class DirectRoute:
    """How ``on_failure`` acts on an automation node this run deploys to directly, under its lock."""

    def __init__(self, run):
        self.run = run
        self.module = run.module

    def restore(self, bundle_id):
        active = self.run.steps.read()[2]
        if active == bundle_id:
            return False
        self.run.steps.activate(active, bundle_id=bundle_id)
        return True

    def verify(self, bundle_id, restored):
        """Re-test the restored bundle (when it was activated again and ``tests`` is set), certify it by its test
        record and release the lock; never deletes a bundle."""
        checks = TestAndCertify(self.module, self.run.key, bundle_id, None)
        exists_ids_active = self.run.steps.read()
        tests = checks.run(restored, self.run.steps.read, exists_ids_active[1:])[1]
        return tests_view(tests)

    def delete_created(self):
        run = self.run
        run.lock.stop_renewing()
        project = self.module.client.get_project(run.key)
        self.module.write_once("delete project %s (created by this run)" % run.key, project.delete,
                               lambda: self.module.find_project(run.key) is None)
        return True

    def release(self):
        self.run.lock.release()

    def read_state(self):
        exists, _ids, active = self.run.steps.read()
        return exists, active
