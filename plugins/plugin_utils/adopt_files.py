# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files adoption writes, from what dataiku_node_export_info read on each node (no I/O: unit-testable).

Layout, relative to the destination directory::

    inventories/fleet.yml                       environments (with their environment objects) and projects
    inventories/<env>/hosts.yml                 one fleet inventory per environment
    inventories/<design>/host_vars/<design>-<KEY>.yml   dss_project_file of each project (drift.yml reads it)
    projects/<KEY>.yml                          the project description (role dataiku_gitops.dss.project_as_code)

Credentials are references (DSS_<ENV>_URL with the URL read as default, DSS_<ENV>_API_KEY then DATAIKU_API_KEY);
secret connection parameters are comments naming a Vault variable to fill in, never values.
"""

from __future__ import annotations

import hashlib
import os
import re

import yaml

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.fleet_description import ENV_NAME_RE

JINJA_MARKERS = ("{{", "{%", "{#")
PROJECTS_DIR = "projects"


class _Dumper(yaml.SafeDumper):
    """Block style, code as literal blocks, and text that looks like Jinja tagged !unsafe (Ansible would otherwise
    template a recipe's code when it loads the file)."""


def _str(dumper, value):
    tag = "!unsafe" if any(marker in value for marker in JINJA_MARKERS) else "tag:yaml.org,2002:str"
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(tag, value, style=style)


_Dumper.add_representer(str, _str)


def plain(data):
    """``data`` with plain Python types only: Ansible hands filters its own str, dict and list subclasses, which the
    YAML dumper does not know."""
    if isinstance(data, dict):
        return dict((plain(k), plain(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    for kind in (str, int, float):
        if isinstance(data, kind):
            return kind(data)
    return data


def dump(data):
    return yaml.dump(plain(data), Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def _indent(text, spaces):
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def vault_variable(env, connection, key):
    """The Vault variable named in the placeholder of a secret connection parameter."""
    return re.sub(r"[^a-z0-9_]", "_", ("vault_%s_%s_%s" % (env, connection, key)).lower())


def _reads(results):
    """[(env, read)] of the registered loop over the nodes; checks what the fleet needs."""
    reads = []
    for result in results or []:
        env = result.get("item") if isinstance(result, dict) else None
        if not isinstance(env, str) or not ENV_NAME_RE.match(env):
            raise DssError("An environment name is lower case letters, digits and underscores, got %r." % (env,))
        if result.get("failed") or "node_type" not in result:
            raise DssError("The read of environment %s did not succeed: %s" % (env, result.get("msg", "no result")))
        reads.append((env, result))
    designs = [env for env, read in reads if read["node_type"] == "design"]
    if len(designs) != 1:
        raise DssError("Adoption needs exactly one design node among the nodes read (the source of the bundles), "
                       "found %d: %s." % (len(designs), ", ".join(designs) or "none"))
    return reads, designs[0]


def _environment(env, read, node):
    entry = dict(node_type=read["node_type"],
                 url={"env": "DSS_%s_URL" % env.upper(), "default": node["url"]},
                 api_key={"env": ["DSS_%s_API_KEY" % env.upper(), "DATAIKU_API_KEY"]},
                 validate_certs=bool(node.get("validate_certs", True)))
    if node.get("ca_path"):
        entry["ca_path"] = node["ca_path"]
    objects = read["environment_objects"]
    if objects["connections"] or objects["code_envs"]:
        entry["environment_objects"] = dict(connections=objects["connections"], code_envs=objects["code_envs"])
    return entry


def _secret_comment(env, secrets):
    if not secrets:
        return ""
    lines = ["# Secrets are not adopted (DSS returns them encrypted). Before these connections are created on a new",
             "# node, add their secret_params from Vault (dataiku_connection writes them on creation only):"]
    for name in sorted(secrets):
        values = ", ".join('%s: "{{ %s }}"' % (key, vault_variable(env, name, key)) for key in secrets[name])
        lines.append("#   %s: secret_params: {%s}" % (name, values))
    return "\n".join(lines) + "\n"


def _project(key, autos, test_prefix):
    entry = dict(tests=dict(prefix=test_prefix))
    environments = {}
    for env, read in autos:
        project = read["projects"].get(key)
        if project is None:
            continue
        remap = dict((kind, dict(sorted(mapping.items()))) for kind, mapping in project["remapping"].items() if mapping)
        if remap:
            environments[env] = remap
    if environments:
        entry["environments"] = environments
    return entry


def fleet_text(reads, design, nodes, test_prefix):
    autos = [(env, read) for env, read in reads if env != design]
    parts = ["---\n",
             "# Adopted by playbooks/adopt.yml from what the nodes held (docs/adopt.md). The inventory plugin\n",
             "# dataiku_gitops.dss.fleet expands it into one host per (environment, project); inventories/<env>/hosts.yml\n",
             "# each select one environment. Credentials are references: set DSS_<ENV>_API_KEY (or DATAIKU_API_KEY).\n",
             "environments:\n"]
    for env, read in reads:
        parts.append(_indent(_secret_comment(env, read["environment_objects"].get("secret_params")), 2))
        parts.append(_indent(dump({env: _environment(env, read, nodes[env])}), 2))
    projects = dict((key, _project(key, autos, test_prefix)) for key in sorted(dict(reads)[design]["projects"]))
    parts.append("\n# Per project: the test scenarios (found by prefix) and, per automation environment, the\n"
                 "# remapping configured there when adopted.\n")
    parts.append(dump({"projects": projects}) if projects else "projects: {}\n")
    return "".join(parts)


def _file(path, content):
    return dict(path=path, content=content, sha1=hashlib.sha1(content.encode("utf-8")).hexdigest())


def adoption_files(results, nodes, test_prefix="TEST_"):
    """[{path, content, sha1}] of every file adoption writes, from the registered results of
    dataiku_node_export_info (one per environment, ``item`` the environment name) and ``nodes`` ({env: {url,
    validate_certs, ca_path}})."""
    results, nodes = plain(results), plain(nodes)
    reads, design = _reads(results)
    missing = sorted(env for env, _read in reads if env not in (nodes or {}))
    if missing:
        raise DssError("No node settings (url) for environment(s) %s." % ", ".join(missing))
    files = [_file("inventories/fleet.yml", fleet_text(reads, design, nodes, test_prefix))]
    for env, _read in reads:
        files.append(_file("inventories/%s/hosts.yml" % env, (
            "---\n# The %s environment of the adopted fleet description (../fleet.yml).\n"
            "plugin: dataiku_gitops.dss.fleet\ndescription: ../fleet.yml\nenvironments: [%s]\n" % (env, env))))
    for key, project in sorted(dict(reads)[design]["projects"].items()):
        files.append(_file("inventories/%s/host_vars/%s-%s.yml" % (design, design, key), (
            "---\n# The description of project %s (role dataiku_gitops.dss.project_as_code, playbooks/drift.yml).\n"
            'dss_project_file: "{{ inventory_dir }}/../../%s/%s.yml"\n' % (key, PROJECTS_DIR, key))))
        files.append(_file("%s/%s.yml" % (PROJECTS_DIR, key), (
            "---\n# Project %s as adopted from environment %s (docs/adopt.md); apply it with the role\n"
            "# dataiku_gitops.dss.project_as_code (docs/project-as-code.md).\n" % (key, design))
            + dump(project["description"])))
    return files


def pending(files, directory):
    """The ``files`` that ``directory`` does not hold with the same content, each with ``exists`` (True: a file is
    there with another content, which adoption must not overwrite unless asked). Reads the controller's files."""
    result = []
    for item in files:
        path = os.path.join(directory, item["path"])
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                if hashlib.sha1(handle.read()).hexdigest() == item["sha1"]:
                    continue
        result.append(dict(item, exists=os.path.lexists(path)))
    return result


def notes(results, test_prefix="TEST_"):
    """Lines saying what adoption could not write and what is left to the user: secret parameters to fill in from
    Vault, objects the formats do not express, projects missing on a node, projects without test scenarios."""
    lines = []
    for result in results or []:
        env = result.get("item")
        secrets = (result.get("environment_objects") or {}).get("secret_params") or {}
        for name in sorted(secrets):
            variables = ", ".join(vault_variable(env, name, key) for key in secrets[name])
            lines.append("%s: connection %s - secret parameter(s) %s not adopted: fill in %s from Vault (see the "
                         "comment in inventories/fleet.yml)" % (env, name, ", ".join(secrets[name]), variables))
        for item in result.get("not_adopted") or []:
            lines.append("%s: project %s, %s %s not adopted (%s)"
                         % (env, item["project"], item["kind"], item["id"], item["reason"]))
        for key in result.get("missing") or []:
            lines.append("%s: project %s is not on this node" % (env, key))
        if result.get("node_type") == "design":
            for key, project in sorted((result.get("projects") or {}).items()):
                if not project.get("tests"):
                    lines.append("%s: project %s has no scenario starting with %s: its promotion fails until it has "
                                 "one (or set tests.if_no_scenarios: ok in fleet.yml)" % (env, key, test_prefix))
    return lines
