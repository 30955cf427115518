#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_connection_remap
short_description: Map design-node connections and code envs to automation-node ones before bundle activation
version_added: 0.1.0
description:
  - Manages the bundle activation remapping of a project on a DSS B(automation) node, that is
    C(bundleContainerSettings.remapping.connections) and C(.codeEnvs) (lists of C({source, target})) and
    C(bundleContainerSettings.codeEnvsBehavior) in the project settings. This is what the "Activation settings"
    page of the DSS bundles screen edits.
  - Run it B(before) M(dataiku_gitops.dss.dataiku_bundle) activates a bundle. DSS resolves every connection the
    bundle requires through this mapping, else by the same name, and refuses the activation when the target is
    missing or of another type.
  - B(Preflight, before any write.) Every target connection must exist on the node and, when the source type is
    known, have the same type. The source type comes from the C(exportManifest.requiredConnections) of the bundle
    O(bundle_id); without O(bundle_id), from the most recently imported bundle of the project; when the project
    has no imported bundle (or the bundle does not use that source), only the target's existence is checked.
    With O(bundle_id), every connection and code env the bundle requires must also resolve (mapped or same name).
    On failure the module fails with ONE message listing each unresolved entry and why (missing, or
    C(type X vs Y)) and the connections that exist on the node, and writes nothing (also in check mode).
  - The settings are read and saved back whole, so every other key (permissions, exporter settings,
    C(remapping.containerExecs), ...) is kept. The settings are only saved when the mapping changes; lists are
    compared ignoring order, so a re-run makes no write and reports no change.
  - B(Before the bundle is imported.) With O(source), a bundle O(bundle_id) that is not imported on this node yet is
    read from the exported bundles of the design node, so the preflight can run before the upload (and in check
    mode, where the import did not happen) and refuse a bad mapping before anything is uploaded.
  - B(First deployment.) When the project does not exist yet on this node, check mode predicts from empty settings
    (C(changed) when the mapping sets anything, the diff starts from empty mappings); a real run fails, since the
    settings only exist once M(dataiku_gitops.dss.dataiku_bundle) has created the project from the bundle. Run this
    module after the import on a first deployment.
  - Needs an API key allowed to read the connections and code envs of the node (C(GET /admin/connections)).
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
  - dataiku_gitops.dss.dss.source
options:
  project_key:
    description:
      - Key of the project on the automation node.
    type: str
    required: true
  connections:
    description:
      - Connection remapping, as a dictionary mapping a source connection name to a target connection name. The source is the
        connection name on the design node (as in the bundle), the target the connection on this node.
      - Not set means the connection mapping is not managed (but it is still checked when O(bundle_id) is set).
      - See O(exclusive) for what happens to mapped sources not listed here.
    type: dict
  code_envs:
    description:
      - Code env remapping, as a dictionary mapping a source env name to a target env name.
      - DSS identifies code envs by language and name, but its remapping entries are C({source, target}) names
        only, so an entry applies to the envs of that name in every language. The preflight takes the language
        from the bundle (C(usedCodeEnvRefs)) and requires the target env to exist in that same language; when no
        bundle names the source, an env of that name in any language is enough.
      - A missing target env is accepted when the effective C(importTimeMode) is V(INSTALL_IF_MISS) (preload will
        install it); otherwise it fails the preflight.
      - Not set means the code env mapping is not managed. See O(exclusive).
    type: dict
  code_envs_behavior:
    description:
      - What preload does with the code envs of a bundle (C(bundleContainerSettings.codeEnvsBehavior)).
      - Only the sub-options given are set; the others keep their current value.
    type: dict
    suboptions:
      import_time_mode:
        description:
          - V(INSTALL_IF_MISS) creates missing envs at preload, V(FAIL_IF_MISS) fails the preload, V(DO_NOTHING)
            leaves envs alone.
        type: str
        choices: [INSTALL_IF_MISS, FAIL_IF_MISS, DO_NOTHING]
      env_import_specification_mode:
        description:
          - Whether envs are created from the package list the design env declares (V(SPECIFIED)) or from what
            is actually installed there (V(ACTUAL)).
        type: str
        choices: [SPECIFIED, ACTUAL]
  exclusive:
    description:
      - V(false) (the default) merges. The sources given in O(connections) / O(code_envs) get the target given,
        other existing entries are kept.
      - V(true) replaces the whole list with exactly what is given (O(connections={}) clears the connection
        mapping). Applies only to the lists that are set.
    type: bool
    default: false
  bundle_id:
    description:
      - An imported bundle of the project to check the mapping against. Every connection in its
        C(exportManifest.requiredConnections) and every env in C(usedCodeEnvRefs) must resolve.
      - When the bundle is not imported in the project (or the project does not exist yet), it is read from the
        design node given by O(source); without O(source) the task fails, listing the imported bundle ids.
    type: str
  source:
    description:
      - The design node the bundle O(bundle_id) was exported from, same shape as the O(source) option of
        M(dataiku_gitops.dss.dataiku_bundle). Only contacted when O(bundle_id) is not imported on this node yet;
        then its C(exportManifest) is read from the design node's list of exported bundles (nothing is
        downloaded).
      - In check mode, a bundle not exported there yet (a plan whose export task did not run) is predicted from the
        design project's current datasets, whose connections are checked (typed when the key may list the design
        node's connections); code envs are then not checked.
      - Requires O(bundle_id).
      - The TLS client certificate options, O(timeout) and O(retries) of the task apply to this node too; its
        certificate is verified with its own O(source.validate_certs) and O(source.ca_path), never the task's.
    # type and suboptions: doc fragment dataiku_gitops.dss.dss.source
