"""`make demo`: a GitOps promotion of a Dataiku project from dev to staging to prod, end to end, on three local
emulated DSS nodes, with the shipped inventories and playbooks (real ansible-playbook, the collection's roles and
modules, the official dataikuapi client).

Projects are inventory hosts (the fleet inventory plugin expands inventories/fleet.yml; the demo seeds a second
project, FRAUD, next to CHURN, and runs a copy of the shipped inventories that describes both). Plan (--check --diff),
promote, status, converged re-run (zero writes, no module started beyond one read per node), then a breaking change
to FRAUD on dev: staging's smoke test catches it, staging rolls FRAUD back, prod's FRAUD is never touched while CHURN
goes on to prod. Exits non-zero when an expectation is not met.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.demo.commit_check import show_commit_check  # noqa: E402
from tests.demo.deployer_demo import run_deployer_demo  # noqa: E402
from tests.support import sample_project  # noqa: E402
from tests.support.promotion import Landscape, recap  # noqa: E402

OTHER = "FRAUD"
KEYS = (sample_project.PROJECT_KEY, OTHER)
WORK_MODULES = ("dataiku_bundle_deploy", "dataiku_scenario_run", "dataiku_bundle_certify", "dataiku_bundle")

PROMOTE = "ansible-playbook -i inventories/dev -i inventories/staging -i inventories/prod playbooks/%s"
# Promotions show only what changes (and fails); status.yml's table is an "ok" task, so it shows those too.
QUIET = {"ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false", "ANSIBLE_DISPLAY_OK_HOSTS": "false"}
VERBOSE = {"ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false", "ANSIBLE_DISPLAY_OK_HOSTS": "true"}
FAILURES = []


def banner(text):
    print("\n\033[1;36m%s\n==> %s\n%s\033[0m" % ("=" * 100, text, "=" * 100), flush=True)


def expect(condition, what):
    color, label = ("32", "ok") if condition else ("31;1", "FAILED")
    print("\033[%sm  [%s] %s\033[0m" % (color, label, what), flush=True)
    if not condition:
        FAILURES.append(what)


def play(land, playbook, *args, **kwargs):
    print("$ " + PROMOTE % playbook + "".join(" " + a for a in args), flush=True)
    flags = {"check": "--check" in args, "diff": "--diff" in args}
    rest = [a for a in args if a not in ("--check", "--diff")]
    env = VERBOSE if playbook == "status.yml" else QUIET
    return land.run(playbook, *rest, stream=True, env=env, **dict(flags, **kwargs))


def main():
    started = time.time()
    banner("1. Start three emulated DSS nodes: dev (design), staging and prod (automation)")
    with Landscape(inventory_ports=True, projects=KEYS) as land:
        for env, node in land.nodes.items():
            print("  %-8s %-10s %s" % (env, node.node_type, node.url))
        print("  dev: projects CHURN and FRAUD (customers on pg_dev -> compute_churn_scores -> churn_scores), "
              "scenario TEST_SMOKE")
        print("  staging / prod: connections pg_staging / pg_prod (the fleet description remaps pg_dev to them)")
        print("  inventories: %s (fleet.yml + one plugin config per environment; hosts <env>-<PROJECT_KEY>)"
              % land.inventory_dir)
        print("  git repository for the bundle ids: %s (HEAD -> bundle %s)" % (land.git_dir, land.bundle_id()))
        first = land.bundle_id()

        banner("2. Plan: what would the promotion do? (--check --diff, nothing is written)")
        digests = land.digests()
        result = play(land, "promote.yml", "--check", "--diff")
        expect(result.rc == 0, "the plan runs")
        expect(land.digests() == digests, "no node changed during the plan")

        banner("3. Promote bundle %s: export on dev, deploy + smoke test + certify on staging, then on prod, "
               "the projects in parallel" % first)
        result = play(land, "promote.yml", "--diff")
        expect(result.rc == 0, "the promotion succeeds")
        for key in KEYS:
            expect(land.active_bundle("staging", key) == first and land.certified("staging", key),
                   "staging runs %s for %s, with a passing test record" % (first, key))
            expect(land.active_bundle("prod", key) == first and land.certified("prod", key),
                   "prod runs %s for %s, with a passing test record" % (first, key))
        play(land, "status.yml")

        banner("4. Promote again without a new commit: nothing to do, one read per node")
        writes = land.writes()
        result = play(land, "promote.yml")
        counts = recap(result.output)
        expect(result.rc == 0 and counts and all(c["changed"] == 0 for c in counts.values()),
               "changed=0 for every host in the recap")
        expect(land.writes() == writes, "zero write requests on the three nodes")
        expect(not [t for t in result.tasks if t["action"].endswith(WORK_MODULES) and t["status"] != "skipped"],
               "no deploy, test or certify module started for the converged projects")

        banner("5. A breaking change on dev: FRAUD's dataset customers (the recipe's input) is deleted, and committed")
        sample_project.break_flow(land.client("dev"), OTHER)
        second = land.commit("FRAUD: drop the customers dataset (oops)")
        print("  new commit -> bundle %s (for both projects)" % second)
        prod_fraud_writes = land.nodes["prod"].writes()
        result = play(land, "promote.yml", "--diff")
        expect(result.rc != 0, "the promotion reports the failure")
        expect(land.active_bundle("staging", OTHER) == first, "staging's FRAUD was rolled back to %s" % first)
        expect(sample_project.SMOKE_SCENARIO in result.output and first in result.output,
               "the failure names the scenario that failed and the bundle restored")
        expect(land.active_bundle("prod", OTHER) == first and not [
            t for t in result.tasks if t["host"] == "prod-" + OTHER and t["action"].endswith(WORK_MODULES)
            and t["status"] != "skipped"], "prod's FRAUD untouched (no module ran for it), still on %s" % first)
        expect(land.active_bundle("prod", sample_project.PROJECT_KEY) == second
               and land.nodes["prod"].writes() > prod_fraud_writes,
               "CHURN, independent, passed staging and reached prod with %s" % second)
        play(land, "status.yml")
        show_commit_check(land, banner, expect, play)

        expect(not land.leaked_keys(), "no API key in any output")
        banner("6. Stopping the nodes")
    # The Project Deployer route on nodes of its own: a bundle refused by Govern on prod, then signed off and deployed.
    run_deployer_demo(banner, expect)
    elapsed = time.time() - started
    if FAILURES:
        print("\n\033[31;1mdemo FAILED (%d expectation(s) not met, %.0f s):\033[0m" % (len(FAILURES), elapsed))
        for what in FAILURES:
            print("  - " + what)
        sys.exit(1)
    print("\n\033[32;1mdemo done: every expectation met (%.0f s)\033[0m" % elapsed)


if __name__ == "__main__":
    main()
