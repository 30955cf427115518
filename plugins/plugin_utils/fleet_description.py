# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet description (environments + projects) expanded into one inventory host per (environment, project).

Pure data in, data out, so the inventory plugin stays glue and this logic is unit-tested on its own. Secrets never
appear here: credentials are references (environment variables or inventory variables such as Vault-encrypted ones)
turned into lazy Jinja lookups that Ansible resolves at task time.
"""

from __future__ import annotations

import re

NODE_TYPES = ("design", "automation")
ROUTES = ("direct", "deployer")
ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PROJECT_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A default URL goes into a quoted Jinja literal: no quotes, backslashes or braces.
PLAIN_DEFAULT_RE = re.compile(r"^[^'\"\\{}%\s]+$")
TEST_KEYS = ("prefix", "scenarios", "warning_is_failure", "timeout", "if_no_scenarios")
TEST_DEFAULTS = {"prefix": "TEST_", "scenarios": None, "warning_is_failure": False, "timeout": 3600,
                 "if_no_scenarios": "fail"}
ENVIRONMENT_KEYS = ("node_type", "url", "api_key", "validate_certs", "ca_path", "route", "deployer",
                    "environment_objects", "certified_on", "gates")
GATE_KEYS = ("project_standards", "min_severity", "release_notes")  # the deploy modules' gates option checks values
PROJECT_KEYS = ("tests", "route", "deployer", "environments")
PROJECT_ENV_KEYS = ("connections", "code_envs", "tests", "route", "deployer")


class FleetError(ValueError):
    """A description that cannot be expanded; the message says where and what is allowed."""


def _mapping(value, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FleetError("%s must be a mapping, got %s" % (where, type(value).__name__))
    return value


def _unknown_keys(value, allowed, where):
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise FleetError("%s: unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(allowed)))


def _env_lookup(names, where):
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and VARIABLE_RE.match(n) for n in names):
        raise FleetError("%s.env must be an environment variable name or a list of them" % where)
    # The first variable that is set and not empty wins.
    expression = "lookup('ansible.builtin.env', '%s')" % names[-1]
    for name in reversed(names[:-1]):
        expression = "lookup('ansible.builtin.env', '%s') | default(%s, true)" % (name, expression)
    return expression


def reference(value, where, secret):
    """A Jinja template for a value given as {env: NAME or [NAMES], default: ...} or {var: NAME}; a plain string is
    accepted only for non-secret values (a literal API key in a description would end up in git)."""
    if isinstance(value, str) and not secret:
        return value
    if not isinstance(value, dict):
        allowed = "{env: VARIABLE} or {var: INVENTORY_VARIABLE}"
        if secret:
            raise FleetError("%s must be a reference, %s: a literal key is refused (it would be stored in clear)"
                             % (where, allowed))
        raise FleetError("%s must be a string, %s" % (where, allowed))
    _unknown_keys(value, ("env", "var", "default"), where)
    if ("env" in value) == ("var" in value):
        raise FleetError("%s needs exactly one of env and var" % where)
    if "var" in value:
        if not isinstance(value["var"], str) or not VARIABLE_RE.match(value["var"]):
            raise FleetError("%s.var must be a variable name (letters, digits, underscores)" % where)
        expression = value["var"]
    else:
        expression = _env_lookup(value["env"], where)
    if "default" in value:
        if secret:
            raise FleetError("%s.default is refused: a default key would be stored in clear" % where)
        if not isinstance(value["default"], str) or not PLAIN_DEFAULT_RE.match(value["default"]):
            raise FleetError("%s.default must be a plain string without quotes, braces or spaces" % where)
        expression = "%s | default('%s', true)" % (expression, value["default"])
    return "{{ %s }}" % expression


def _choice(value, choices, where, default):
    value = default if value is None else value
    if value not in choices:
        raise FleetError("%s must be one of %s, got %r" % (where, ", ".join(choices), value))
    return value


def _bool(value, where, default):
    value = default if value is None else value
    if not isinstance(value, bool):
        raise FleetError("%s must be true or false, got %r" % (where, value))
    return value


def _string_map(value, where):
    value = _mapping(value, where)
    for source, target in value.items():
        if not isinstance(source, str) or not isinstance(target, str):
            raise FleetError("%s must map names to names (strings), got %r: %r" % (where, source, target))
    return dict(value)


def _tests(*layers):
    tests = dict(TEST_DEFAULTS)
    for where, layer in layers:
        layer = _mapping(layer, where)
        _unknown_keys(layer, TEST_KEYS, where)
        tests.update(layer)
    if tests["scenarios"] is not None and not (isinstance(tests["scenarios"], list)
                                               and all(isinstance(s, str) for s in tests["scenarios"])):
        raise FleetError("tests.scenarios must be a list of scenario ids")
    return tests


def parse_environments(description):
    """{name: normalized environment}; exactly one design environment."""
    environments = _mapping(description.get("environments"), "environments")
    if not environments:
        raise FleetError("environments: at least one environment is needed")
    parsed = {}
    for name, env in environments.items():
        where = "environments.%s" % name
        if not isinstance(name, str) or not ENV_NAME_RE.match(name):
            raise FleetError("%s: an environment name is lower case letters, digits and underscores" % where)
        env = _mapping(env, where)
        _unknown_keys(env, ENVIRONMENT_KEYS, where)
        for required in ("node_type", "url", "api_key"):
            if env.get(required) is None:
                raise FleetError("%s.%s is required" % (where, required))
        ca_path = env.get("ca_path")
        if ca_path is not None and not isinstance(ca_path, str):
            raise FleetError("%s.ca_path must be a path" % where)
        parsed[name] = {
            "name": name,
            "node_type": _choice(env["node_type"], NODE_TYPES, where + ".node_type", None),
            "url": reference(env["url"], where + ".url", secret=False),
            "api_key": reference(env["api_key"], where + ".api_key", secret=True),
            "validate_certs": _bool(env.get("validate_certs"), where + ".validate_certs", True),
            "ca_path": ca_path,
            "route": _choice(env.get("route"), ROUTES, where + ".route", "direct"),
            "deployer": dict(_mapping(env.get("deployer"), where + ".deployer")),
            "environment_objects": env.get("environment_objects"),
            "gates": _mapping(env.get("gates"), where + ".gates"),
        }
        _unknown_keys(parsed[name]["gates"], GATE_KEYS, where + ".gates")
        parsed[name]["certified_on"] = _gate(name, env, parsed, where)
    designs = [name for name, env in parsed.items() if env["node_type"] == "design"]
    if len(designs) != 1:
        raise FleetError("environments: exactly one environment must have node_type design (the source of the "
                         "bundles), found %d: %s" % (len(designs), ", ".join(designs) or "none"))
    return parsed


def _gate(name, env, parsed, where):
    """The environment that must have certified a bundle before this one receives it: ``certified_on`` when set
    (null for none), else the previous automation environment in the description's order."""
    if env.get("node_type") != "automation":
        return None
    if "certified_on" in env:
        gate = env["certified_on"]
        if gate is not None and (gate == name or gate not in parsed or parsed[gate]["node_type"] != "automation"):
            raise FleetError("%s.certified_on must name an automation environment listed before it (or be null), "
                             "got %r" % (where, gate))
        return gate
    earlier = [other for other, settings in parsed.items() if settings["node_type"] == "automation" and other != name]
    return earlier[-1] if earlier else None


