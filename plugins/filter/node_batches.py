# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_batches
short_description: The serial batches of a planning play, one per node of an environment with several nodes
version_added: 0.1.0
description:
  - "The C(serial) batch sizes of a planning play of playbooks/promote.yml: one batch per node of an environment with
    several nodes (its hosts are in the group C(dss_node_<env>_<node>), made by the inventory plugin
    P(dataiku_gitops.dss.fleet#inventory)), so that the read of each node (C(run_once)) is one per node and each host
    plans against its own node's read."
  - An empty list (one batch, as without C(serial)) when no host of the play belongs to a node group.
  - Fails when the hosts of one node are not next to each other in the play's order.
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
positional: _input, groups
options:
  _input:
    description: The hosts of the play, in order (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  groups:
    description: C(groups).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan one node per batch
  hosts: prod:&dss_automation
  serial: "{{ ansible_play_hosts_all | dataiku_gitops.dss.node_batches(groups) }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: Batch sizes, in the play's host order; empty for one batch.
  type: list
  elements: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import NODE_GROUP_PREFIX


def node_batches(hosts, groups):
    """Batch sizes, one batch per node group, in the play's host order; [] when no host has a node group."""
    node_of = {host: group for group, members in (groups or {}).items() if group.startswith(NODE_GROUP_PREFIX)
               for host in members or []}
    if not any(host in node_of for host in hosts or []):
        return []
    sizes, seen, current = [], set(), object()
    for host in hosts:
        node = node_of.get(host)
        if node != current:
            if node in seen:
                raise AnsibleFilterError(
                    "node_batches: the hosts of %s are not next to each other in the play (%s): keep the inventory "
                    "order (no 'order:' on the planning plays) so that each node is read once"
                    % (node or "the hosts without a node", host))
            seen.add(node)
            sizes.append(0)
            current = node
        sizes[-1] += 1
    return sizes


class FilterModule:
    def filters(self):
        return {"node_batches": node_batches}
