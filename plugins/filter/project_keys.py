# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: project_keys
short_description: The project key of each project host of a play, read from the inventory's groups where it can
version_added: 0.1.0
description:
  - "Maps each host of O(hosts) to its project key (C(dss_project_key)). Hosts of the inventory plugin
    dataiku_gitops.dss.fleet (named C(<env>-<KEY>), in the group C(project_<KEY>)) are mapped from O(groups) alone;
    any other host from its variables in O(_input). Reading C(hostvars[host]) computes every variable of that host,
    so on a fleet of 1,000 projects the groups save a second or more per pass of a play over its hosts."
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, hosts, groups
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The project hosts (for example C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
  groups:
    description: C(groups).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read every project of the play at once
  dataiku_gitops.dss.dataiku_bundle_state_info:
    project_keys: "{{ hostvars | dataiku_gitops.dss.project_keys(ansible_play_hosts, groups) | dict2items | map(attribute='value') }}"
"""

RETURN = r"""
_value:
  description: Host name to project key (null for a host without C(dss_project_key)), in the order of O(hosts).
  type: dict
"""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.project_hosts import project_keys


class FilterModule:
    def filters(self):
        return {"project_keys": project_keys}
