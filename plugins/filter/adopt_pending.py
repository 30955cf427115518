# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_pending
short_description: The adoption files a directory does not hold yet
version_added: 0.1.0
description:
  - The files of P(dataiku_gitops.dss.adopt_files#filter) that the directory O(directory) of the controller does not
    hold with the same content (SHA-1), each with C(exists) - V(true) when a file with another content is there
    (adoption refuses to overwrite it unless asked).
  - Reads the controller's files, as lookups do (C(playbooks/adopt.yml) runs on localhost).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, directory
options:
  _input:
    description: The files to write, as P(dataiku_gitops.dss.adopt_files#filter) returns them.
    type: list
    elements: dict
    required: true
  directory:
    description: The absolute path of the destination directory.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse to overwrite a file that differs
  ansible.builtin.assert:
    that: adopt_files | dataiku_gitops.dss.adopt_pending('/srv/gitops') | selectattr('exists') | list | length == 0
"""

RETURN = r"""
_value:
  description: The files to write (C(path), C(content), C(sha1)), with C(exists).
  type: list
  elements: dict
"""

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.adopt_files import pending


def adopt_pending(files, directory):
    # The contents hold Jinja meant for later: never templated when the playbook writes them.
    return wrap_var(pending(files, directory))


class FilterModule:
    def filters(self):
        return {"adopt_pending": adopt_pending}
