# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet description (environments + projects) expanded into one inventory host per (environment, project), or
per (environment, node, project) for an environment with several nodes (docs/topologies.md).

Pure data in, data out, so the inventory plugin stays glue and this logic is unit-tested on its own. Secrets never
appear here: credentials are references (environment variables or inventory variables such as Vault-encrypted ones)
turned into lazy Jinja lookups that Ansible resolves at task time.
"""

from __future__ import annotations

import re

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils import fleet_topology

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
                    "environment_objects", "certified_on", "nodes", "rollout", "gates")
GATE_KEYS = ("project_standards", "min_severity", "release_notes")  # the deploy modules' gates option checks values
NODE_KEYS = ("url", "api_key", "validate_certs", "ca_path", "connections", "code_envs", "deployer")
ROLLOUT_KEYS = ("canary", "batch_size", "max_fail_percentage")
PROJECT_KEYS = ("tests", "route", "deployer", "environments", "depends_on")
PROJECT_ENV_KEYS = ("connections", "code_envs", "tests", "route", "deployer", "nodes")
NODE_GROUP_PREFIX = "dss_node_"


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
        several = env.get("nodes") is not None
        for required in ("node_type",) if several else ("node_type", "url", "api_key"):
            if env.get(required) is None:
                raise FleetError("%s.%s is required" % (where, required))
        parsed[name] = {
            "name": name,
            "node_type": _choice(env["node_type"], NODE_TYPES, where + ".node_type", None),
            "route": _choice(env.get("route"), ROUTES, where + ".route", "direct"),
            "deployer": dict(_mapping(env.get("deployer"), where + ".deployer")),
            "environment_objects": env.get("environment_objects"),
            "nodes": None,
            "rollout": None,
            "gates": _mapping(env.get("gates"), where + ".gates"),
        }
        _unknown_keys(parsed[name]["gates"], GATE_KEYS, where + ".gates")
        if several:
            parsed[name].update(_several_nodes(name, env, parsed[name]["node_type"], where))
        else:
            if env.get("rollout") is not None:
                raise FleetError("%s.rollout needs nodes: a rollout orders the nodes of an environment that has "
                                 "several" % where)
            parsed[name].update(_connection(env, where, url_required=True))
        parsed[name]["certified_on"] = _gate(name, env, parsed, where)
    designs = [name for name, env in parsed.items() if env["node_type"] == "design"]
    if len(designs) != 1:
        raise FleetError("environments: exactly one environment must have node_type design (the source of the "
                         "bundles), found %d: %s" % (len(designs), ", ".join(designs) or "none"))
    return parsed


def _connection(settings, where, url_required, defaults=None):
    """url, api_key (references), validate_certs and ca_path of one node; ``defaults`` are the environment's."""
    defaults = defaults or {}
    api_key = settings.get("api_key")
    if settings.get("url") is None and url_required or api_key is None and "api_key" not in defaults:
        raise FleetError("%s.%s is required" % (where, "url" if settings.get("url") is None else "api_key"))
    ca_path = settings.get("ca_path", defaults.get("ca_path"))
    if ca_path is not None and not isinstance(ca_path, str):
        raise FleetError("%s.ca_path must be a path" % where)
    return {
        "url": reference(settings["url"], where + ".url", secret=False),
        "api_key": reference(api_key, where + ".api_key", secret=True) if api_key is not None
        else defaults["api_key"],
        "validate_certs": _bool(settings.get("validate_certs"), where + ".validate_certs",
                                defaults.get("validate_certs", True)),
        "ca_path": ca_path,
    }


def _several_nodes(name, env, node_type, where):
    """{nodes, rollout} of an environment with several nodes: node name -> its connection and remapping overrides
    (api_key, validate_certs and ca_path default to the environment's), and the rollout order."""
    if node_type != "automation":
        raise FleetError("%s.nodes: only an automation environment has several nodes (the design node is the one "
                         "source of the bundles)" % where)
    if env.get("url") is not None:
        raise FleetError("%s.url: an environment with nodes sets url per node (%s.nodes.<node>.url)" % (where, where))
    nodes = _mapping(env.get("nodes"), where + ".nodes")
    if not nodes:
        raise FleetError("%s.nodes: at least one node is needed" % where)
    defaults = {"validate_certs": _bool(env.get("validate_certs"), where + ".validate_certs", True),
                "ca_path": env.get("ca_path")}
    if env.get("api_key") is not None:
        defaults["api_key"] = reference(env["api_key"], where + ".api_key", secret=True)
    parsed = {}
    for node, settings in nodes.items():
        node_where = "%s.nodes.%s" % (where, node)
        if not isinstance(node, str) or not ENV_NAME_RE.match(node):
            raise FleetError("%s: a node name is lower case letters, digits and underscores" % node_where)
        settings = _mapping(settings, node_where)
        _unknown_keys(settings, NODE_KEYS, node_where)
        parsed[node] = dict(_connection(settings, node_where, url_required=True, defaults=defaults),
                            name=node, group=node_group(name, node),
                            connections=_string_map(settings.get("connections"), node_where + ".connections"),
                            code_envs=_string_map(settings.get("code_envs"), node_where + ".code_envs"),
                            deployer=dict(_mapping(settings.get("deployer"), node_where + ".deployer")))
    rollout = _mapping(env.get("rollout"), where + ".rollout")
    _unknown_keys(rollout, ROLLOUT_KEYS, where + ".rollout")
    percentage = rollout.get("max_fail_percentage", 0)
    if isinstance(percentage, bool) or not isinstance(percentage, (int, float)) or not 0 <= percentage < 100:
        raise FleetError("%s.rollout.max_fail_percentage must be a number from 0 to 99, got %r"
                         % (where, percentage))
    try:
        node_phases = fleet_topology.phases(list(parsed), rollout.get("canary"), rollout.get("batch_size"),
                                            where + ".rollout")
    except fleet_topology.TopologyError as exc:
        raise FleetError(str(exc)) from None
    for node, phase in node_phases.items():
        parsed[node]["phase"] = phase
    return {"nodes": parsed, "rollout": {"canary": rollout.get("canary"), "max_fail_percentage": percentage,
                                         "phases": max(node_phases.values()) + 1}}


