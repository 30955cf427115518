# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deploy_steps
type: aggregate
short_description: Print the steps of each bundle deployment, with their durations, as each host finishes
version_added: 0.1.0
description:
  - For every result of M(dataiku_gitops.dss.dataiku_bundle_deploy) (steps lock, preflight, import, remap,
    activate, tests, certify) and of M(dataiku_gitops.dss.dataiku_deployment) with C(tests) (the Project Deployer
    route - update, tests, certify), prints one line per step with whether it changed something and how long it
    took, as soon as that host's deployment ends, next to the output of the stdout callback.
  - On a fleet (several projects and forks) each project's steps appear when its deployment ends, not after the whole
    play.
  - Enable it with C(callbacks_enabled = dataiku_gitops.dss.deploy_steps) in C(ansible.cfg) (section C([defaults])),
    or C(ANSIBLE_CALLBACKS_ENABLED=dataiku_gitops.dss.deploy_steps) in the environment.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
requirements:
  - enabled in callbacks_enabled
"""

from ansible.plugins.callback import CallbackBase

# Both routes of a promotion: the direct one and the Project Deployer one report the same steps.
DEPLOY_ACTIONS = ("dataiku_gitops.dss.dataiku_bundle_deploy", "dataiku_bundle_deploy",
                  "dataiku_gitops.dss.dataiku_deployment", "dataiku_deployment")


def step_lines(host, result):
    """The lines printed for one deployment result (a dict with ``steps``), one per step."""
    key = result.get("project_key") or "?"
    lines = []
    for step in result.get("steps") or []:
        if not isinstance(step, dict):
            continue
        state = "changed" if step.get("changed") else "ok"
        if step.get("skipped"):
            state = "skipped"
        lines.append("%s | %s %s: %-9s %-7s %6.1f s" % (host, key, result.get("bundle_id") or "?", step.get("name"),
                                                        state, float(step.get("duration") or 0.0)))
    return lines


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "dataiku_gitops.dss.deploy_steps"
    CALLBACK_NEEDS_ENABLED = True

    def _show(self, result):
        if result._task.action not in DEPLOY_ACTIONS:  # pylint: disable=protected-access
            return
        for line in step_lines(result._host.get_name(), result._result):  # pylint: disable=protected-access
            self._display.display(line)

    def v2_runner_on_ok(self, result):
        self._show(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._show(result)
