# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project key of each project host, without computing every host's variables where the inventory says it.

``hostvars[host]`` computes all the variables of the host (about a millisecond each, times 1,000 hosts for one pass
of a fleet). The inventory plugin dataiku_gitops.dss.fleet names each host ``<env>-<KEY>`` and puts it in the group
``project_<KEY>``: where both agree, that is the key, read from ``groups`` alone. Any other host (an inventory
written by hand) is read through ``hostvars`` (its ``dss_project_key``).
"""

from __future__ import annotations

GROUP_PREFIX = "project_"


def keys_from_groups(groups, hosts):
    """{host: key} of the ``hosts`` whose name ends with -KEY and that are in the group project_KEY only. Looks up
    the groups each host's name can match (project keys are never empty), not every group of the inventory: the
    environment groups list every host, and reading ``groups`` copies each list it reads."""
    groups = groups or {}
    found = {}
    for host in hosts or []:
        matches = set()
        start = host.find("-")
        while start != -1:
            key = host[start + 1:]
            if key and host in (groups.get(GROUP_PREFIX + key) or ()):
                matches.add(key)
            start = host.find("-", start + 1)
        if len(matches) == 1:
            found[host] = matches.pop()
    return found


def project_keys(hostvars, hosts, groups):
    """{host: dss_project_key} for every host of ``hosts`` (in their order), from ``groups`` where the fleet
    inventory's naming says it, else from the host's variables (None when it has none)."""
    found = keys_from_groups(groups, hosts)
    keys = {}
    for host in hosts or []:
        if host in found:
            keys[host] = found[host]
        else:
            keys[host] = hostvars[host].get("dss_project_key") if host in hostvars else None
    return keys