notes:
  - Duplicated sources in an existing list are read as "first entry wins"; a managed source is rewritten as one
    entry. Entries that do not change keep any extra keys DSS stored in them.
  - Connections whose name starts with C(@virtual) are resolved by DSS itself and are not checked.
seealso:
  - module: dataiku_gitops.dss.dataiku_project_info
  - module: dataiku_gitops.dss.dataiku_bundle
"""

EXAMPLES = r"""
- name: Map the dev connection names to the prod ones, checking the bundle about to be activated
  dataiku_gitops.dss.dataiku_connection_remap:
    url: https://dss-prod.example.com:11200
    api_key: "{{ dss_prod_api_key }}"
    project_key: CHURN
    bundle_id: v1.4.0
    connections:
      pg_dev: pg_prod
      s3_dev: s3_prod
    code_envs:
      py311_dev: py311
    code_envs_behavior:
      import_time_mode: FAIL_IF_MISS

- name: Own the whole connection mapping (drops entries not listed)
  dataiku_gitops.dss.dataiku_connection_remap:
    project_key: CHURN
    connections: "{{ dss_connection_map }}"
    exclusive: true

- name: Refuse a bad mapping before uploading bundle v1.5.0 (read from the design node, nothing written)
  dataiku_gitops.dss.dataiku_connection_remap:
    project_key: CHURN
    bundle_id: v1.5.0
    connections:
      pg_dev: pg_prod
    source:
      url: https://dss-design.example.com:11200
      api_key: "{{ dss_design_api_key }}"
  check_mode: true

- name: Only check that bundle v1.4.0 can be activated with the current mapping
  dataiku_gitops.dss.dataiku_connection_remap:
    project_key: CHURN
    bundle_id: v1.4.0
"""

RETURN = r"""
connections:
  description: The connection mapping after the task (in check mode, what it would be), C(source -> target).
  returned: success
  type: dict
  sample: {"pg_dev": "pg_prod"}
code_envs:
  description: The code env mapping after the task, C(source -> target).
  returned: success
  type: dict
  sample: {"py311_dev": "py311"}
code_envs_behavior:
  description: C(bundleContainerSettings.codeEnvsBehavior) after the task (DSS key names).
  returned: success
  type: dict
  sample: {"importTimeMode": "FAIL_IF_MISS"}
bundle_id:
  description:
    - The bundle the mapping was checked against (O(bundle_id), imported or read through O(source), else the
      latest import), or null.
  returned: success
  type: str
  sample: v1.4.0
