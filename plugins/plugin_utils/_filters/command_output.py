# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter command_output of plugins/filter/gitops.py (documented in plugins/filter/command_output.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def command_output(text):
    lines = str(text).splitlines()
    if not lines or not lines[-1].startswith("rc="):
        raise AnsibleFilterError("command_output: the output does not end with a line rc=<exit status>")
    ok = lines[-1] == "rc=0"
    return dict(rc=int(lines[-1][3:]), stdout_lines=lines[:-1] if ok else [],
                stderr="" if ok else " ".join(lines[:-1]))