def node_group(env, node):
    """The inventory group of the hosts of one node (the planning play reads each node once, see node_batches)."""
    return "%s%s_%s" % (NODE_GROUP_PREFIX, env, node)


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
    """[(host name, [groups], {vars})] for every (environment, project), or (environment, node, project) in an
    environment with several nodes, environments in ``selected`` (all when None), projects in ``project_filter``
    (all when None). Raises FleetError on any invalid entry."""
    description = _mapping(description, "the description")
    _unknown_keys(description, ("environments", "projects"), "the description")
    environments = parse_environments(description)
    unknown = sorted(set(selected or ()) - set(environments))
    if unknown:
        raise FleetError("environments to select %s are not in the description (it has %s)"
                         % (", ".join(unknown), ", ".join(environments)))
    projects = _mapping(description.get("projects"), "projects")
    topology = _topology(projects, environments)
    hosts = []
    for key, project in projects.items():
        if project_filter is not None and key not in project_filter:
            continue
        for name, env in environments.items():
            if selected is not None and name not in selected:
                continue
            for node in topology["nodes"][key][name]:
                hosts.append(_host(key, project, env, node, environments, topology))
    if any(env["nodes"] for env in environments.values()):
        # Node after node within each environment: the planning play reads one node per batch (node_batches).
        order = {(name, node): index for index, (name, node) in enumerate(
            (name, node) for name, env in environments.items() for node in (env["nodes"] or [None]))}
        hosts.sort(key=lambda host: order[(host[2]["dss_env"], host[2].get("dss_node"))])
    return hosts


def _topology(projects, environments):
    """Per project: its nodes in each environment ([None] for an environment with one node) and its wave."""
    nodes, depends_on = {}, {}
    for key, project in projects.items():
        where = "projects.%s" % key
        if not isinstance(key, str) or not PROJECT_KEY_RE.match(key):
            raise FleetError("%s: a project key is upper case letters, digits and underscores" % where)
        project = _mapping(project, where)
        _unknown_keys(project, PROJECT_KEYS, where)
        upstream = project.get("depends_on") or []
        if not isinstance(upstream, list) or not all(isinstance(up, str) for up in upstream):
            raise FleetError("%s.depends_on must be a list of project keys" % where)
        depends_on[key] = list(dict.fromkeys(upstream))
        per_env = _mapping(project.get("environments"), where + ".environments")
        unknown = sorted(set(per_env) - set(environments))
        if unknown:
            raise FleetError("%s.environments: %s not in environments (%s)"
                             % (where, ", ".join(unknown), ", ".join(environments)))
        nodes[key] = {name: _project_nodes(env, _mapping(per_env.get(name), "%s.environments.%s" % (where, name)),
                                           "%s.environments.%s.nodes" % (where, name))
                      for name, env in environments.items()}
    try:
        wave_of = fleet_topology.waves(depends_on)
    except fleet_topology.TopologyError as exc:
        raise FleetError(str(exc)) from None
    for key, upstream in depends_on.items():
        for name, env in environments.items():
            for up in upstream:
                missing = [node for node in nodes[key][name] if node not in nodes[up][name]]
                if env["node_type"] == "automation" and missing:
                    raise FleetError("projects.%s.depends_on: %s is not deployed on node(s) %s of %s where %s is "
                                     "(an upstream project must be on every node of its dependents)"
                                     % (key, up, ", ".join(missing), name, key))
    return {"nodes": nodes, "depends_on": depends_on, "wave": wave_of,
            "waves": max(wave_of.values(), default=0) + 1}