resolution:
  description:
    - How each connection resolves with the mapping after the task. With O(bundle_id), one row per connection
      the bundle requires plus one per other mapping entry; without it, one row per mapping entry.
    - Also returned when the preflight fails.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: Connection name in the bundle (design node).
      type: str
    target:
      description: Connection it resolves to on this node.
      type: str
    type:
      description: Connection type the bundle requires, null when no bundle names this source.
      type: str
    target_type:
      description: Type of the target on this node, null when it does not exist.
      type: str
    resolved_by:
      description: V(mapping) (an entry of the mapping) or V(same_name) (no entry, DSS uses the same name).
      type: str
    required:
      description: Whether the bundle O(bundle_id) requires this source.
      type: bool
    ok:
      description: Whether activation can use this resolution.
      type: bool
    problem:
      description: Why not (or a note such as an allowed missing connection), else null.
      type: str
  sample:
    - {source: pg_dev, target: pg_prod, type: PostgreSQL, target_type: PostgreSQL, resolved_by: mapping,
       required: true, ok: true, problem: null}
code_env_resolution:
  description: Like RV(resolution), for code envs (C(language) instead of the types).
  returned: always
  type: list
  elements: dict
  sample:
    - {source: py311_dev, target: py311, language: PYTHON, resolved_by: mapping, required: true, ok: true,
       problem: null}
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import (
    bundle_id_error,
    name_error,
    project_key_error,
    shown,
)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import ENV_SPEC_MODES, IMPORT_TIME_MODES
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap import plan as remap_plan
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.state import RemapState
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_argument_spec, source_errors


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        connections=dict(type="dict"),
        code_envs=dict(type="dict"),
        code_envs_behavior=dict(type="dict", options=dict(
            import_time_mode=dict(type="str", choices=IMPORT_TIME_MODES),
            env_import_specification_mode=dict(type="str", choices=ENV_SPEC_MODES),
        )),
        exclusive=dict(type="bool", default=False),
        bundle_id=dict(type="str"),
        source=source_argument_spec(),
    )


def source_option_errors(module, params):
    """Validate ``source`` and fill its defaults (project_key, bundle_id) in place."""
    source = params["source"]
    if not source:
        return []
    if params["bundle_id"] is None:
        return ["source needs bundle_id: it only serves to read a bundle that is not imported yet."]
    return source_errors(module, source, params["project_key"], params["bundle_id"])


def input_errors(params):
    """Every problem with the options but ``source``, found before any request."""
    errors = [project_key_error(params["project_key"])]
    if params["bundle_id"] is not None:
        errors.append(bundle_id_error(params["bundle_id"]))
    for option in ("connections", "code_envs"):
        for source, target in (params[option] or {}).items():
            errors.append(name_error(source, "%s source" % option))
            errors.append(name_error(target, "%s[%s] target" % (option, shown(source))))
    return [e for e in errors if e]


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    p = module.params
    errors = [e for e in input_errors(p) + source_option_errors(module, p) if e]
    if errors:
        raise DssError(" ".join(errors))
    module.check_node_type_option()
    module.require_node_type("AUTOMATION", "Bundle activation remapping (dataiku_connection_remap)")

    state = RemapState(module, p["project_key"], p["source"])
    if state.project_exists():
        settings = state.settings()
    elif module.check_mode:
        # First deployment planned in check mode: the import that creates the project did not happen.
        settings = None
    else:
        raise DssError("Project %s does not exist on %s; import the bundle first or run this after "
                       "dataiku_bundle (which creates the project from the bundle)." % (p["project_key"], module.url))
    before, after, conn_rows, env_rows, changed, bundle = remap_plan.plan(
        module, state, settings.get_raw() if settings else {}, p)
    if changed and not module.check_mode:
        remap_plan.write(module, settings, after, p, state.settings)

    managed = remap_plan.view(after)
    module.exit_with(changed, before=remap_plan.view(before), after=managed, resolution=conn_rows,
                     code_env_resolution=env_rows, bundle_id=(bundle or {}).get("bundleId"), **managed)


def main():
    module = DssModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run_task, module)


if __name__ == "__main__":
    main()
