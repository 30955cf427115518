# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
short_description: One inventory host per (environment, node, Dataiku DSS project) from one fleet description
version_added: 0.1.0
description:
  - Reads one shared YAML description of the DSS fleet (O(description)) listing the environments (node URL,
    credentials by reference, node type, route) and the projects (per-environment connection and code env mappings,
    test scenarios, route options), and adds one host per (environment, project), named C(<env>-<PROJECT_KEY>), for
    the environments this configuration selects (O(environments)).
  - "An automation environment with several nodes (C(nodes)) gets one host per (environment, node, project) instead,
    named C(<env>-<node>-<PROJECT_KEY>), for the nodes each project lists (by default all of the environment's),
    with its node's URL, credentials, TLS settings and remapping overrides (docs/topologies.md)."
  - Projects become hosts so that C(forks) (and AWX job slicing) promote them in parallel and each one independently.
  - Groups are the environment name (C(dev), C(staging), C(prod), ...), C(dss_design) or C(dss_automation) after the
    node type, C(project_<PROJECT_KEY>), and C(dss_node_<env>_<node>) for the hosts of one node of an environment
    with several nodes (the hosts of a node are added next to each other, node after node).
  - Every host gets C(ansible_connection=local) (tasks talk to DSS over its REST API from the controller),
    C(ansible_python_interpreter) set to the controller's Python, and the variables C(dss_env), C(dss_project_key),
    C(dss_node_type), C(dss_url), C(dss_api_key), C(dss_validate_certs), C(dss_ca_path) (when set), C(dss_route),
    C(dss_connections), C(dss_code_envs), C(dss_tests) (C(prefix), C(scenarios), C(warning_is_failure), C(timeout),
    C(if_no_scenarios)), C(dss_deployer), C(dss_design_host) (the design host of the same project),
    C(dss_design_node) (C(url), C(api_key), C(validate_certs), C(ca_path) of the design environment, so the design
    node is always verified with its own TLS settings), C(dss_environment_objects) and C(dss_gates) (when the
    environment sets them), and on automation environments that receive bundles certified elsewhere C(dss_gate_env), C(dss_gate_host) and
    C(dss_gate_node) (the environment whose passing test record a bundle needs first, see C(certified_on)).
  - "Topology variables, only where they apply: C(dss_node) and C(dss_node_group) (a node of an environment with
    several nodes), C(dss_gate_hosts) and C(dss_gate_nodes) (host -> C(url), C(api_key), C(validate_certs),
    C(ca_path)) when the gate environment has several nodes (every one must certify the bundle; C(dss_gate_host)
    and C(dss_gate_node) are then its first), C(dss_rollout) (C(canary), C(max_fail_percentage)),
    C(dss_rollout_phase), C(dss_rollout_step) and C(dss_rollout_steps) (the deploy order of an automation
    environment with several nodes or C(depends_on)), C(dss_wave), C(dss_depends_on) and C(dss_upstream_hosts)
    (the hosts of the upstream projects on the same node)."
  - "C(depends_on) is checked when the inventory is parsed: an unknown project, a cycle (named in full) or an
    upstream project missing from a node its dependent is deployed to fails the inventory."
  - "Credentials are never literal: C(api_key) is C({env: VARIABLE}) (or a list of variables, the first one set
    wins) or C({var: INVENTORY_VARIABLE}) (for example a Vault-encrypted variable); the host variable is a lazy
    template resolved when a task runs. A literal key in the description is refused."
  - The description is validated as a whole; any invalid entry fails the inventory with a message naming the entry
    and what is allowed.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [dataiku_gitops.dss.fleet]
  description:
    description:
      - Path of the fleet description. A relative path is relative to the directory of this configuration file.
    type: str
    default: ../fleet.yml
  environments:
    description:
      - Environments of the description to add hosts for. Empty adds every environment.
      - One configuration per environment (C(inventories/<env>/hosts.yml)) lets C(-i inventories/staging) target
        staging only while the three together drive the whole promotion.
    type: list
    elements: str
    default: []
  projects:
    description:
      - Project keys to add hosts for. Empty adds every project of the description.
    type: list
    elements: str
    default: []
