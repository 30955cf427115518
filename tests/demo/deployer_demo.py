"""The Project Deployer segment of `make demo`, runnable on its own (`.venv/bin/python tests/demo/deployer_demo.py`).

dev (design node with a local Project Deployer), staging and prod (automation nodes); infrastructures staging
(Govern policy NO_CHECK) and prod (PREVENT). The role dataiku_gitops.dss.deployer_deploy ships bundle v1 to staging,
is refused on prod until v1 is signed off in Govern, then ships it; a bundle v2 that breaks the flow is signed off,
fails its tests on prod, and prod is rolled back to v1.

`run_deployer_demo(banner, expect)` is what tests/demo/demo.py calls with its own printers; it returns the number
of expectations that were not met.
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support.deployer_landscape import DeployerLandscape  # noqa: E402
from tests.support.sample_project import PROJECT_KEY, break_flow  # noqa: E402

COMMAND = "ansible-playbook -i inventory.yml playbooks/promote.yml --limit %s -e dss_bundle_id=%s"


def _print_banner(text):
    print("\n\033[1;36m%s\n==> %s\n%s\033[0m" % ("=" * 100, text, "=" * 100), flush=True)


def _failed_message(result, env):
    host = "%s-%s" % (env, PROJECT_KEY)
    failed = [t for t in result.tasks if t["host"] == host and t["status"] == "failed"]
    return failed[-1]["result"].get("msg", "") if failed else ""


def run_deployer_demo(banner=_print_banner, expect=None):
    """Run the segment; returns how many expectations failed."""
    misses = []

    def check(condition, what):
        if expect is not None:
            expect(condition, what)
        else:
            color, label = ("32", "ok") if condition else ("31;1", "FAILED")
            print("\033[%sm  [%s] %s\033[0m" % (color, label, what), flush=True)
        if not condition:
            misses.append(what)

    def deploy(land, env, bundle_id):
        print("$ " + COMMAND % (env, bundle_id), flush=True)
        result = land.deploy(env, bundle_id)
        message = _failed_message(result, env)
        if message:
            print("  " + message, flush=True)
        return result

    with tempfile.TemporaryDirectory(prefix="deployer-demo-") as workdir:
        banner("Deployer route: dev (design + local Project Deployer), staging and prod (automation)")
        with DeployerLandscape(workdir) as land:
            for env, node in land.nodes.items():
                print("  %-8s %-10s %s" % (env, node.node_type, node.url))
            print("  infrastructures: staging (Govern policy NO_CHECK), prod (PREVENT: Govern sign-off required)")
            land.export("v1")

            banner("Deployer route: publish v1 and deploy it to staging; tests certify it")
            result = deploy(land, "staging", "v1")
            check(result.rc == 0 and land.active("staging") == "v1", "staging runs v1 and its tests passed")

            banner("Deployer route: prod refuses v1 until it is signed off in Govern")
            result = deploy(land, "prod", "v1")
            message = _failed_message(result, "prod")
            check(result.rc != 0 and "governance status: PENDING" in message and land.active("prod") is None,
                  "prod refused bundle v1 (governance status: PENDING), nothing deployed")
            print("$ curl -X POST -d '{\"status\": \"APPROVED\"}' %s/__emulator__/govern/%s/v1"
                  % (land.nodes["dev"].url, PROJECT_KEY), flush=True)
            land.sign_off("v1")
            result = deploy(land, "prod", "v1")
            check(result.rc == 0 and land.active("prod") == "v1", "signed off: prod runs v1")

            banner("Deployer route: v2 breaks the flow; signed off, it fails its tests on prod and is rolled back")
            break_flow(land.nodes["dev"].client())
            land.export("v2")
            land.publish("v2")
            land.sign_off("v2")
            result = deploy(land, "prod", "v2")
            message = _failed_message(result, "prod")
            rolled_back = "Rolled back to bundle v1, the last bundle with a passing test record" in message
            check(result.rc != 0 and rolled_back and land.active("prod") == "v1",
                  "prod tests failed on v2 and prod is back on v1")
    return len(misses)


if __name__ == "__main__":
    sys.exit(1 if run_deployer_demo() else 0)
