#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_state_info
short_description: Read the deployment state of many Dataiku DSS projects on one node at once
version_added: 0.1.0
description:
  - Reads, for every project of O(project_keys), whether it exists, its bundles, its active bundle, whether that
    bundle is certified by a passing test record, and the deployment lock held on it.
  - Meant to run once per node (for example with C(run_once)) before a promotion, so that projects that are
    already converged need no further module invocation.
  - Sends a fixed number of requests per project, never a listing of all the projects of the node, and reads up to
    eight projects concurrently. The deployment state takes at most five; a commit check of O(commit_checks) adds the
    project's git status and the log from its HEAD, one more log when the commit being promoted is not HEAD, and
    with a git remote a fetch (unless C(fetch=false)) and a second status, the remote branches and, without
    C(commit), the log of the remote branch.
  - A project that does not exist is not an error; its RV(projects) entry then has C(exists=false).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.info_attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_keys:
    description: Keys of the projects to read, for example V([CHURN, SALES]).
    type: list
    elements: str
    required: true
  bundle_ids:
    description:
      - Target bundle id per project key. For these projects C(projects.KEY.target_certified) says whether that
        bundle has a passing test record on this node.
    type: dict
  warning_is_failure:
    description: A test scenario that ended with WARNING does not certify a bundle.
    type: bool
    default: false
  commit_checks:
    description:
      - "Design node only: per project key, the options of M(dataiku_gitops.dss.dataiku_project_commit) (C(commit),
        C(branch), C(remote_name), C(checkout_commit), C(on_mismatch), C(uncommitted), C(required), C(fetch)) whose
        check to settle in the same read, so that the module only runs for the projects where it has something to
        do or to report."
      - A project is settled when the module, given the same options, would end unchanged without failing - nothing
        to verify, or the project's HEAD is the commit being promoted with no uncommitted changes;
        C(projects.KEY.commit_check) then holds the module's result (C(verified), C(commit), C(source), C(head),
        C(message), C(bundle_id), C(pulled)). Otherwise (pull, push, mismatch, error) C(settled) is false.
      - Like the module, it fetches the project's remote through DSS (a POST that only updates the remote-tracking
        branches) unless C(fetch=false).
    type: dict
notes:
  - A bundle is certified when DSS's testing status for that bundle (the latest run of each test scenario made
    while the bundle was active, C(GET /projects/KEY/scenarios/testing-status?bundleId=)) has at least one run and
    only passing outcomes. Activating a bundle does not certify it.
  - On a design node C(projects.KEY.bundle_ids) are the exported bundles, and there is no active bundle or lock.
  - The result's C(invocation) gives the number of entries of O(project_keys), O(bundle_ids) and O(commit_checks),
    not the entries (RV(projects) has every project), so that Ansible registers and copies the read of a large fleet
    once, not twice.
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle_deploy
  - module: dataiku_gitops.dss.dataiku_bundle_certify
"""

EXAMPLES = r"""
- name: Read the state of every project of this environment once
  dataiku_gitops.dss.dataiku_bundle_state_info:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_keys: "{{ ansible_play_hosts | map('extract', hostvars, 'dss_project_key') | list }}"
  run_once: true
  register: node_state
"""

RETURN = r"""
node_type:
  description: Type of the node (V(DESIGN) or V(AUTOMATION)).
  returned: always
  type: str
  sample: AUTOMATION
