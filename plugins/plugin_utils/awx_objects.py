# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX objects playbooks/awx/configure.yml creates, as the options of the awx.awx modules that create them.

Built from the playbook's ``dss_awx_*`` variables and the controller's environment (``DSS_<ENV>_URL`` ...), so the
playbook is one task per kind of object looping over the result. The first environment holds the design node (the
export, and the bundle source of every deploy); each later one is an automation environment, deployed after an
approval in the order given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

NODE_TYPE = "Dataiku DSS node"
SOURCE_TYPE = "Dataiku DSS bundle source"
SOURCE_CREDENTIAL = "DSS bundle source"
WORKFLOW = "DSS promote"

# name (after dss_awx_) -> default; scm_url and ee_image fall back to DSS_AWX_SCM_URL and DSS_AWX_EE_IMAGE.
DEFAULTS = {
    "organization": "Default",
    "scm_url": "",
    "scm_branch": "main",
    "scm_credential": "",
    "ee_image": "",
    "ee_name": "DSS Dataiku EE",
    "update_secrets": False,
    "environments": ["dev", "staging", "prod"],
    "project": "DSS GitOps project",
    "promote_playbook": "playbooks/promote.yml",
    "rollback_playbook": "playbooks/rollback.yml",
    "approval_timeout": 86400,
}
FROM_ENVIRON = {"scm_url": "DSS_AWX_SCM_URL", "ee_image": "DSS_AWX_EE_IMAGE"}
# dss_awx_<name> -> the awx.awx connection option (omitted when unset: CONTROLLER_* or ~/.tower_cli.cfg then apply).
CONTROLLER = {"controller_host": "controller_host", "controller_token": "controller_oauthtoken",
              "controller_validate_certs": "validate_certs"}
ENVIRONMENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class AwxInputError(ValueError):
    """An input of configure.yml is missing or invalid; the message says what to set."""


