"""A deployer-route landscape for the role tests and the demo: dev (design node, local Project Deployer), staging
and prod (automation nodes), infrastructures `staging` (NO_CHECK) and `prod` (PREVENT), and a hand-written
inventory with one host per (environment, project) setting the promotion contract's host vars. Deployments go
through the shipped `playbooks/promote.yml`, which picks the role deployer_deploy for hosts whose route is
`deployer`."""

import json
import os
import urllib.request

import yaml

from tests.support.emulator import EmulatorNode
from tests.support.playbook import run_playbook
from tests.support.sample_project import PROJECT_KEY, seed_connection, seed_design_project

POLICIES = {"staging": "NO_CHECK", "prod": "PREVENT"}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = [{"ansible.builtin.import_playbook": os.path.join(ROOT, "playbooks", "promote.yml")}]


def govern(node, project_key, bundle_id, status=None):
    """Sign a bundle off (APPROVED), reject it (REJECTED) or read its status, through the emulator-only control
    endpoint that stands in for Dataiku Govern."""
    url = "%s/__emulator__/govern/%s/%s" % (node.url, project_key, bundle_id)
    data = json.dumps({"status": status, "by": "risk-officer"}).encode() if status else None
    req = urllib.request.Request(url, data=data, method="POST" if status else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


class DeployerLandscape:
    NODE_TYPES = {"dev": "design", "staging": "automation", "prod": "automation"}

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.inventory = os.path.join(self.workdir, "inventory.yml")
        self.nodes = {}
        self._own_nodes = True

    def node_types(self):
        return dict(self.NODE_TYPES)

    def use_nodes(self, nodes):
        """Run on these started, fresh nodes ({name: EmulatorNode}) instead of nodes of its own (left running)."""
        self.nodes = dict(nodes)
        self._own_nodes = False
        return self

    def start(self):
        if not self.nodes:
            self.nodes = {name: EmulatorNode(node_type).start() for name, node_type in self.NODE_TYPES.items()}
        dev = self.nodes["dev"].client()
        seed_design_project(dev)
        deployer = dev.get_projectdeployer()
        for env, policy in POLICIES.items():
            node = self.nodes[env]
            seed_connection(node.client(), env)
            infra = deployer.create_infra(env, "Production" if env == "prod" else "Test", policy)
            settings = infra.get_settings()
            raw = settings.get_raw()
            raw.update(automationNodeUrl=node.url, adminApiKey=node.api_key)
            settings.save()
        self.write_inventory()
        return self

    def close(self):
        if self._own_nodes:
            for node in self.nodes.values():
                node.close()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    # -- landscape cache (tests/support/landscape.py): the inventory names the nodes, so it is written again --------

    def cached_paths(self):
        return []

    def cache_state(self):
        return {}

    def load_cache_state(self, _state):
        self.write_inventory()

    def write_inventory(self):
        with open(self.inventory, "w", encoding="utf-8") as out:
            yaml.safe_dump(self.inventory_doc(), out, sort_keys=False)

    def inventory_doc(self):
        dev = self.nodes["dev"]
        children = {}
        for env in POLICIES:
            node = self.nodes[env]
            children[env] = {"hosts": {"%s-%s" % (env, PROJECT_KEY): {
                "dss_env": env, "dss_project_key": PROJECT_KEY, "dss_node_type": "automation",
                "dss_url": node.url, "dss_api_key": node.api_key, "dss_validate_certs": True,
                "dss_route": "deployer", "dss_design_host": "dev-%s" % PROJECT_KEY,
                "dss_connections": {"pg_dev": "pg_%s" % env},
                "dss_tests": {"prefix": "TEST_", "timeout": 60},
                "dss_deployer": {"url": dev.url, "api_key": dev.api_key, "infra_id": env},
            }}}
        children["dss_automation"] = {"children": {env: {} for env in POLICIES}}
        return {"all": {"vars": {"ansible_connection": "local",
                                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                        "children": children}}

    def export(self, bundle_id):
        self.nodes["dev"].client().get_project(PROJECT_KEY).export_bundle(bundle_id)

    def publish(self, bundle_id):
        """Publish an exported bundle by hand (what a release manager does to ask Govern for a sign-off)."""
        self.nodes["dev"].client().get_project(PROJECT_KEY).publish_bundle(bundle_id)

    def sign_off(self, bundle_id, status="APPROVED"):
        return govern(self.nodes["dev"], PROJECT_KEY, bundle_id, status)

    def deploy(self, env, bundle_id, check=False, diff=False, **extra):
        dev = self.nodes["dev"]
        extra_vars = dict({"dss_bundle_id": bundle_id,
                           "dss_bundle_source": {"url": dev.url, "api_key": dev.api_key}}, **extra)
        return run_playbook(self.workdir, playbook=PLAYBOOK, inventory=self.inventory, check=check, diff=diff,
                            extra_vars=extra_vars, args=("--limit", env), name="deploy-%s" % env)

    def active(self, env):
        """The active bundle of the project on env's node; None when there is none or no project."""
        for summary in self.nodes[env].client().list_projects():
            if summary["projectKey"] == PROJECT_KEY:
                return (summary.get("activeBundleState") or {}).get("bundleId")
        return None

    def quiet(self):
        return {env: (node.writes(), node.digest()) for env, node in self.nodes.items()}