projects:
  description: The state of each project, by key.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the project exists on the node.
      type: bool
    active_bundle_id:
      description: The active bundle (automation node), null when none.
      type: str
    bundle_ids:
      description: Imported (automation) or exported (design) bundles, oldest first.
      type: list
      elements: str
    bundles:
      description:
        - The same bundles with C(bundle_id), C(imported_on) (automation) or C(exported_on) (design), and
          C(release_notes), dates as DSS gives them.
        - On a design node, a bundle that keeps a Project Standards report also has C(standards) - C(status),
          C(evaluated), C(message), C(failures) and C(warnings) (each C(name), C(severity), C(severity_name)), what
          the preflight gates decide on (no extra request).
      type: list
      elements: dict
    certified:
      description: Whether the active bundle has a passing test record.
      type: bool
    target_certified:
      description: Whether the bundle of O(bundle_ids) for this project has a passing test record (null without it).
      type: bool
    lock:
      description: The deployment lock (C(owner), C(expires) in epoch seconds) when one is held and not expired.
      type: dict
    gates:
      description:
        - On an automation node, the preflight gates' decision recorded by the last deployment of the project that
          went through them (M(dataiku_gitops.dss.dataiku_bundle_deploy) writes it with its lock,
          M(dataiku_gitops.dss.dataiku_deployment) after its update) - C(bundle_id),
          C(decision) (V(pass) or V(warn)) and C(warned) (the gates that warned); null when none is recorded. Read
          with the lock, no extra request.
      type: dict
    commit_check:
      description:
        - For the projects of O(commit_checks) - C(settled), C(options) (as given) and, when settled, the result of
          M(dataiku_gitops.dss.dataiku_project_commit) with those options.
      type: dict
      returned: for the projects of O(commit_checks), on a design node
  sample:
    CHURN: {exists: true, active_bundle_id: git-3f2a9c1d0e4b, bundle_ids: [git-3f2a9c1d0e4b],
            bundles: [{bundle_id: git-3f2a9c1d0e4b, imported_on: "2026-01-05T10:00:00.000+0000", release_notes: null}],
            certified: true, target_certified: true, lock: null,
            gates: {bundle_id: git-3f2a9c1d0e4b, decision: warn, warned: [project_standards]}}
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._git.commit_check import CHECK_DEFAULTS
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.state_read import read_all


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    p = module.params
    targets = p["bundle_ids"] or {}
    errors = [project_key_error(k, "project_keys entry") for k in p["project_keys"]]
    errors += [bundle_id_error(v, "bundle_ids[%r]" % (k,)) for k, v in targets.items()]
    errors += ["bundle_ids names project %r, which is not in project_keys." % (k,)
               for k in targets if k not in p["project_keys"]]
    checks = p["commit_checks"] or {}
    errors += ["commit_checks names project %r, which is not in project_keys." % (k,)
               for k in checks if k not in p["project_keys"]]
    errors += ["commit_checks[%r] must be a dict of dataiku_project_commit options (%s)."
               % (k, ", ".join(sorted(CHECK_DEFAULTS))) for k, v in checks.items()
               if not isinstance(v, dict) or set(v) - set(CHECK_DEFAULTS)]
    errors = [e for e in errors if e]
    if errors:
        raise DssError(" ".join(errors[:5]))
    module.check_node_type_option()
    node_type = module.node_info().get("nodeType")
    if node_type not in ("DESIGN", "AUTOMATION"):
        raise DssError("dataiku_bundle_state_info needs a DESIGN or AUTOMATION node, but %s is a %s node."
                       % (module.url, node_type))
    keys = list(dict.fromkeys(p["project_keys"]))
    states = read_all(module.client, keys, node_type == "AUTOMATION", targets, p["warning_is_failure"], checks)
    for key in keys:
        if isinstance(states[key], Exception):
            what = "read the deployment state of project %s" % key
            with module.dss_errors(what):
                raise states[key]
            raise DssError(module.scrub("Failed to %s on %s: %s" % (what, module.url, states[key])))
    module.exit_json(changed=False, node_type=node_type, projects=states, invocation={"module_args": dict(
        p, **{name: "%d entries" % len(p[name]) for name in ("project_keys", "bundle_ids", "commit_checks") if p[name]})})


def main():
    module = DssModule(argument_spec=dict(
        project_keys=dict(type="list", elements="str", required=True, no_log=False),
        bundle_ids=dict(type="dict"),
        warning_is_failure=dict(type="bool", default=False),
        commit_checks=dict(type="dict"),
    ), supports_check_mode=True)
    module.run(run_task, module)


if __name__ == "__main__":
    main()
