# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads shared by dataiku_connection_remap and dataiku_connection_remap_info (no writes here).

Every read goes through ``module.dss_errors`` so a failure is one short message naming the operation.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._remap.mapping import (
    allowed_missing,
    pick_bundle,
    required_connections,
    resolve_code_envs,
    resolve_connections,
    used_code_envs,
)


def remapping_of(raw_settings):
    """The remapping lists and codeEnvsBehavior stored in the raw project settings (absent keys -> empty)."""
    container = raw_settings.get("bundleContainerSettings") or {}
    remapping = container.get("remapping") or {}
    return dict(connections=list(remapping.get("connections") or []),
                code_envs=list(remapping.get("codeEnvs") or []),
                behavior=dict(container.get("codeEnvsBehavior") or {}))


class RemapState:
    """What a remapping decision needs from one automation project, read lazily and once.

    ``source`` (the validated ``source`` option: url, api_key, project_key, bundle_id, validate_certs, ca_path) is
    the design node a bundle that is not imported here yet is read from; ``imported``, the imported bundle entries
    when the caller has already listed them (so the list is not read twice).
    """

    def __init__(self, module, project_key, source=None, imported=None):
        self.module = module
        self.project_key = project_key
        self.source = source
        self.project = module.client.get_project(project_key)
        self._connections = None
        self._envs = None
        self._bundles = imported  # the imported bundle entries when the caller has already listed them

    def project_exists(self):
        """DssModule.find_project (one GET, not found by its HTTP status). An absent project has no bundles."""
        exists = self.module.find_project(self.project_key) is not None
        if not exists:
            self._bundles = []
        return exists

    def settings(self):
        """A fresh ``DSSProjectSettings`` handle (its raw dict is what save() PUTs back, every key kept)."""
        with self.module.dss_errors("read the settings of project %s" % self.project_key):
            return self.project.get_settings()

    def bundles(self):
        if self._bundles is None:
            with self.module.dss_errors("list the imported bundles of project %s" % self.project_key):
                answer = self.project.list_imported_bundles()
            self._bundles = [b for b in (answer or {}).get("bundles") or [] if isinstance(b, dict)]
        return self._bundles

    def bundle(self, bundle_id):
        """The imported bundle ``bundle_id``, or the latest one without an id.

        A bundle not imported yet is read from the design node's exported bundles when ``source`` is set (so the
        mapping can be checked before the upload, and in check mode); otherwise the task fails listing the imported
        ids.
        """
        found = pick_bundle(self.bundles(), bundle_id)
        if bundle_id is None or found is not None:
            return found
        if self.source:
            return self.exported_bundle()
        ids = [b.get("bundleId") for b in self.bundles()]
        raise DssError("Bundle %r is not imported in project %s on %s. Imported bundles: %s. Set source to check a "
                       "bundle before importing it." % (bundle_id, self.project_key, self.module.url,
                                                        ", ".join(ids) if ids else "none"))

    def exported_bundle(self):
        """The exported bundle entry (with its exportManifest) named by ``source`` on the design node."""
        module, src = self.module, self.source
        url, key, bundle_id = src["url"], src["project_key"], src["bundle_id"]
        client, entries = source_bundles(module, src)
        found = pick_bundle(entries, bundle_id)
        if found is None and module.check_mode:
            # A plan that exports this bundle earlier in the same run (check mode did not export it): predict its
            # manifest from what the export would carry, the design project's current datasets.
            return self._predicted_export(client, key, bundle_id, url)
        if found is None:
            ids = [b["bundleId"] for b in entries]
            raise DssError("source: bundle %s is not exported in project %s on %s. Exported bundles: %s."
                           % (bundle_id, key, url, ", ".join(ids) if ids else "none"))
        return found

    def _predicted_export(self, client, key, bundle_id, url):
        """An exported-bundle entry for ``bundle_id`` as exporting project ``key`` now would make it: the
        connections its datasets use (typed from the design node's connections when the key may list them).
        Code envs are not predicted: a check-mode plan checks them once the bundle exists."""
        module = self.module
        with module.dss_errors("list the datasets of project %s" % key, url=url):
            used = sorted(set(item.connection for item in client.get_project(key).list_datasets() if item.connection))
        types = {}
        try:
            types = dict((name, (conf or {}).get("type")) for name, conf in (client.list_connections() or {}).items())
        except DataikuException:
            pass  # a non-admin key cannot list connections: the targets are then checked for existence only
        required = dict((name, {"name": name, "type": types.get(name)}) for name in used)
        return {"bundleId": bundle_id, "predicted": True,
                "exportManifest": {"requiredConnections": required, "usedCodeEnvRefs": []}}

    def connections(self):
        """name -> type of every connection on the node (GET /admin/connections, needs an admin key)."""
        if self._connections is None:
            with self.module.dss_errors("list the connections"):
                items = self.module.client.list_connections()
            self._connections = {name: item.get("type") for name, item in items.items()}
        return self._connections

    def code_envs(self):
        """Set of (language, name) of the code envs on the node."""
        if self._envs is None:
            with self.module.dss_errors("list the code envs"):
                items = self.module.client.list_code_envs()
            self._envs = set((str(e.get("envLang") or "?"), e["envName"])
                             for e in items or [] if isinstance(e, dict) and e.get("envName"))
        return self._envs


def resolution(state, bundle, whole_bundle, conn_mapping, env_mapping, import_time_mode):
    """(connection rows, code env rows): the mapping entries, plus with ``whole_bundle`` (an explicit bundle_id)
    everything ``bundle`` requires. Rows get ``required`` (the bundle checked needs that source).

    Source types and languages come from ``bundle`` (the explicit one, or the latest import) when it names the
    source; otherwise only the target's existence is checked.
    """
    bundle_conns = required_connections(bundle)
    types = dict((c["name"], c["type"]) for c in bundle_conns)
    conn_sources = list(bundle_conns) if whole_bundle else []
    conn_sources += [dict(name=s, type=types.get(s)) for s in conn_mapping if not (whole_bundle and s in types)]

    bundle_envs = used_code_envs(bundle)
    langs = {}
    for env in bundle_envs:
        langs.setdefault(env["name"], []).append(env["language"])
    env_sources = list(bundle_envs) if whole_bundle else []
    env_sources += [dict(name=s, language=lang) for s in env_mapping if not (whole_bundle and s in langs)
                    for lang in langs.get(s, [None])]

    conn_rows = resolve_connections(conn_sources, conn_mapping, state.connections() if conn_sources else {},
                                    allowed_missing(bundle, "allowedMissingConnections"))
    env_rows = resolve_code_envs(env_sources, env_mapping, state.code_envs() if env_sources else set(),
                                 import_time_mode, allowed_missing(bundle, "allowedMissingCodeEnvs"))
    for row in conn_rows:
        row["required"] = whole_bundle and row["source"] in types
    for row in env_rows:
        row["required"] = whole_bundle and row["source"] in langs
    return conn_rows, env_rows
