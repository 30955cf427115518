# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of the collection's roles, resolved once in Python instead of one Jinja default per variable.

Every input ``<role>_<name>`` defaults to the shared inventory variable of the promotion contract (``dss_<name>``
unless the table says otherwise), then to a fixed value; an unset required input fails with one message naming
what is missing. Beside the inputs, each role gets the options of its module tasks, built here from the inputs, so
the roles pass them as ``module_defaults`` in one expression.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.bundle_converged import bundle_converged
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.converged_result import converged_result
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.test_options import role_test_options
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils import export_inputs

REQUIRED = object()
NODE_KEYS = ("url", "api_key", "validate_certs", "ca_path")

# name -> (contract variable, default). REQUIRED: no default, the role fails without it.
CONNECTION = {
    "url": ("dss_url", REQUIRED),
    "api_key": ("dss_api_key", REQUIRED),
    "validate_certs": ("dss_validate_certs", True),
    "ca_path": ("dss_ca_path", ""),
}
TESTS = {
    "tests": ("dss_tests", {}),
    "junit_dir": ("dss_junit_dir", ""),
    "first_deploy_failure_policy": ("dss_first_deploy_failure_policy", "keep"),
}
REMAPPING = {
    "connections": ("dss_connections", {}),
    "code_envs": ("dss_code_envs", {}),
}
# The preflight gates: what promote.yml builds (with tested_on), else the environment's gates of the fleet.
GATES = {"gates": (("dss_gate_options", "dss_gates"), {})}
INPUTS = {
    "bundle_deploy": dict(
        CONNECTION, **REMAPPING, **TESTS, **GATES,
        project_key=("dss_project_key", REQUIRED),
        bundle_id=("dss_bundle_id", REQUIRED),
        bundle_source=("dss_bundle_source", None),
        bundle_archive_dir=("dss_bundle_archive_dir", ""),
        node_state=("dss_node_state", {}),
        keep_last=("dss_keep_last", 0),
        lock_owner=("dss_run_id", ""),
        lock_timeout=("dss_lock_timeout", 300),
        expect_export=("dss_bundle_exported_in_run", False),
        break_lock=("dss_break_lock", False),
    ),
    "deployer_deploy": dict(
        CONNECTION, **REMAPPING, **TESTS, **GATES,
        project_key=("dss_project_key", REQUIRED),
        bundle_id=("dss_bundle_id", REQUIRED),
        bundle_source=("dss_bundle_source", REQUIRED),
        deployer=("dss_deployer", REQUIRED),
        run_tests=("dss_run_tests", True),
    ),
    "bundle_export": dict(
        CONNECTION,
        projects=(None, None),  # export_inputs.projects
        bundle_id=("dss_bundle_id", ""),
        git_dir=("dss_git_dir", None),  # None: the playbook's directory
        release_notes=("dss_release_notes", ""),
        bundle_download_dir=("dss_bundle_download_dir", ""),
        keep_last=("dss_keep_last", 0),
        commit=("dss_commit", ""),
        commit_branch=("dss_commit_branch", ""),
        commit_check=("dss_commit_check", "verify"),
        commit_required=("dss_commit_required", False),
    ),
    "project_as_code": dict(
        CONNECTION,
        file=("dss_project_file", ""),
    ),
}
MISSING = {
    "bundle_export": export_inputs.MISSING,
    "bundle_deploy": "bundle_deploy needs dss_url, dss_api_key, dss_project_key, dss_bundle_id and exactly one of "
                     "dss_bundle_source and dss_bundle_archive_dir (or the bundle_deploy_* variables that override "
                     "them).",
    "deployer_deploy": "deployer_deploy needs dss_project_key, dss_bundle_id, dss_bundle_source (the design node), "
                       "dss_deployer with at least url, api_key and infra_id, and dss_first_deploy_failure_policy "
                       "keep or delete_project (or the deployer_deploy_* variables that override them).",
    "project_as_code": "project_as_code needs dss_url and dss_api_key (or project_as_code_url and "
                       "project_as_code_api_key).",
}


class RoleInputError(ValueError):
    """An input of a role is missing or invalid; the message says what the role needs."""


def _value(variables, role, name, contract, default):
    contracts = contract if isinstance(contract, tuple) else (contract,)
    for var in ("%s_%s" % (role, name),) + contracts:
        value = variables.get(var) if var else None
        if value is not None:
            return value
    return default