def _read_text(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _boolean(value, name):
    try:
        return boolean(value, strict=True)
    except TypeError:
        pass
    raise AwxInputError("%s must be a boolean (true or false), not %r." % (name, value))


def settings(variables, environ):
    """The dss_awx_* settings (short names) with their defaults, checked; raises AwxInputError naming what is wrong."""
    variables = variables if isinstance(variables, Mapping) else {}
    values = {}
    for name, default in DEFAULTS.items():
        value = variables.get("dss_awx_" + name)
        if (value is None or value == "") and name in FROM_ENVIRON:
            value = environ.get(FROM_ENVIRON[name], "")
        values[name] = default if value is None else value
    values["update_secrets"] = _boolean(values["update_secrets"], "dss_awx_update_secrets")
    try:
        values["approval_timeout"] = int(values["approval_timeout"])
    except (TypeError, ValueError):
        values["approval_timeout"] = -1
    if values["approval_timeout"] < 0:
        raise AwxInputError("dss_awx_approval_timeout must be a number of seconds (0: no timeout), not %r."
                            % variables.get("dss_awx_approval_timeout"))
    envs = values["environments"]
    if isinstance(envs, str) or not isinstance(envs, (list, tuple)) or len(envs) < 2 \
            or len(set(envs)) != len(envs) or not all(isinstance(e, str) and ENVIRONMENT_NAME.match(e) for e in envs):
        raise AwxInputError("dss_awx_environments must list at least two distinct environment names (letters, digits, "
                            "_), the design environment first, for example [dev, staging, prod]; got %r." % (envs,))
    values["environments"] = list(envs)
    values["controller"] = dict((option, variables["dss_awx_" + name]) for name, option in CONTROLLER.items()
                                if variables.get("dss_awx_" + name) not in (None, ""))
    return values


def node_inputs(env, environ, read_text=_read_text):
    """The inputs of the DSS node credential of ``env`` from DSS_<ENV>_URL, _API_KEY, _VALIDATE_CERTS, _CA_FILE."""
    prefix = "DSS_%s_" % env.upper()
    validate = environ.get(prefix + "VALIDATE_CERTS") or True
    ca_file = environ.get(prefix + "CA_FILE") or ""
    try:
        ca = read_text(ca_file) if ca_file else ""
    except OSError as exc:
        raise AwxInputError("%sCA_FILE names %s, which cannot be read (%s)." % (prefix, ca_file, exc.strerror)) from None
    return {
        "url": environ.get(prefix + "URL") or "",
        "api_key": environ.get(prefix + "API_KEY") or "",
        # Always sent: AWX injects a boolean field missing from a credential as false.
        "validate_certs": _boolean(validate, prefix + "VALIDATE_CERTS"),
        "ca": ca,
    }


def _missing(values, nodes):
    missing = []
    if not values["scm_url"]:
        missing.append("Set DSS_AWX_SCM_URL (or -e dss_awx_scm_url=...) to the git URL of this repository.")
    for env, inputs in nodes.items():
        if not inputs["url"] or not inputs["api_key"]:
            missing.append("Set DSS_{0}_URL and DSS_{0}_API_KEY for the {1} DSS node.".format(env.upper(), env))
    return missing


def _job_templates(values):
    design, automation = values["environments"][0], values["environments"][1:]
    promote, rollback = values["promote_playbook"], values["rollback_playbook"]
    # One job template per action and environment: a job template takes one credential of each custom type, so each
    # environment's DSS credential needs its own template. "plan" twins run --check --diff (job_type check).
    specs = [("DSS export %s" % design, design, promote, "run", False, ["DSS %s node" % design],
              "Export one bundle per commit on the design node (set_stats dss_bundle_id)."),
             ("DSS plan export %s" % design, design, promote, "check", True, ["DSS %s node" % design],
              "What the export would do (check mode with diff).")]
    for env in automation:
        credentials = ["DSS %s node" % env, SOURCE_CREDENTIAL]
        specs.append(("DSS deploy %s" % env, env, promote, "run", False, credentials,
                      "Import, remap, activate and test dss_bundle_id; roll back on failure."))
        specs.append(("DSS plan deploy %s" % env, env, promote, "check", True, credentials,
                      "What deploying dss_bundle_id to %s would change." % env))
    for env in automation:
        specs.append(("DSS rollback %s" % env, env, rollback, "run", True, ["DSS %s node" % env],
                      "Activate the previous bundle (or dss_rollback_to) and test it."))
    templates = []
    for name, env, playbook, job_type, diff_mode, credentials, description in specs:
        template = {"name": name, "description": description, "organization": values["organization"],
                    "project": values["project"], "playbook": playbook, "inventory": "DSS %s" % env,
                    "credentials": credentials, "job_type": job_type, "diff_mode": diff_mode,
                    # Launched alone, deploy needs -e dss_bundle_id=...; in the workflow it comes from the export's
                    # set_stats. One job per template at a time: two deploys of one environment never overlap.
                    "ask_variables_on_launch": True, "allow_simultaneous": False, "state": "present"}
        _with_ee(template, "execution_environment", values)
        templates.append(template)
    return templates


def _workflow(values):
    design, automation = values["environments"][0], values["environments"][1:]
    organization = {"name": values["organization"]}
    nodes = [{"identifier": "export-%s" % design,
              "unified_job_template": {"name": "DSS export %s" % design, "type": "job_template",
                                       "organization": organization}}]
    previous = design
    for env in automation:
        nodes.append({"identifier": "approve-%s" % env,
                      "unified_job_template": {
                          "name": "Approve the %s deployment" % env, "type": "workflow_approval",
                          "description": "Deploy the bundle %s %s to %s?" % (
                              "exported on" if previous == design else "that passed", previous, env),
                          "timeout": values["approval_timeout"]}})
        nodes.append({"identifier": "deploy-%s" % env,
                      "unified_job_template": {"name": "DSS deploy %s" % env, "type": "job_template",
                                               "organization": organization}})
        previous = env
    # A chain: each node's success leads to the next (a failure ends the workflow, later environments untouched).
    for node, following in zip(nodes, nodes[1:]):
        node["related"] = {"success_nodes": [{"identifier": following["identifier"]}]}
    return {
        "name": WORKFLOW,
        "description": "Export on %s, then deploy the same bundle to %s, each behind an approval." % (
            design, " and ".join(automation)),
        "organization": values["organization"],
        "allow_simultaneous": False,
        # The export job's set_stats (dss_bundle_id) becomes an extra var of every later job of the branch;
        # approval nodes pass it through.
        "ask_variables_on_launch": True,
        "workflow_nodes": nodes,
        "state": "present",
    }


def _with_ee(options, key, values):
    if values["ee_image"]:
        options[key] = values["ee_name"]
    return options


def build(variables, environ, read_text=_read_text):
    """Every object of configure.yml by kind (the options of its awx.awx module), and the controller connection."""
    values = settings(variables, environ)
    organization, envs = values["organization"], values["environments"]
    nodes = dict((env, node_inputs(env, environ, read_text)) for env in envs)
    missing = _missing(values, nodes)
    if missing:
        raise AwxInputError(" ".join(missing))
    design = nodes[envs[0]]
    credentials = [{"name": "DSS %s node" % env, "description": "DSS node of the %s environment" % env,
                    "organization": organization, "credential_type": NODE_TYPE, "inputs": inputs}
                   for env, inputs in nodes.items()]
    credentials.append({"name": SOURCE_CREDENTIAL, "description": "Design node of the %s environment" % envs[0],
                        "organization": organization, "credential_type": SOURCE_TYPE,
                        "inputs": {"url": design["url"], "api_key": design["api_key"]}})
    for credential in credentials:
        # AWX never returns secrets to compare: re-sending them (key rotation) is explicit.
        credential.update(update_secrets=values["update_secrets"], state="present")
    execution_environments = [{
        "name": values["ee_name"], "image": values["ee_image"], "organization": organization, "pull": "missing",
        "description": "dataiku_gitops.dss with dataiku-api-client (built from extensions/ee)", "state": "present",
    }] if values["ee_image"] else []
    project = {"name": values["project"], "organization": organization, "scm_type": "git",
               "scm_url": values["scm_url"], "scm_branch": values["scm_branch"], "scm_update_on_launch": True,
               "wait": True, "state": "present"}
    if values["scm_credential"]:
        project["scm_credential"] = values["scm_credential"]
    _with_ee(project, "default_environment", values)
    inventories = [{"name": "DSS %s" % env, "description": "Hosts and variables of inventories/%s/ in the project" % env,
                    "organization": organization, "state": "present"} for env in envs]
    inventory_sources = [_with_ee({
        "name": "DSS %s from project" % env, "inventory": "DSS %s" % env, "organization": organization,
        "source": "scm", "source_project": values["project"], "source_path": "inventories/%s/hosts.yml" % env,
        "overwrite": True, "overwrite_vars": True, "update_on_launch": True, "state": "present",
    }, "execution_environment", values) for env in envs]
    return {
        "controller": values["controller"],
        "execution_environments": execution_environments,
        "credentials": credentials,
        "project": project,
        "inventories": inventories,
        "inventory_sources": inventory_sources,
        "job_templates": _job_templates(values),
        "workflow": _workflow(values),
    }
