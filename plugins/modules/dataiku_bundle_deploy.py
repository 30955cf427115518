#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_deploy
short_description: Deploy a bundle to a Dataiku DSS automation node in one step (lock, import, remap, activate, test, certify)
version_added: 0.1.0
description:
  - One invocation deploys bundle O(bundle_id) of project O(project_key) to the automation node at O(url) -
    B(lock) the project on the node, B(preflight) (the bundle's connections and code envs resolve with the
    mapping), B(import) the archive (streamed from O(source) or O(src); creates the project on a first deployment),
    B(remap) (O(connections), O(code_envs)), B(activate) (preload then activate) - and reports each step with its
    own C(changed) and diff in RV(steps).
  - With O(tests), the same invocation then B(tests) the bundle (runs its test scenarios as
    M(dataiku_gitops.dss.dataiku_scenario_run) does) and B(certifies) it (the bundle is still the active one, it has
    a passing test record, the lock is still this run's), then applies retention (O(keep_last)) and releases the
    lock. One module start per project; each step keeps its own C(changed) and diff in RV(steps).
  - Every check happens before the first write. Check mode predicts every step exactly, including for a bundle not
    imported yet (read through O(source), or from O(src)); with O(tests) it predicts which scenarios run and what
    retention deletes, assuming the tests pass (a plan cannot run them), and RV(rollback_bundle_id) says what a
    failure would roll back to.
  - Without O(tests) it never deletes a bundle, and it keeps the lock when the task ends (the tests and the
    certification are then the caller's; M(dataiku_gitops.dss.dataiku_deploy_lock) releases it). The deployment lock
    is taken whenever something changes or the bundle has no passing test record yet. A project already on
    O(bundle_id) with a passing test record is left alone, without any write (with O(tests) its tests do not run
    again; only O(keep_last) may delete old bundles).
  - B(When a step fails) after this run's first write (import, remap, activation, tests, certification), the task
    applies O(on_failure) - V(rollback) activates RV(rollback_bundle_id) again, re-tests it, certifies it and
    releases the lock - then fails with one line saying what failed, what was restored and which bundle is active
    now, and the same result keys as on success (RV(error), RV(rolled_back), RV(active_bundle_id), RV(tests)...).
    RV(rollback_bundle_id) is the last bundle with a passing test record on the node, not merely the one active
    before the task, so a bundle left active and untested by an interrupted run is never the roll-back target.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
  - dataiku_gitops.dss.dss.source
  - dataiku_gitops.dss.deploy
options:
  project_key:
    description:
      - Key of the project on the automation node, for example V(CHURN_MODEL).
      - On a first deployment the project is created from the bundle, under the key it was exported from; the task
        fails before uploading when that is not O(project_key).
    type: str
    required: true
  bundle_id:
    description: Id of the bundle to deploy (letters, digits, V(_), V(.) and V(-)).
    type: str
    required: true
  src:
    description:
      - Path on the controller of the bundle archive, when the bundle is not imported yet. Mutually exclusive with
        O(source).
    type: path
  source:
    description:
      - The design node the bundle is exported on, read only when the bundle is not imported yet. The archive is
        streamed from it to the automation node without a local copy.
      - In check mode a bundle not exported there yet fails the task, as the real run will, unless O(expect_export)
        says an earlier task of the same run exports it.
      - When the task activates a bundle, the git history of the design project is also read there for RV(changes)
        (the commits and files the activation brings).
  connections:
    description:
      - Connection remapping applied before activation, C(design connection -> connection on this node). Entries
        not listed are kept. Every connection the bundle requires must resolve (checked before any write).
    type: dict
  code_envs:
    description: Code env remapping applied before activation, C(design code env -> code env on this node).
    type: dict
  lock_owner:
    description:
      - Id of this run (for example the AWX job id or the CI pipeline id), recorded as the owner of the lock. The
        same owner re-enters its own lock, so a roll-back in the same run goes through.
      - At most 100 characters.
    type: str
    required: true
  lock_timeout:
    description:
      - Length in seconds of the lease the lock is (at least 3). The task renews the lease every third of it while
        it works (import, activation, test runs), so a live run keeps its lock however long it takes, and the lock
        of a run that died (killed runner, node restarted) lapses within this time - the next run then takes it over
        with no manual step.
      - Without O(tests) the lock is kept when the task ends and no longer renewed; the tests and the
        certification must then follow within this time.
    type: int
    default: 300
  expect_export:
    description:
      - Check mode only. V(true) when an earlier task of the same run exports O(bundle_id) on O(source) (a plan does
        not run it), so that a bundle not exported yet is predicted to be imported. V(false) (the default) - a bundle
        not exported yet fails the plan exactly as it fails the real run.
    type: bool
    default: false
  break_lock:
    description:
      - Take the lock over even when another run holds it and it has not expired. Use it only to release the lock of
        a run that is known to be dead (killed runner, cancelled job).
    type: bool
    default: false
  keep_last:
    description:
      - After a successful certification only, delete the oldest imported bundles so that at most this many remain.
        Never deletes O(bundle_id), nor the bundle active before the task when O(keep_last) is 2 or more.
      - Requires O(tests).
    type: int
notes:
  - B(The lock.) It is a lease - the project-local variable C(dataiku_gitops_lock) (C({owner, expires})) of the
    project on the automation node, renewed by the task every third of O(lock_timeout) from a background thread.
    Local variables stay on the node and survive activation. DSS offers no atomic compare-and-set,
    so the lock is taken by writing it, waiting briefly and reading it back; two runs would both believe they hold it
    only if they wrote it within that short window of each other. The certification step re-checks, before
    certifying, that the lock is still its own and that the bundle is still the active one, so such a race can fail
    a run but cannot certify an untested bundle.
  - The lock of a dead run is no longer renewed and lapses within O(lock_timeout); to take it over earlier, re-run
    with O(break_lock=true), or delete the local variable C(dataiku_gitops_lock) of the project in DSS.
  - A request that a dead run had sent (an activation, a scenario start) still runs to its end on DSS. Keep
    O(lock_timeout) longer than the longest of them, as the default is, so that the next run cannot take the lock
    over while one is still running.
  - On a first deployment the lock is held before the first upload too - the task creates the project empty, with its
    claim in the project description (DSS refuses to create a project that exists, so exactly one run creates it),
    takes the lock in its variables, then imports the bundle into it. A second run is refused before it writes
    anything (at most its refused creation request). The project is created under the identity of the API key
    (C(GET /auth/info)).
  - Taking the lock is not reported as a change (it is released by the same run); RV(lock) and RV(steps) show it.
  - With O(tests), running the scenarios is reported as a change (as M(dataiku_gitops.dss.dataiku_scenario_run)
    does) - a run adds to the scenario history and usually rebuilds datasets.
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_state_info
  - module: dataiku_gitops.dss.dataiku_deploy_lock
  - module: dataiku_gitops.dss.dataiku_deployment
  - module: dataiku_gitops.dss.dataiku_scenario_run
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: Deploy, test and certify in one task, keeping the last 3 bundles
  dataiku_gitops.dss.dataiku_bundle_deploy:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN
    bundle_id: "git-{{ git_sha[:12] }}"
    source:
      url: https://dss-design.example.com:11200
      api_key: "{{ design_api_key }}"
    connections:
      pg_dev: pg_prod
    lock_owner: "{{ awx_job_id | default(run_id) }}"
    tests:
      prefix: TEST_
      junit_xml: "{{ playbook_dir }}/reports/CHURN.xml"
    keep_last: 3
  register: deployed

- name: Only deploy an archive from the controller (tests and certification follow as separate tasks)
  dataiku_gitops.dss.dataiku_bundle_deploy:
    url: https://dss-staging.example.com:11200
    api_key: "{{ staging_api_key }}"
    project_key: FRAUD
    bundle_id: v42
    src: /srv/bundles/FRAUD-v42.zip
    code_envs:
      py311_dev: py311_staging
    lock_owner: "{{ run_id }}"
  register: imported
"""

RETURN = r"""
route:
  description: V(direct) - the route of the deployment, as M(dataiku_gitops.dss.dataiku_deployment) reports V(deployer).
  returned: always
  type: str
  sample: direct
project_key:
  description: The project key.
  returned: always
  type: str
  sample: CHURN
error:
  description: Null on success; on a failure, the message of the step that failed (before what was restored).
  returned: always
  type: str
rolled_back:
  description: Whether O(on_failure) activated RV(rollback_bundle_id) again, and it passed its certification.
  returned: always
  type: bool
rollback:
  description:
    - On a failure after the first write with O(on_failure=rollback) or O(on_failure=delete_project) and a roll-back
      target - C(bundle_id), C(changed) (whether it was activated again), C(tests) (its re-test) and C(error) (why
      the roll-back failed, null when it passed). Null otherwise.
  returned: on failure
  type: dict
project_deleted:
  description: Whether O(on_failure=delete_project) deleted the project this run created.
  returned: on failure
  type: bool
on_failure:
  description: O(on_failure), as the plan applies it.
  returned: success
  type: str
bundle_id:
  description: The bundle deployed.
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
previous_bundle_id:
  description: The bundle active before the task, null on a first deployment.
  returned: always
  type: str
  sample: git-0123456789ab
rollback_bundle_id:
  description:
    - The bundle a failure of this deployment rolls back to - the last bundle with a passing test record on this node
      (the active one when it has one, else the newest imported bundle that has one), never O(bundle_id). Null when
      no other bundle of the project passed its tests on this node (a first deployment).
    - Also returned when the task fails, and predicted in check mode.
  returned: always
  type: str
  sample: git-0123456789ab
active_bundle_id:
  description: The bundle active after the task (predicted in check mode).
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
project_created:
  description: Whether the project was (would be) created by this run (a first deployment).
  returned: always
  type: bool
imported:
  description: Whether the bundle was (would be) uploaded.
  returned: always
  type: bool
activated:
  description: Whether the bundle was (would be) activated.
  returned: always
  type: bool
certified:
  description:
    - Without O(tests) - whether O(bundle_id) already has a passing test record on this node (tests done while it was
      active). When false, run the test scenarios, then this module with O(tests) to certify it.
    - With O(tests) - true once the task certified the bundle (the task fails otherwise); in check mode, the
      prediction that the tests pass.
  returned: always
  type: bool
tests:
  description:
    - With O(tests), the test runs as M(dataiku_gitops.dss.dataiku_scenario_run) reports them - C(summary) (counts
      per outcome), C(failed_scenarios), C(junit_xml) (path written or null) and C(results) (one entry per scenario).
      Null when no test ran (the bundle was already certified). Also returned when the task fails on a test.
  returned: always
  type: dict
  sample: {summary: {total: 1, success: 1, warning: 0, failed: 0, aborted: 0, not_run: 0}, failed_scenarios: [],
           junit_xml: null, results: []}
deleted_bundle_ids:
  description: With O(tests), the bundles O(keep_last) deleted (would delete, in check mode).
  returned: when O(tests) is set
  type: list
  elements: str
lock:
  description:
    - The lock this run holds after the task (C(owner), C(expires) in epoch seconds), null when none was needed or
      (with O(tests)) once released.
  returned: always
  type: dict
  sample: {owner: "awx-1234", expires: 1767225600}
steps:
  description:
    - One entry per step, in order, with C(name), C(changed), C(duration) (seconds spent in the step) and, when it
      changes something, C(diff) - C(lock),
      C(preflight), C(import), C(remap), C(activate), and with O(tests) C(tests) (C(summary), or C(skipped) with the
      reason) and C(certify) (C(certified), C(record) - the test record read, C(deleted_bundle_ids),
      C(lock_released)).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: lock, changed: false, lock: {owner: awx-1234, expires: 1767225600}}
    - {name: preflight, changed: false, resolution: []}
    - {name: import, changed: true, diff: {before: {bundle_ids: [b1]}, after: {bundle_ids: [b1, b2]}}}
    - {name: remap, changed: false}
    - {name: activate, changed: true, diff: {before: {active_bundle_id: b1}, after: {active_bundle_id: b2}}}
    - {name: tests, changed: true, summary: {total: 1, success: 1, warning: 0, failed: 0, aborted: 0, not_run: 0}}
    - {name: certify, changed: false, certified: true, record: {nb_ran: 1, outcomes: {SUCCESS: 1}},
       deleted_bundle_ids: [], lock_released: true}
changes:
  description:
    - What the activation changes (the release notes of the deployment), read from the git of the design project
      O(source) names - the commits and files changed between the commit of the bundle active on this node and the
      commit of O(bundle_id). Also in the diff, under C(changes) - the commit each side runs (C(before.commit),
      C(after.commit)), the commits that come in (C(after.commits)) or, on a roll-back, go away
      (C(before.commits)), C(after.files_changed) and C(after.note).
    - A bundle is mapped to a commit by a commit id in its release notes (what the role bundle_export writes), else by
      the hex tail of its id (C(g<sha12>), C(git-<sha>)), checked against the project's git log. A bundle that maps
      to no commit of the project, a missing O(source), or a git history that cannot be read give RV(changes.note)
      and empty lists; the deployment goes on.
    - Null when the bundle is already active; then nothing is read on the design node. Check mode reads and returns
      the same, except that a bundle not exported yet (a plan) is mapped by its id alone.
  returned: always
  type: dict
  contains:
    project_key:
      description: The design project whose git was read.
      type: str
    from_bundle_id:
      description: The bundle active on the node before the task (null on a first deployment).
      type: str
    to_bundle_id:
      description: O(bundle_id).
      type: str
    from_commit:
      description: Full sha of the commit of RV(changes.from_bundle_id), null when it maps to no commit.
      type: str
    to_commit:
      description: Full sha of the commit of O(bundle_id), null when it maps to no commit.
      type: str
    direction:
      description:
        - V(forward) (the new commit descends from the active one), V(backward) (a roll-back - RV(changes.commits)
          are the commits the node loses), V(same), V(diverged) (neither within 1000 commits of the other - only the
          files are listed), null when not known.
      type: str
    commits:
      description:
        - Commits between the two, newest first, as C({commit, author, date, message}) (C(date) ISO 8601 UTC,
          C(message) the subject). At most 50; on a first deployment, the history up to RV(changes.to_commit).
      type: list
      elements: dict
    files:
      description: Files changed between the two commits as C({path, change}) (C(change) as DSS gives it, such as C(ADD), C(MODIFY), C(DELETE)); at most 200.
      type: list
      elements: dict
    added_lines:
      description: Lines added between the two commits, as DSS counts them (null when not read).
      type: int
    removed_lines:
      description: Lines removed between the two commits (null when not read).
      type: int
    truncated:
      description: Whether RV(changes.commits) or RV(changes.files) was cut to its maximum.
      type: bool
    note:
      description: Why commits or files are missing (bundle mapping to no commit, no O(source), unreadable git), else null.
      type: str
  sample:
    project_key: CHURN
    from_bundle_id: g0123456789ab
    to_bundle_id: g3f2a9c1b7d40
    from_commit: 0123456789abcdef0123456789abcdef01234567
    to_commit: 3f2a9c1b7d40e1f2a3b4c5d6e7f8091a2b3c4d5e
    direction: forward
    commits: [{commit: 3f2a9c1b7d40e1f2a3b4c5d6e7f8091a2b3c4d5e, author: alice, date: "2026-11-30T07:12:03Z",
               message: "Reviewed: add a dataset"}]
    files: [{path: datasets/reviewed.json, change: ADD}]
    added_lines: 12
    removed_lines: 0
    truncated: false
    note: null
gates:
  description:
    - The preflight gates of this deployment (see O(gates)), also when the task fails on them - C(decision) (V(pass),
      V(warn) or V(block)), C(checks) (one per gate - C(gate) (V(project_standards), V(govern), V(tested_on),
      V(release_notes)), C(status) (V(pass), V(warn), V(block), or V(skip) when the gate is not required here or
      does not apply) and C(reason)) and C(lines) (one line per gate, as the diff shows them).
    - When the task has nothing to deploy (the bundle is already active and certified, or the deployment in sync),
      every gate is V(skip).
  returned: always
  type: dict
  sample:
    decision: block
    checks:
      - {gate: project_standards, status: block,
         reason: "environment (policy prevent, LOWEST or more): failing Project has a description (LOW)"}
      - {gate: govern, status: skip, reason: "the direct route deploys without a Project Deployer infrastructure"}
      - {gate: tested_on, status: pass, reason: passing test record on staging}
      - {gate: release_notes, status: skip, reason: not required here (policy ignore)}
    lines: ["project_standards: block - environment (policy prevent, LOWEST or more): failing Project has a description (LOW)"]
report:
  description: DSS's activation report, null when no activation happened (or in check mode).
  returned: always
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy import DeployRun, argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.deploy_module import DeployModule


def main():
    module = DeployModule(argument_spec=argument_spec(), mutually_exclusive=[("src", "source")],
                          required_by={"keep_last": "tests"}, supports_check_mode=True)
    module.run(DeployRun(module).run)


if __name__ == "__main__":
    main()