def _node_vars(env):
    return {"url": env["url"], "api_key": env["api_key"], "validate_certs": env["validate_certs"],
            "ca_path": env["ca_path"]}


def expand(description, selected=None, project_filter=None):
    """[(host name, [groups], {vars})] for every (environment, project), environments in ``selected`` (all when
    None), projects in ``project_filter`` (all when None). Raises FleetError on any invalid entry."""
    description = _mapping(description, "the description")
    _unknown_keys(description, ("environments", "projects"), "the description")
    environments = parse_environments(description)
    unknown = sorted(set(selected or ()) - set(environments))
    if unknown:
        raise FleetError("environments to select %s are not in the description (it has %s)"
                         % (", ".join(unknown), ", ".join(environments)))
    design = next(env for env in environments.values() if env["node_type"] == "design")
    projects = _mapping(description.get("projects"), "projects")
    hosts = []
    for key, project in projects.items():
        where = "projects.%s" % key
        if not isinstance(key, str) or not PROJECT_KEY_RE.match(key):
            raise FleetError("%s: a project key is upper case letters, digits and underscores" % where)
        if project_filter is not None and key not in project_filter:
            continue
        project = _mapping(project, where)
        _unknown_keys(project, PROJECT_KEYS, where)
        per_env = _mapping(project.get("environments"), where + ".environments")
        unknown = sorted(set(per_env) - set(environments))
        if unknown:
            raise FleetError("%s.environments: %s not in environments (%s)"
                             % (where, ", ".join(unknown), ", ".join(environments)))
        for name, env in environments.items():
            if selected is not None and name not in selected:
                continue
            env_where = "%s.environments.%s" % (where, name)
            settings = _mapping(per_env.get(name), env_where)
            _unknown_keys(settings, PROJECT_ENV_KEYS, env_where)
            deployer = dict(env["deployer"])
            deployer.update(_mapping(project.get("deployer"), where + ".deployer"))
            deployer.update(_mapping(settings.get("deployer"), env_where + ".deployer"))
            route = settings.get("route", project.get("route"))
            host_vars = {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "dss_env": name,
                "dss_project_key": key,
                "dss_node_type": env["node_type"],
                "dss_url": env["url"],
                "dss_api_key": env["api_key"],
                "dss_validate_certs": env["validate_certs"],
                "dss_route": _choice(route, ROUTES, env_where + ".route", env["route"]),
                "dss_connections": _string_map(settings.get("connections"), env_where + ".connections"),
                "dss_code_envs": _string_map(settings.get("code_envs"), env_where + ".code_envs"),
                "dss_tests": _tests((where + ".tests", project.get("tests")),
                                    (env_where + ".tests", settings.get("tests"))),
                "dss_deployer": deployer,
                "dss_design_host": host_name(design["name"], key),
                "dss_design_node": _node_vars(design),
            }
            if env["ca_path"]:
                host_vars["dss_ca_path"] = env["ca_path"]
            if env["certified_on"]:
                gate = environments[env["certified_on"]]
                host_vars.update({"dss_gate_env": gate["name"], "dss_gate_host": host_name(gate["name"], key),
                                  "dss_gate_node": _node_vars(gate)})
            if env["gates"]:
                host_vars["dss_gates"] = dict(env["gates"])
            if env["environment_objects"] is not None:
                host_vars["dss_environment_objects"] = env["environment_objects"]
            groups = [name, "dss_%s" % env["node_type"], "project_%s" % key]
            hosts.append((host_name(name, key), groups, host_vars))
    return hosts


def host_name(env, project_key):
    return "%s-%s" % (env, project_key)
