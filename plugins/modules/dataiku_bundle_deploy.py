#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_deploy
short_description: Deploy a bundle to a Dataiku DSS automation node in one step (lock, preflight, import, remap, activate)
version_added: 0.2.0
description:
  - One invocation deploys bundle O(bundle_id) of project O(project_key) to the automation node at O(url) -
    B(lock) the project on the node, B(preflight) (the bundle's connections and code envs resolve with the
    mapping), B(import) the archive (streamed from O(source) or O(src); creates the project on a first deployment),
    B(remap) (O(connections), O(code_envs)), B(activate) (preload then activate) - and reports each step with its
    own C(changed) and diff in RV(steps).
  - Every check happens before the first write. Check mode predicts every step exactly, including for a bundle not
    imported yet (read through O(source), or from O(src)).
  - Never deletes a bundle; retention happens after the tests passed, with M(dataiku_gitops.dss.dataiku_bundle_certify).
  - The deployment lock is taken whenever something changes or the bundle has no passing test record yet, and is
    kept when the task ends; M(dataiku_gitops.dss.dataiku_bundle_certify) releases it once the bundle is certified
    (or with O(dataiku_gitops.dss.dataiku_bundle_certify#module:state=released) on a failure path). A project
    already on O(bundle_id) with a passing test record is left alone, without any write.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
  - dataiku_gitops.dss.dss.source
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
      - In check mode a bundle not exported there yet is predicted to be imported (a plan usually exports it in an
        earlier task that check mode did not run).
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
      - Seconds after which a lock taken by this task expires and any other run may take it over.
      - Choose more than the time a deployment and its tests take.
    type: int
    default: 3600
  break_lock:
    description:
      - Take the lock over even when another run holds it and it has not expired. Use it only to release the lock of
        a run that is known to be dead (killed runner, cancelled job).
    type: bool
    default: false
  warning_is_failure:
    description: A test run that ended with WARNING does not count as passing when deciding whether the bundle is certified.
    type: bool
    default: false
notes:
  - B(The lock.) It is the project-local variable C(dataiku_gitops_lock) (C({owner, expires})) of the project on the
    automation node. Local variables stay on the node and survive activation. DSS offers no atomic compare-and-set,
    so the lock is taken by writing it, waiting briefly and reading it back; two runs would both believe they hold it
    only if they wrote it within that short window of each other. The certification step re-checks, before
    certifying, that the lock is still its own and that the bundle is still the active one, so such a race can fail
    a run but cannot certify an untested bundle.
  - A stale lock (the run that took it is dead) expires after O(lock_timeout); to release it earlier, re-run with
    O(break_lock=true), or delete the local variable C(dataiku_gitops_lock) of the project in DSS.
  - On a first deployment there is no project to hold the lock before the import; creating a project from a bundle
    fails when the project exists, so two first deployments cannot both create it, and the lock is taken right after.
  - Taking the lock is not reported as a change (it is released by the same run); RV(lock) and RV(steps) show it.
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_state_info
  - module: dataiku_gitops.dss.dataiku_bundle_certify
  - module: dataiku_gitops.dss.dataiku_scenario_run
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: Deploy the bundle of this commit, streamed from the design node
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
  register: deployed
"""

RETURN = r"""
project_key:
  description: The project key.
  returned: always
  type: str
  sample: CHURN
bundle_id:
  description: The bundle deployed.
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
previous_bundle_id:
  description: The bundle active before the task (the roll-back target), null on a first deployment.
  returned: always
  type: str
  sample: git-0123456789ab
active_bundle_id:
  description: The bundle active after the task (predicted in check mode).
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
project_created:
  description: Whether the project was (would be) created from the bundle.
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
    - Whether O(bundle_id) already has a passing test record on this node (tests done while it was active). When
      false, run the test scenarios, then M(dataiku_gitops.dss.dataiku_bundle_certify).
  returned: always
  type: bool
lock:
  description: The lock this run holds after the task (C(owner), C(expires) in epoch seconds), null when none was needed.
  returned: always
  type: dict
  sample: {owner: "awx-1234", expires: 1767225600}
steps:
  description: One entry per step, in order, with C(name), C(changed) and, when it changes something, C(diff).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: lock, changed: false, lock: {owner: awx-1234, expires: 1767225600}}
    - {name: preflight, changed: false, resolution: []}
    - {name: import, changed: true, diff: {before: {bundle_ids: [b1]}, after: {bundle_ids: [b1, b2]}}}
    - {name: remap, changed: false}
    - {name: activate, changed: true, diff: {before: {active_bundle_id: b1}, after: {active_bundle_id: b2}}}
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
report:
  description: DSS's activation report, null when no activation happened (or in check mode).
  returned: always
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils.dss_bundle_deploy import DeployRun, argument_spec
from ansible_collections.dataiku_gitops.dss.plugins.module_utils.dss_module import DssModule


def main():
    module = DssModule(argument_spec=argument_spec(), mutually_exclusive=[("src", "source")],
                       supports_check_mode=True)
    DeployRun(module).run()


if __name__ == "__main__":
    main()
