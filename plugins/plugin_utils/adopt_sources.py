# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes adoption reads: given by the user (``dss_adopt_nodes``), or the environments of the inventory.

A given node is ``{url, api_key, validate_certs, ca_path}``; without ``api_key`` the key comes from the environment
variable DSS_<ENV>_API_KEY, else DATAIKU_API_KEY (the references the adopted fleet description states), read on the
controller as ``lookup('env')`` reads it. From an inventory (the fleet plugin's hosts), the first host of each
environment gives its node (dss_url, dss_api_key, dss_validate_certs, dss_ca_path) and the hosts' dss_project_key
values are the projects to adopt.
"""

from __future__ import annotations

import os

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import ENV_NAME_RE
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError

NODE_KEYS = ("url", "api_key", "validate_certs", "ca_path")


def _api_key(env):
    for name in ("DSS_%s_API_KEY" % env.upper(), "DATAIKU_API_KEY"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def _given(nodes):
    result = {}
    for env, node in nodes.items():
        where = "dss_adopt_nodes.%s" % env
        if not isinstance(env, str) or not ENV_NAME_RE.match(env):
            raise DssError("%s: an environment name is lower case letters, digits and underscores." % where)
        if not isinstance(node, dict) or not isinstance(node.get("url"), str) or not node["url"]:
            raise DssError("%s needs a url (a mapping such as {url: https://dss.example.com:11200})." % where)
        unknown = sorted(str(k) for k in node if k not in NODE_KEYS)
        if unknown:
            raise DssError("%s: unknown key(s) %s; allowed: %s." % (where, ", ".join(unknown), ", ".join(NODE_KEYS)))
        api_key = node.get("api_key") or _api_key(env)
        if not api_key:
            raise DssError("%s: no API key - set DSS_%s_API_KEY (or DATAIKU_API_KEY), or api_key from Vault."
                           % (where, env.upper()))
        result[env] = dict(url=node["url"], api_key=api_key, validate_certs=node.get("validate_certs", True),
                           ca_path=node.get("ca_path") or None)
    return result


def adoption_sources(hostvars, hosts, nodes=None):
    """{nodes: {env: {url, api_key, validate_certs, ca_path}}, projects: [keys] or None (all of the design node)}."""
    if nodes:
        if not isinstance(nodes, dict):
            raise DssError("dss_adopt_nodes must be a mapping of environment names to {url, api_key, ...}.")
        return dict(nodes=_given(nodes), projects=None)
    found, projects = {}, []
    for host in hosts or []:
        host_vars = hostvars[host]
        env = host_vars.get("dss_env")
        if not env or "dss_url" not in host_vars:
            continue
        if env not in found:
            found[env] = dict(url=host_vars["dss_url"], api_key=host_vars.get("dss_api_key"),
                              validate_certs=host_vars.get("dss_validate_certs", True),
                              ca_path=host_vars.get("dss_ca_path") or None)
        key = host_vars.get("dss_project_key")
        if key and key not in projects:
            projects.append(key)
    if not found:
        raise DssError("No node to read: give dss_adopt_nodes (for example -e @nodes.yml with dss_adopt_nodes: {dev: "
                       "{url: ...}, prod: {url: ...}}) or an inventory whose hosts set dss_env and dss_url "
                       "(-i inventories/dev -i inventories/prod).")
    return dict(nodes=found, projects=projects or None)
