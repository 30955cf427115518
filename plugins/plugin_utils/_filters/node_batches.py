# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter node_batches of plugins/filter/gitops.py (documented in plugins/filter/node_batches.yml)."""

from __future__ import annotations

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
