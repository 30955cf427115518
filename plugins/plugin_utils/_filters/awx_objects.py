# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter awx_objects of plugins/filter/gitops.py (documented in plugins/filter/awx_objects.yml)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.awx_objects import AwxInputError, build


def awx_objects(variables, environ=None):
    try:
        return build(variables, os.environ if environ is None else environ)
    except AwxInputError as exc:
        raise AnsibleFilterError("awx_objects: %s" % exc) from None