def resolve(variables, role):
    """The inputs of ``role`` (short names) from the play's variables, with the options its module tasks take."""
    if role not in INPUTS:
        raise RoleInputError("unknown role %r (known: %s)" % (role, ", ".join(sorted(INPUTS))))
    inputs = {}
    for name, (contract, default) in INPUTS[role].items():
        value = _value(variables, role, name, contract, default)
        if value is REQUIRED or value == "":
            if default is REQUIRED:
                raise RoleInputError(MISSING[role])
        inputs[name] = value
    inputs["connection"] = connection(inputs)
    if role == "project_as_code":
        # The description (given, else the file loaded by the role) and what every module of the role shares.
        inputs["spec"] = variables.get("project_as_code_description") or variables.get("project_as_code_loaded") or {}
        project = inputs["spec"].get("project") if isinstance(inputs["spec"], Mapping) else None
        inputs["key"] = project.get("key") if isinstance(project, Mapping) else None
        inputs["module_defaults"] = dict(inputs["connection"], project_key=inputs["key"])
        return inputs
    if role == "bundle_export":
        try:
            inputs["projects"] = export_inputs.projects(variables)
        except ValueError as exc:
            raise RoleInputError(str(exc)) from None
        inputs["git_dir"] = inputs["git_dir"] or variables.get("playbook_dir")
        return export_inputs.derive(inputs, variables)
    inputs["report"] = "%s-%s" % (inputs["project_key"], inputs["bundle_id"])
    inputs["on_failure"] = "delete_project" if inputs["first_deploy_failure_policy"] == "delete_project" \
        else "rollback"
    if role == "bundle_deploy":
        inputs["module"] = _bundle_deploy(inputs, variables.get("inventory_hostname") or "")
        # Converged (the playbook's bulk read says the bundle is active with a passing test record): the result to
        # record without starting the module; null otherwise.
        converged = bundle_converged(inputs["node_state"], inputs["bundle_id"])
        inputs["converged_result"] = converged_result(inputs["bundle_id"], inputs["project_key"]) if converged else None
    else:
        _deployer_deploy(inputs)
    return inputs


def connection(node, prefix=""):
    """The connection options of a module (url, api_key, validate_certs, ca_path when set) from a node: a dict with
    those keys, or a host's variables with ``prefix`` (dss_) before them."""
    node = node if isinstance(node, Mapping) else {}
    options = {}
    for key in NODE_KEYS:
        value = node.get(prefix + key)
        if value is not None and value != "":
            options[key] = value
    missing = [prefix + key for key in ("url", "api_key") if key not in options]
    if missing:
        raise RoleInputError("the connection to the node needs %s (a DSS node: url, api_key, validate_certs, "
                             "ca_path)" % " and ".join(missing))
    options.setdefault("validate_certs", True)
    return options


def _bundle_deploy(inputs, hostname):
    source, archive_dir = inputs["bundle_source"], inputs["bundle_archive_dir"]
    if bool(source) == bool(archive_dir):
        raise RoleInputError(MISSING["bundle_deploy"])
    options = connection(inputs)
    tests = inputs["tests"] or {}
    options.update(
        project_key=inputs["project_key"],
        bundle_id=inputs["bundle_id"],
        connections=inputs["connections"],
        code_envs=inputs["code_envs"],
        lock_owner=inputs["lock_owner"] or "%d-%s" % (time.time_ns(), hostname),
        lock_timeout=inputs["lock_timeout"],
        break_lock=inputs["break_lock"],
        expect_export=inputs["expect_export"],
        warning_is_failure=tests.get("warning_is_failure", False),
        tests=role_test_options(tests, inputs["junit_dir"], inputs["report"]),
        on_failure=inputs["on_failure"],
    )
    if source:
        options["source"] = dict((key, value) for key, value in source.items()
                                 if key in NODE_KEYS and value is not None)
    else:
        options["src"] = "%s/%s.zip" % (archive_dir, inputs["report"])
    if int(inputs["keep_last"] or 0) > 0:
        options["keep_last"] = inputs["keep_last"]
    if inputs["gates"]:
        options["gates"] = inputs["gates"]
    return options


def _deployer_deploy(inputs):
    deployer, source = inputs["deployer"], inputs["bundle_source"]
    if not isinstance(deployer, Mapping) or not deployer.get("url") or not deployer.get("infra_id") \
            or not isinstance(source, Mapping) or not source.get("url") \
            or inputs["first_deploy_failure_policy"] not in ("keep", "delete_project"):
        raise RoleInputError(MISSING["deployer_deploy"])
    published = deployer.get("published_project_key") or inputs["project_key"]
    tests = inputs["tests"] or {}
    inputs["deployer_connection"] = connection(deployer)
    inputs["publish"] = dict(
        project_key=inputs["project_key"], bundle_id=inputs["bundle_id"], published_project_key=published,
        source=dict((key, value) for key, value in source.items() if key in NODE_KEYS and value is not None))
    deployment = dict(
        deployment_id=deployer.get("deployment_id") or "%s-on-%s" % (published, deployer["infra_id"]),
        published_project_key=published,
        infra_id=deployer["infra_id"],
        bundle_id=inputs["bundle_id"],
        deployed_project_key=inputs["project_key"],
        ignore_warnings=deployer.get("ignore_warnings", False),
        govern_timeout=deployer.get("govern_timeout", 0),
        warning_is_failure=tests.get("warning_is_failure", False),
        on_failure=inputs["on_failure"],
    )
    for key in ("connections", "code_envs", "gates"):
        if inputs[key]:
            deployment[key] = inputs[key]
    for key in ("update_timeout", "govern_poll_interval"):
        if deployer.get(key) is not None:
            deployment[key] = deployer[key]
    if inputs["run_tests"]:
        deployment["automation"] = dict(url=inputs["url"], api_key=inputs["api_key"],
                                        validate_certs=inputs["validate_certs"], ca_path=inputs["ca_path"] or None)
        deployment["tests"] = role_test_options(tests, inputs["junit_dir"], inputs["report"])
    inputs["deployment"] = deployment
