# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: appends one JSON line per task result to the file named by DSS_TEST_RESULTS, so the test
harness can assert on changed/failed/msg/diff of each task without parsing human output."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Record task results as JSON lines (test harness only)
description:
  - Writes each task result of the run to the file named by the E(DSS_TEST_RESULTS) environment variable.
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("DSS_TEST_RESULTS")
        if not path:
            return
        res = dict(result._result)  # already no_log-masked by Ansible
        entry = {
            "task": result._task.get_name(),
            "action": result._task.action,
            "host": result._host.get_name(),
            "status": status,
            "changed": bool(res.get("changed", False)),
            "result": res,
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
