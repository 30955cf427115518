# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project a Project Deployer deployment runs on its automation node, as the deploy path sees it: its bundles
and active bundle, its test scenarios, its per-bundle test records - read with the same code as the direct route."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import testing_status as record
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.certify import check_certified
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy import rollback_target
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_module import OnNode
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.importing import BundleImport
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.preflight import recorded_decision
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runs import ScenarioTests


def automation_argument_spec():
    """Another node's connection, as the ``source`` option of the direct route has it (without the bundle)."""
    spec = source_argument_spec()
    for name in ("project_key", "bundle_id"):
        spec["options"].pop(name)
    return spec


class AutomationProject:
    def __init__(self, module, connection, project_key):
        url = module._checked_url(connection["url"], "automation.url")
        client = module.make_client(url, connection["api_key"], connection["validate_certs"], connection["ca_path"],
                                    option="automation.url")
        self.node = OnNode(module, client, url)
        self.key = project_key
        self.warning_is_failure = module.params["warning_is_failure"]
        self.bundles = BundleImport(self.node, project_key, None)
        self.tests = ScenarioTests(self.node, project_key, module.params["tests"], self.warning_is_failure)

    def read(self):
        """(project exists, imported bundle ids, active bundle id)."""
        return self.bundles.read()

    def passes(self, bundle_id):
        with self.node.dss_errors("read the testing status of bundle %s of project %s" % (bundle_id, self.key)):
            return record.passes(record.testing_status(self.node.client, self.key, bundle_id), self.warning_is_failure)

    def rollback_target(self, ids, active, bundle_id):
        return rollback_target(self.node, self.key, ids, active, bundle_id, self.warning_is_failure)

    def certify(self, bundle_id):
        return check_certified(self.node, self.key, bundle_id, self.read()[2], self.warning_is_failure)

    def record_gates(self, bundle_id, gates):
        """Record the gates' decision about ``bundle_id`` in the project's local variables, as the direct route does
        with its lock (this route has no lock: one write of its own, only when the gates were evaluated)."""
        extra = recorded_decision(bundle_id, gates)
        if not extra:
            return False
        node, project = self.node, self.node.client.get_project(self.key)
        with node.dss_errors("read the variables of project %s" % self.key):
            variables = project.get_variables()
        local = variables.get("local") if isinstance(variables.get("local"), dict) else {}
        if all(local.get(name) == value for name, value in extra.items()):
            return False
        desired = dict(variables, local=dict(local, **extra), standard=variables.get("standard") or {})

        def recorded():
            with node.dss_errors("read the variables of project %s" % self.key):
                now = project.get_variables().get("local") or {}
            return all(now.get(name) == value for name, value in extra.items())
        node.write_once("record the gates' decision in the variables of project %s" % self.key,
                        lambda: project.set_variables(desired), recorded)
        return True

    def delete(self):
        node = self.node
        if node.find_project(self.key) is not None:
            node.write_once("delete project %s (created by this run)" % self.key, node.client.get_project(self.key).delete,
                            lambda: node.find_project(self.key) is None)
