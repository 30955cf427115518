"""`make demo`: a GitOps promotion of a Dataiku project from dev to staging to prod, end to end, on three local
emulated DSS nodes, with the shipped inventories and playbooks (real ansible-playbook, the collection's roles and
modules, the official dataikuapi client).

Plan (--check --diff), promote, status, converged re-run, then a breaking change on dev: staging's smoke test
catches it, staging rolls back, prod is never touched. Exits non-zero when an expectation is not met.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.demo.commit_check import show_commit_check  # noqa: E402
from tests.support import sample_project  # noqa: E402
from tests.support.promotion import Landscape, recap  # noqa: E402

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
    with Landscape(inventory_ports=True) as land:
        for env, node in land.nodes.items():
            print("  %-8s %-10s %s" % (env, node.node_type, node.url))
        print("  dev: project CHURN (customers on pg_dev -> compute_churn_scores -> churn_scores), scenario TEST_SMOKE")
        print("  staging / prod: connections pg_staging / pg_prod (the inventories remap pg_dev to them)")
        print("  git repository for the bundle ids: %s (HEAD -> bundle %s)" % (land.git_dir, land.bundle_id()))
        first = land.bundle_id()

        banner("2. Plan: what would the promotion do? (--check --diff, nothing is written)")
        digests = land.digests()
        result = play(land, "promote.yml", "--check", "--diff")
        expect(result.rc == 0, "the plan runs")
        expect(land.digests() == digests, "no node changed during the plan")

        banner("3. Promote bundle %s: export on dev, deploy + smoke test on staging, then on prod" % first)
        result = play(land, "promote.yml", "--diff")
        expect(result.rc == 0, "the promotion succeeds")
        expect(land.active_bundle("staging") == first, "staging runs %s" % first)
        expect(land.active_bundle("prod") == first, "prod runs %s" % first)
        play(land, "status.yml")

        banner("4. Promote again without a new commit: nothing to do")
        writes = land.writes()
        result = play(land, "promote.yml")
        counts = recap(result.output)
        expect(result.rc == 0 and counts and all(c["changed"] == 0 for c in counts.values()),
               "changed=0 for every host in the recap")
        expect(land.writes() == writes, "zero write requests on the three nodes")

        banner("5. A breaking change on dev: dataset customers (the recipe's input) is deleted, and committed")
        sample_project.break_flow(land.client("dev"))
        second = land.commit("CHURN: drop the customers dataset (oops)")
        print("  new commit -> bundle %s" % second)
        prod_digest = land.nodes["prod"].digest()
        result = play(land, "promote.yml", "--diff")
        expect(result.rc != 0, "the promotion fails")
        expect(land.active_bundle("staging") == first, "staging was rolled back to %s" % first)
        expect(sample_project.SMOKE_SCENARIO in result.output and first in result.output,
               "the failure names the scenario that failed and the bundle restored")
        expect(land.nodes["prod"].digest() == prod_digest, "prod untouched (state digest unchanged), still on %s"
               % land.active_bundle("prod"))
        play(land, "status.yml")
        show_commit_check(land, banner, expect, play)

        expect(not land.leaked_keys(), "no API key in any output")
        banner("6. Stopping the nodes")
    elapsed = time.time() - started
    if FAILURES:
        print("\n\033[31;1mdemo FAILED (%d expectation(s) not met, %.0f s):\033[0m" % (len(FAILURES), elapsed))
        for what in FAILURES:
            print("  - " + what)
        sys.exit(1)
    print("\n\033[32;1mdemo done: every expectation met (%.0f s)\033[0m" % elapsed)


if __name__ == "__main__":
    main()