notes:
  - "Description format: a mapping with C(environments) (name -> C(node_type) V(design) or V(automation), C(url)
    (a string or C({env: VARIABLE, default: URL})), C(api_key), C(validate_certs) (default V(true)), C(ca_path),
    C(route) (V(direct) or V(deployer), default V(direct)), C(deployer) (a mapping for the deployer route) and
    C(environment_objects), C(certified_on): the automation environment that must have certified a bundle before
    this one receives it, by default the previous automation environment, null for none), C(gates) (the preflight
    gates of the environment - C(project_standards), C(min_severity), C(release_notes) as the deploy modules'
    C(gates) option has them, see the Gates section of docs/promotion.md) and C(projects) (key ->
    C(tests), C(route), C(deployer) and C(environments): name ->
    C(connections), C(code_envs), C(tests), C(route), C(deployer)). Exactly one environment is of type design."
  - "Several nodes in an automation environment: C(nodes) (name, lower case -> C(url) (required), C(api_key),
    C(validate_certs), C(ca_path) (the environment's C(api_key), C(validate_certs) and C(ca_path) are their
    defaults, its C(url) is then refused), C(connections) and C(code_envs) (remapping overrides merged over each
    project's for that environment), C(deployer) (merged over the project's, e.g. the node's C(infra_id))) and
    C(rollout) (C(canary) - a node deployed first, C(batch_size) - nodes per
    batch after it, default all, C(max_fail_percentage) - the failed share of a batch above which the later batches
    are held back, default 0). A project's environment entry may list C(nodes) (default all)."
  - "Dependencies between projects: C(depends_on) (a list of project keys) in a project; an upstream project's
    bundle is activated before its dependents' on every node (docs/topologies.md)."
  - Every project gets a host in every selected environment; project-level settings are merged under the
    environment-level ones (C(deployer)) or over the defaults (C(tests)).
"""

EXAMPLES = r"""
# inventories/staging/hosts.yml: the staging hosts of the shared description inventories/fleet.yml
plugin: dataiku_gitops.dss.fleet
description: ../fleet.yml
environments: [staging]

# inventories/fleet.yml (the shared description):
# environments:
#   dev:
#     node_type: design
#     url: {env: DSS_DEV_URL, default: "http://127.0.0.1:11210"}
#     api_key: {env: [DSS_DEV_API_KEY, DATAIKU_API_KEY]}
#   staging:
#     node_type: automation
#     url: https://dss-staging.example.com
#     api_key: {var: vault_dss_staging_api_key}
#     ca_path: /etc/pki/dss-ca.pem
# projects:
#   CHURN:
#     tests: {prefix: TEST_, timeout: 600}
#     environments:
#       staging: {connections: {pg_dev: pg_staging}}

# An environment with three nodes, a canary first, and a project that needs another one's bundle first
# (hosts prod-eu1-CUSTOMERS, prod-eu1-CHURN, prod-eu2-CUSTOMERS, ...):
# environments:
#   prod:
#     node_type: automation
#     api_key: {env: DSS_PROD_API_KEY}
#     nodes:
#       eu1: {url: "https://dss-prod-eu1.example.com"}
#       eu2: {url: "https://dss-prod-eu2.example.com", connections: {pg_dev: pg_prod_eu2}}
#       us1: {url: "https://dss-prod-us1.example.com", api_key: {var: vault_dss_prod_us1_api_key}}
#     rollout: {canary: eu1, batch_size: 1}
# projects:
#   CUSTOMERS: {}
#   CHURN:
#     depends_on: [CUSTOMERS]
#     environments:
#       prod: {nodes: [eu1, eu2]}
"""

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import FleetError, expand

PLUGIN_NAMES = ("dataiku_gitops.dss.fleet",)


class InventoryModule(BaseInventoryPlugin):
    NAME = "dataiku_gitops.dss.fleet"
    # The variables are templates this plugin writes itself from a file of the repository (lazy credential lookups).
    trusted_by_default = True

    def verify_file(self, path):
        """A YAML file whose ``plugin`` names this plugin (any file name: inventories/<env>/hosts.yml is one)."""
        if not super().verify_file(path) or not path.endswith((".yml", ".yaml")):
            return False
        try:
            with open(path, encoding="utf-8") as handle:
                head = handle.read(4096)
        except OSError:
            return False
        return any(line.split("#", 1)[0].strip() in ("plugin: %s" % name for name in PLUGIN_NAMES)
                   for line in head.splitlines())

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        description_path = self.get_option("description")
        if not os.path.isabs(description_path):
            description_path = os.path.join(os.path.dirname(os.path.abspath(path)), description_path)
        description_path = os.path.normpath(description_path)
        if not os.path.isfile(description_path):
            raise AnsibleParserError("fleet description %s (option description of %s) does not exist"
                                     % (description_path, path))
        # One parse per run: the sources of one fleet (-i inventories/dev -i inventories/staging ...) share this
        # description, and a 1,000-project one takes a second to parse. Handed out without a copy (unsafe): expand()
        # only reads it and set_variable copies what it stores.
        description = loader.load_from_file(description_path, cache="all", unsafe=True)
        try:
            hosts = expand(description, self.get_option("environments") or None,
                           self.get_option("projects") or None)
        except FleetError as exc:
            raise AnsibleParserError("%s: %s" % (description_path, exc)) from None
        for name, groups, host_vars in hosts:
            for group in groups:
                self.inventory.add_group(group)
                self.inventory.add_host(name, group=group)
            for var, value in host_vars.items():
                self.inventory.set_variable(name, var, value)
