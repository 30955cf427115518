# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataiku_deployment: read, check (references, Govern, the automation node) before any write, save the settings,
run the update. With ``tests``, the Project Deployer route of a promotion: then test the bundle on the automation
node, certify it by its test record, and on a failure apply ``on_failure`` (see _bundle/recovery.py) - the same
code and the same result keys as dataiku_bundle_deploy."""

from __future__ import annotations

import time

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import outcome
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_tests import (
    predicted_tests, run_tests, tests_option_errors, tests_view)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import equal
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer.automation import AutomationProject
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer.deployment import (
    IN_SYNC, check_automation_node, check_input, check_references, desired_raw, governance_gate, infra_settings,
    last_log, run_update, view)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import (
    Preflight, entry, gates_errors, infra_policy, new_deployment_govern_entry, release_notes, skipped,
    view as gates_view)


class DeploymentRun:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.dep_id = self.p["deployment_id"]
        self.handle = None
        self.exists = False
        self.wrote = False
        self.step = "read"
        self.governance = None  # Govern's status, when the preflight asked it
        self.infra = None  # the infrastructure's raw settings, when the preflight read them

    def run(self):
        module, p = self.module, self.p
        check_input(module)
        errors = gates_errors(p["gates"])
        if errors:
            raise DssError(" ".join(errors))
        if p["tests"] is not None:
            errors = tests_option_errors(dict(p, keep_last=None))
            if errors:
                raise DssError(" ".join(errors))
        self.exists, self.handle, settings = dd.open_object(module, "deployment", "deployment_id")
        if p["tests"] is not None:
            self.run_certified(settings)
        plan = self.plan(self.exists, settings)
        if not module.check_mode and plan["changed"]:
            self.apply(plan, settings)
        self.exit(plan)

    # -- plan (no write) --------------------------------------------------------------------------------------

    def plan(self, exists, settings):
        module, p, dep_id = self.module, self.p, self.dep_id
        if exists:
            current = settings.get_raw()
            if p["published_project_key"] not in (None, current.get("publishedProjectKey")):
                raise DssError("Deployment %s deploys published project %s, which cannot be changed to %s; use "
                               "another deployment_id." % (dep_id, current.get("publishedProjectKey"),
                                                           p["published_project_key"]))
            health, _messages = dd.health(module, dep_id)
        else:
            missing = [o for o in ("published_project_key", "infra_id", "bundle_id") if not p[o]]
            if missing:
                raise DssError("Deployment %s does not exist: set %s to create it." % (dep_id, ", ".join(missing)))
            current = {"id": dep_id, "publishedProjectKey": p["published_project_key"], "infraId": p["infra_id"],
                       "bundleId": p["bundle_id"]}
            health = "OUT_OF_SYNC"
        desired = desired_raw(p, current)
        published = check_references(module, desired, current.get("infraId") if exists else None)
        settings_changed = not exists or not equal(view(current), view(desired))
        in_sync = exists and health in IN_SYNC
        needs_update = p["update"] and (settings_changed or not in_sync)
        changed = settings_changed or needs_update
        gates = self.preflight(exists, published, desired, needs_update or desired["bundleId"] != current.get(
            "bundleId")) if changed else gates_view(skipped("the deployment is in sync with its settings already"))
        if needs_update:
            check_automation_node(module, desired["infraId"], dep_id, self.infra)
        return dict(
            desired=desired, needs_update=needs_update, changed=changed,
            before=dict(view(current), in_sync=in_sync) if exists else {},
            after=dict(view(desired), in_sync=needs_update or (in_sync and not settings_changed),
                       **({"gates": gates["lines"]} if changed and p["gates"] else {})),
            result=dict(deployment=view(desired), bundle_id=desired["bundleId"], gates=gates,
                        previous_bundle_id=current.get("bundleId") if in_sync else None, updated=needs_update))

    def preflight(self, exists, published, desired, asks_govern):
        """Every gate of the bundle for this deployment, before any write: fails with every blocking reason."""
        module, p = self.module, self.p
        bundle_id, published_key, infra_id = desired["bundleId"], desired["publishedProjectKey"], desired["infraId"]
        key = desired.get("deployedProjectKey") or published_key
        check = Preflight(module, key, bundle_id, "infrastructure %s" % infra_id)
        raw_infra = self.infra = infra_settings(module, infra_id)
        infra = infra_policy(raw_infra)
        summary = {}  # not read: no policy asks for it
        if check.standards_policy != "ignore" or infra[0] != "ignore":
            with module.dss_errors("read the Project Standards report of bundle %s" % bundle_id):
                summary = standards.published_bundle_summary(module.client, published_key, bundle_id) if published \
                    else None
        if not exists:
            govern = new_deployment_govern_entry(self.dep_id, bundle_id, infra_id, raw_infra.get("governCheckPolicy"),
                                                 p["ignore_warnings"])
        elif not published:
            govern = entry("govern", "warn", "bundle %s is not published yet: Govern is asked when it is" % bundle_id)
        elif asks_govern:
            self.governance, govern = governance_gate(module, self.dep_id, bundle_id)
        else:
            govern = entry("govern", "skip", "the deployment keeps its bundle %s" % bundle_id)
        notes = release_notes(dd.find_published_project(module, published_key), bundle_id) \
            if (p["gates"] or {}).get("release_notes", "ignore") != "ignore" else None
        entries = check.evaluate(summary, notes, govern, infra)
        holder = {}
        try:
            check.enforce(entries, holder)
        except DssError as exc:
            if self.governance is not None:
                exc.result["governance"] = self.governance
            raise
        return holder["gates"]

    def exit(self, plan, **more):
        health, messages = dd.health(self.module, self.dep_id) if self.exists or self.wrote \
            else ("OUT_OF_SYNC", [])
        result = dict(plan["result"], **more)
        self.module.exit_with(plan["changed"], before=plan["before"], after=plan["after"], health=health,
                              health_messages=messages, **result)

    # -- writes -----------------------------------------------------------------------------------------------

    def apply(self, plan, settings):
        """Create the deployment or save its settings, then run the update (``plan["needs_update"]``)."""
        module, p, dep_id, handle = self.module, self.p, self.dep_id, self.handle
        desired = plan["desired"]
        self.wrote = True
        if settings is None:
            self.step = "create"
            self.create(desired)
            with module.dss_errors("read the settings of deployment %s" % dep_id):
                settings = handle.get_settings()
            desired = desired_raw(p, settings.get_raw())
        if not equal(view(settings.get_raw()), view(desired)):
            self.step = "settings"
            dd.save_settings(module, "deployment", dep_id, handle, settings, desired, view,
                             ignore_warnings=p["ignore_warnings"])
        if plan["needs_update"]:
            self.step = "update"
            report = run_update(module, handle, dep_id, desired["bundleId"], plan["result"]["previous_bundle_id"])
            plan["result"]["update_log"] = last_log(module, handle)
            plan["result"]["update_messages"] = report.get("messages") or []

    def create(self, desired):
        """Create the deployment. DSS answers Govern's status only for a deployment that exists, so for a new one
        this request is the Govern check itself (policy PREVENT, or WARN without ignore_warnings): DSS refuses it
        whole. A refusal, confirmed by a re-read that finds no deployment, fails the run as one that changed
        nothing: the refused request is its only write request, and nothing is restored."""
        module, p, dep_id = self.module, self.p, self.dep_id
        try:
            module.write_once("create deployment %s" % dep_id,
                              lambda: dd.deployer(module).create_deployment(
                                  dep_id, desired["publishedProjectKey"], desired["infraId"], desired["bundleId"],
                                  deployed_project_key=p["deployed_project_key"], ignore_warnings=p["ignore_warnings"]),
                              lambda: dd.find_deployment(module, dep_id) is not None)
        except DssError as exc:
            try:
                refused = dd.find_deployment(module, dep_id) is None
            except DssError:
                refused = False  # unknown: the creation may have happened
            if refused:
                self.wrote = False
                exc.msg = "%s. Nothing was created." % exc.msg.rstrip(".")
            raise

    def update_to(self, bundle_id):
        """Point the deployment at ``bundle_id`` and update it (the roll-back of the Project Deployer route)."""
        module, handle = self.module, self.handle
        with module.dss_errors("read the settings of deployment %s" % self.dep_id):
            settings = handle.get_settings()
        desired = dict(settings.get_raw(), bundleId=bundle_id)
        dd.save_settings(module, "deployment", self.dep_id, handle, settings, desired, view,
                         ignore_warnings=self.p["ignore_warnings"])
        run_update(module, handle, self.dep_id, bundle_id, None)

    # -- the Project Deployer route: test and certify ---------------------------------------------------------

    def run_certified(self, settings):
        """The Project Deployer route: plan, update, test on the automation node, certify; any failure goes through
        ``on_failure`` and one message, as on the direct route."""
        module, p = self.module, self.p
        current = settings.get_raw() if settings is not None else {}
        key = p["deployed_project_key"] or current.get("deployedProjectKey") or current.get("publishedProjectKey") \
            or p["published_project_key"]
        bundle_id = p["bundle_id"] or current.get("bundleId")
        auto = AutomationProject(module, p["automation"], key)
        result = outcome.blank("deployer", key, bundle_id)
        result.update(deployment_id=self.dep_id, on_failure=p["on_failure"])
        try:
            self.certified_update(settings, auto, result)
        except DssError as exc:
            raise outcome.recovery().Recovery(DeployerRoute(self, auto), p["on_failure"]).failed(
                exc, result, "through deployment %s" % self.dep_id, self.step, self.wrote)

    def timed_step(self, result, name, changed, started):
        """Record step ``name`` in the result's ``steps`` (as on the direct route: name, changed, duration)."""
        result["steps"].append(dict(name=name, changed=changed, duration=round(time.monotonic() - started, 3)))

    def certified_update(self, settings, auto, result):
        module = self.module
        bundle_id = result["bundle_id"]
        self.step = "plan"
        started = time.monotonic()
        plan = self.plan(self.exists, settings)
        result["gates"] = plan["result"]["gates"]  # the blank result's None would hide them
        exists, ids, active = auto.read()
        certified = exists and active == bundle_id and auto.passes(bundle_id)
        result.update(previous_bundle_id=active, active_bundle_id=bundle_id, project_created=not exists,
                      rollback_bundle_id=auto.rollback_target(ids, active, bundle_id) if exists else None,
                      certified=certified)
        to_test = plan["changed"] or not certified
        if module.check_mode or not to_test:
            tests = predicted_tests(auto.tests, exists, plan["changed"]) if to_test else None
            self.timed_step(result, "update", plan["changed"], started)
            if to_test:
                self.timed_step(result, "tests", bool(tests and tests["changed"]), time.monotonic())
                self.timed_step(result, "certify", True, time.monotonic())
            result.update(tests=tests_view(tests), certified=True)
            plan["changed"] = plan["changed"] or bool(tests and tests["changed"])
            self.exit(plan, **result)
        if plan["changed"]:
            self.apply(plan, settings)
            # After the update (the activation replaces the variables it finds), for the status table.
            auto.record_gates(bundle_id, plan["result"]["gates"])
        self.timed_step(result, "update", plan["changed"], started)
        self.step = "tests"
        self.wrote = True  # a test run writes too (scenario history, rebuilt datasets)
        started = time.monotonic()
        result["tests"] = tests_view(run_tests(module, auto.tests))
        self.timed_step(result, "tests", True, started)
        self.step = "certify"
        started = time.monotonic()
        auto.certify(bundle_id)
        self.timed_step(result, "certify", True, started)
        plan["changed"] = True
        result.update(certified=True, active_bundle_id=bundle_id)
        self.exit(plan, **result)


class DeployerRoute:
    """How ``on_failure`` acts through the Project Deployer: the deployment is updated back to the last certified
    bundle, which is re-tested on the automation node."""

    def __init__(self, run, auto):
        self.run = run
        self.auto = auto

    def restore(self, bundle_id):
        if self.auto.read()[2] == bundle_id:
            return False
        self.run.update_to(bundle_id)
        return True

    def verify(self, bundle_id, restored):
        tests = run_tests(self.run.module, self.auto.tests) if restored else None
        self.auto.certify(bundle_id)
        return tests_view(tests)

    def delete_created(self):
        module, run = self.run.module, self.run
        module.write_once("delete deployment %s (created by this run)" % run.dep_id, run.handle.delete,
                          lambda: dd.find_deployment(module, run.dep_id) is None)
        self.auto.delete()
        return True

    def release(self):
        return None  # no lock on this route: the Project Deployer serialises the updates of a deployment

    def read_state(self):
        exists, _ids, active = self.auto.read()
        return exists, active
