# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: command_output
short_description: A shell command's output read by a pipe lookup, as the command module registers it
version_added: 0.1.0
description:
  - "Splits the output of C(lookup('ansible.builtin.pipe', 'COMMAND 2>&1; echo \"rc=$?\"')) (the command's output,
    then a last line C(rc=<exit status>)) into C(rc), C(stdout_lines) (empty unless C(rc) is 0) and C(stderr) (the
    output on one line unless C(rc) is 0): a command run once on the controller without starting a module."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input
options:
  _input:
    description: The lookup's output.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the checkout's HEAD
  ansible.builtin.set_fact:
    git_head: "{{ lookup('ansible.builtin.pipe', 'git log -1 --format=%H 2>&1; echo \"rc=$?\"') | dataiku_gitops.dss.command_output }}"
"""

RETURN = r"""
_value:
  description: C(rc) (int), C(stdout_lines) (list), C(stderr) (str).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def command_output(text):
    lines = str(text).splitlines()
    if not lines or not lines[-1].startswith("rc="):
        raise AnsibleFilterError("command_output: the output does not end with a line rc=<exit status>")
    ok = lines[-1] == "rc=0"
    return dict(rc=int(lines[-1][3:]), stdout_lines=lines[:-1] if ok else [],
                stderr="" if ok else " ".join(lines[:-1]))


class FilterModule:
    def filters(self):
        return {"command_output": command_output}
