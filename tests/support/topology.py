"""A promotion landscape with several automation nodes per environment and dependent projects (docs/topologies.md):
dev (design), staging on nodes s1 and s2, prod on nodes p1 (the canary), p2 and p3, and the projects of
``projects`` ({key: [upstream keys]}) seeded on dev as copies of the sample project, each exposing its scores
dataset to its dependents. The fleet description is written in the work directory; every node's URL and key come
from DSS_<ENV>_<NODE>_URL / DSS_<ENV>_<NODE>_API_KEY.

    with TopologyLandscape(tmp_path, {"CUSTOMERS": [], "CHURN": ["CUSTOMERS"]}) as land:
        land.run("promote.yml")
        land.active_bundle("prod_p2", "CHURN")
"""

import os

import yaml

from tests.support import sample_project
from tests.support.emulator import EmulatorNode
from tests.support.promotion import Landscape

NODES = {"dev": ("dev",), "staging": ("s1", "s2"), "prod": ("p1", "p2", "p3")}
CANARY = "p1"


def node_name(env, node):
    """The landscape's name of a node: dev, staging_s1, prod_p1..."""
    return env if env == node else "%s_%s" % (env, node)


def description(projects, nodes=None):
    """The fleet description of this landscape (the shipped one's settings, nodes per automation environment)."""
    nodes = nodes or NODES
    environments = {"dev": {"node_type": "design", "url": {"env": "DSS_DEV_URL"}, "api_key": {"env": "DSS_DEV_API_KEY"}}}
    automation = [env for env in ("staging", "prod") if env in nodes]
    for env in automation:
        connection = sample_project.CONNECTIONS[env]
        environments[env] = {
            "node_type": "automation",
            "nodes": {node: {"url": {"env": "DSS_%s_URL" % node_name(env, node).upper()},
                             "api_key": {"env": "DSS_%s_API_KEY" % node_name(env, node).upper()}}
                      for node in nodes[env]},
            "environment_objects": {"connections": [{"name": connection, "type": "PostgreSQL",
                                                     "params": sample_project.connection_params(env)}],
                                    "code_envs": []},
        }
    if "prod" in environments:
        environments["prod"]["rollout"] = {"canary": CANARY, "batch_size": 1}
    return {
        "environments": environments,
        "projects": {key: {"depends_on": upstream, "tests": {"prefix": "TEST_", "timeout": 600},
                           "environments": {env: {"connections": {"pg_dev": sample_project.CONNECTIONS[env]}}
                                            for env in automation}}
                     for key, upstream in projects.items()},
    }


class TopologyLandscape(Landscape):
    """Landscape (tests/support/promotion.py) on the nodes of ``nodes`` (default NODES); ``land.nodes["prod_p1"]``."""

    def __init__(self, workdir, projects, nodes=None, environment_playbook=True):
        super().__init__(workdir, projects=tuple(projects), environment_playbook=environment_playbook)
        self.dependencies = dict(projects)
        self.layout = nodes or NODES

    def automation_nodes(self):
        return [node_name(env, node) for env, nodes in self.layout.items() if env != "dev" for node in nodes]

    def node_types(self):
        return {node_name(env, node): "design" if env == "dev" else "automation"
                for env, nodes in self.layout.items() for node in nodes}

    def start_nodes(self):
        for name, node_type in self.node_types().items():
            self.nodes[name] = EmulatorNode(node_type).start()

    def start(self):
        if not self.nodes:
            self.start_nodes()
        for key, upstream in self.dependencies.items():
            sample_project.seed_design_project(self.nodes["dev"].client(), key)
            expose(self.nodes["dev"].client(), key, [k for k, up in self.dependencies.items() if key in up])
        self.inventory_dir = self._write_topology()
        os.makedirs(self.git_dir)
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit("first version of the flows")
        self.create_environment_objects(self.automation_nodes())
        return self

    def cache_state(self):
        return dict(super().cache_state(), dependencies=self.dependencies)

    def load_cache_state(self, state):
        super().load_cache_state(state)
        self.dependencies = state["dependencies"]

    def describe(self, projects):
        """Later runs use a description of ``projects`` (no dependencies; seeding them is the caller's job)."""
        self.projects = tuple(projects)
        self.dependencies = {key: [] for key in projects}
        self.inventory_dir = self._write_topology("inventories-%d" % len(self.projects))

    def _write_topology(self, name="inventories"):
        target = os.path.join(self.workdir, name)
        for env in self.layout:
            os.makedirs(os.path.join(target, env))
            with open(os.path.join(target, env, "hosts.yml"), "w", encoding="utf-8") as out:
                out.write("plugin: dataiku_gitops.dss.fleet\ndescription: ../fleet.yml\nenvironments: [%s]\n" % env)
        with open(os.path.join(target, "fleet.yml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(description(self.dependencies, self.layout), out, sort_keys=False)
        return target

    def activation(self, node, project_key):
        """(bundle id, activatedOn) of the project's active bundle on a node, (None, None) without one."""
        client = self.client(node)
        if project_key not in client.list_project_keys():
            return None, None
        state = client.get_project(project_key).get_summary().get("activeBundleState") or {}
        return state.get("bundleId"), state.get("activatedOn")


def expose(client, project_key, to_projects):
    """Share the project's scores dataset with the projects that depend on it (DSS's exposed objects)."""
    if not to_projects:
        return
    settings = client.get_project(project_key).get_settings()
    settings.get_raw()["exposedObjects"] = {"objects": [{
        "type": "DATASET", "localName": sample_project.OUTPUT_DATASET,
        "rules": [{"targetProject": key, "appearOnFlow": True} for key in to_projects]}]}
    settings.save()
