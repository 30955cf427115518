# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of a module from one entry of a description (a project description's datasets, recipes,
scenarios; a node's connections and code envs; a project's commit check): the entry's keys that the module takes, unset ones left to the
module's defaults, other keys ignored (they belong to the description, not to the module)."""

from __future__ import annotations

OPTIONS = {
    "dataiku_project": ("name", "owner", "description", "short_description", "tags", "variables", "variables_mode",
                        "permissions", "permissions_exclusive"),
    "dataiku_dataset": ("name", "type", "managed", "connection", "params", "format_type", "format_params", "schema"),
    "dataiku_recipe": ("name", "type", "inputs", "outputs", "payload", "params"),
    "dataiku_scenario": ("id", "name", "type", "steps", "script", "triggers", "active"),
    "dataiku_connection": ("name", "state", "type", "description", "params", "secret_params", "update_secrets",
                           "usable_by", "allowed_groups"),
    "dataiku_code_env": ("name", "state", "lang", "deployment_mode", "packages", "update_packages"),
    "dataiku_project_git": ("commit", "branch", "checkout_commit", "on_mismatch", "required"),
}
# Options left to the module's defaults when empty (a commit check's unset commit, branch and checkout commit).
OMIT_EMPTY = {
    "dataiku_project_git": ("commit", "branch", "checkout_commit"),
}


class ModuleOptionsError(ValueError):
    """The module is not one whose options a description gives."""


def module_options(entry, module, fixed=None):
    """The options of ``module`` in ``entry`` (a mapping) with ``fixed`` (the options every entry shares) on top."""
    if module not in OPTIONS:
        raise ModuleOptionsError("module_options: unknown module %r (known: %s)" % (module, ", ".join(sorted(OPTIONS))))
    entry = entry or {}
    omit = OMIT_EMPTY.get(module, ())
    options = dict((key, entry[key]) for key in OPTIONS[module] if key in entry and (entry[key] or key not in omit))
    options.update(fixed or {})
    return options