def _project_nodes(env, settings, where):
    """The nodes of ``env`` a project is deployed to: the ones it lists, by default all of them."""
    listed = settings.get("nodes")
    if env["nodes"] is None:
        if listed is not None:
            raise FleetError("%s: environment %s has a single node (no nodes listed there)" % (where, env["name"]))
        return [None]
    if listed is None:
        return list(env["nodes"])
    if not isinstance(listed, list) or not listed or any(node not in env["nodes"] for node in listed):
        raise FleetError("%s must be a non-empty list of nodes of %s (%s), got %r"
                         % (where, env["name"], ", ".join(env["nodes"]), listed))
    return [node for node in env["nodes"] if node in listed]


def _host(key, project, env, node, environments, topology):
    """(name, groups, vars) of the host of one project on one node of an environment."""
    name = env["name"]
    where, env_where = "projects.%s" % key, "projects.%s.environments.%s" % (key, name)
    project = _mapping(project, where)
    settings = _mapping(_mapping(project.get("environments"), where + ".environments").get(name), env_where)
    _unknown_keys(settings, PROJECT_ENV_KEYS, env_where)
    design = next(other for other in environments.values() if other["node_type"] == "design")
    target = env["nodes"][node] if node else env
    deployer = dict(env["deployer"])
    deployer.update(_mapping(project.get("deployer"), where + ".deployer"))
    deployer.update(_mapping(settings.get("deployer"), env_where + ".deployer"))
    if node:  # the node's infrastructure on the deployer route (infra_id...) is the node's own
        deployer.update(target["deployer"])
    route = settings.get("route", project.get("route"))
    connections = _string_map(settings.get("connections"), env_where + ".connections")
    code_envs = _string_map(settings.get("code_envs"), env_where + ".code_envs")
    if node:  # the node's remapping overrides the project's for the same design names
        connections.update(target["connections"])
        code_envs.update(target["code_envs"])
    host_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "dss_env": name,
        "dss_project_key": key,
        "dss_node_type": env["node_type"],
        "dss_url": target["url"],
        "dss_api_key": target["api_key"],
        "dss_validate_certs": target["validate_certs"],
        "dss_route": _choice(route, ROUTES, env_where + ".route", env["route"]),
        "dss_connections": connections,
        "dss_code_envs": code_envs,
        "dss_tests": _tests((where + ".tests", project.get("tests")), (env_where + ".tests", settings.get("tests"))),
        "dss_deployer": deployer,
        "dss_design_host": host_name(design["name"], key),
        "dss_design_node": _node_vars(design),
    }
    if target["ca_path"]:
        host_vars["dss_ca_path"] = target["ca_path"]
    if env["certified_on"]:
        host_vars.update(_gate_vars(environments[env["certified_on"]], key, topology))
    if env["gates"]:
        host_vars["dss_gates"] = dict(env["gates"])
    if env["environment_objects"] is not None:
        host_vars["dss_environment_objects"] = env["environment_objects"]
    groups = [name, "dss_%s" % env["node_type"], "project_%s" % key]
    if node:
        host_vars.update({"dss_node": node, "dss_node_group": target["group"]})
        groups.append(target["group"])
    if env["node_type"] == "automation":
        host_vars.update(_order_vars(key, env, node, topology))
    return host_name(name, key, node), groups, host_vars


def _gate_vars(gate, key, topology):
    """The gate environment's host(s) and node(s) of the project: with several nodes, every one must certify."""
    if gate["nodes"] is None:
        return {"dss_gate_env": gate["name"], "dss_gate_host": host_name(gate["name"], key),
                "dss_gate_node": _node_vars(gate)}
    nodes = {host_name(gate["name"], key, node): _node_vars(gate["nodes"][node])
             for node in topology["nodes"][key][gate["name"]]}
    first = next(iter(nodes))
    return {"dss_gate_env": gate["name"], "dss_gate_host": first, "dss_gate_node": nodes[first],
            "dss_gate_hosts": list(nodes), "dss_gate_nodes": nodes}


def _order_vars(key, env, node, topology):
    """Rollout step, wave and upstream hosts of an automation host; none for a fleet without either."""
    order = {}
    phase = env["nodes"][node]["phase"] if node else 0
    phase_count = env["rollout"]["phases"] if node else 1
    steps = fleet_topology.step_count(phase_count, topology["waves"])
    if steps > 1:
        order.update({"dss_rollout_step": fleet_topology.step(phase, topology["wave"][key], topology["waves"]),
                      "dss_rollout_steps": list(range(steps)), "dss_rollout_phase": phase})
    if node:
        order["dss_rollout"] = {"canary": env["rollout"]["canary"],
                                "max_fail_percentage": env["rollout"]["max_fail_percentage"]}
    if topology["waves"] > 1:
        order["dss_wave"] = topology["wave"][key]
    if topology["depends_on"][key]:
        order["dss_depends_on"] = list(topology["depends_on"][key])
        order["dss_upstream_hosts"] = [host_name(env["name"], up, node) for up in topology["depends_on"][key]]
    return order


def host_name(env, project_key, node=None):
    """<env>-<PROJECT_KEY>, or <env>-<node>-<PROJECT_KEY> for a node of an environment with several."""
    return "%s-%s-%s" % (env, node, project_key) if node else "%s-%s" % (env, project_key)
