# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Importing one bundle into one automation project and activating it, shared by dataiku_bundle
(state=imported/active) and dataiku_bundle_deploy.

Reads and checks happen before any upload (also in check mode); the upload streams from ``src`` or from the design
node named by ``source`` (see _bundle/transfer.py); activation is preload then activate, judged by DSS's report.
"""

from __future__ import annotations

import contextlib
import os

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.transfer import (
    BundleArchiveError, exported_archive_response, file_chunks, manifest_bundle_id, manifest_project_key,
    read_manifest, response_chunks, response_length, upload_multipart)


def id_list(ids):
    return ", ".join(ids) if ids else "none"


def manifest_of(entries, bundle_id):
    """The exportManifest of ``bundle_id`` among exported-bundle entries, or None."""
    for entry in entries:
        if entry["bundleId"] == bundle_id:
            return entry.get("exportManifest")
    return None


class BundleImport:
    """Import (creating the project on a first deployment) and activation of ``bundle_id`` in ``project_key``.

    ``src`` (archive path) and ``source`` (validated design-node option) say where a bundle not imported yet comes
    from. After ``plan_upload``, ``incoming`` is the bundle as an exported-bundle entry (``bundleId`` and
    ``exportManifest``, None when check mode predicts an export that has not run), for preflight checks.
    """

    def __init__(self, module, project_key, bundle_id, src=None, source=None):
        self.module = module
        self.client = module.client
        self.key = project_key
        self.bundle_id = bundle_id
        self.src = src
        self.source = source
        self.project = module.client.get_project(project_key)
        self.incoming = None
        self.imported = []  # imported bundle entries as the last read() listed them
        self.summary = None  # the project summary the last read() got (None: no project)
        self._exists_at_plan = None

    def fail(self, msg, **result):
        raise DssError(self.module.scrub(msg), **result)

    def read(self):
        """(project exists, imported ids oldest first, active bundle id)."""
        item = self.summary = self.module.find_project(self.key)
        if item is None:
            self.imported = []
            return False, [], None
        self.imported = bundles.imported_bundles(self.module, self.client, self.key)
        return True, bundles.ids_of(self.imported), bundles.active_bundle_id(self.module, self.client, self.key, item)

    # -- import ----------------------------------------------------------------------------------------------

    def plan_upload(self, exists, ids):
        """Validate what would be uploaded (read-only, also in check mode) and return a callable doing the upload
        (its argument: whether the project exists then; a first deployment under a lock creates it empty first)."""
        self._exists_at_plan = exists
        if self.src:
            return self._plan_src(exists)
        if self.source:
            return self._plan_source(exists)
        if exists:
            self.fail("Bundle %s is not imported in project %s on %s and neither src nor source is set to import it. "
                      "Imported bundles: %s." % (self.bundle_id, self.key, self.module.url, id_list(ids)))
        return self.fail("Project %s does not exist on %s: set src or source to create it from bundle %s."
                         % (self.key, self.module.url, self.bundle_id))

    def _plan_src(self, exists):
        src = self.src
        try:
            manifest = read_manifest(src)
        except BundleArchiveError as exc:
            return self.fail("src: %s." % exc)
        archive_id = manifest_bundle_id(manifest)
        if archive_id is not None and archive_id != self.bundle_id:
            self.fail("src %s is bundle %s, not bundle_id %s." % (src, archive_id, self.bundle_id))
        if not exists:
            self._check_first_deployment_key(manifest_project_key(manifest), "src %s" % src)
        self.incoming = {"bundleId": self.bundle_id, "exportManifest": manifest}
        size = os.path.getsize(src)
        return lambda exists: self._upload(exists, file_chunks(src), os.path.basename(src), size, None)

    def _plan_source(self, exists):
        module, source = self.module, self.source
        url = source["url"]
        client, entries = source_bundles(module, source)
        manifest = manifest_of(entries, source["bundle_id"])
        # In check mode the bundle may be exported by an earlier task of the same plan, which did not run: predict
        # the import (its project key is then the source project's, as an export from it would carry) - unless the
        # task says no export precedes it (dataiku_bundle_deploy's expect_export=false): then the plan fails as the
        # real run will.
        planned = module.check_mode and module.params.get("expect_export", True)
        if manifest is None and source["bundle_id"] not in bundles.ids_of(entries) and not planned:
            self.fail("source: bundle %s is not exported in project %s on %s. Exported bundles: %s."
                      % (source["bundle_id"], source["project_key"], url, id_list(bundles.ids_of(entries))))
        if not exists:
            # A bundle exported from a design project carries that project's key.
            original = manifest_project_key(manifest or {}) or source["project_key"]
            self._check_first_deployment_key(original, "source bundle %s" % source["bundle_id"])
        self.incoming = {"bundleId": self.bundle_id, "exportManifest": manifest} if manifest is not None else None

        def upload(exists):
            with module.dss_errors("download bundle %s of project %s" % (source["bundle_id"], source["project_key"]),
                                   url=url):
                response = exported_archive_response(client, source["project_key"], source["bundle_id"])
            return self._upload(exists, response_chunks(response), "%s.zip" % source["bundle_id"],
                                response_length(response), url)
        return upload

    def _check_first_deployment_key(self, original_key, what):
        if original_key is None:
            self.fail("Project %s does not exist on %s and %s does not say which project it was exported from; "
                      "DSS creates the project under that key, so the module will not guess." % (self.key, self.module.url, what))
        if original_key != self.key:
            self.fail("Project %s does not exist on %s, and %s was exported from project %s. Creating a project from a "
                      "bundle always uses the bundle's original key (the API cannot choose it), so it would create %s, "
                      "not %s." % (self.key, self.module.url, what, original_key, original_key, self.key))

    def _upload(self, exists, chunks, filename, size, source_url):
        if exists:
            path, params = "/projects/%s/bundles/imported/actions/importFromStream" % self.key, None
            what = "upload bundle %s into project %s" % (self.bundle_id, self.key)
        else:
            path = "/projectsFromBundle/"
            params = {"permissionsPropagationPolicy": "NONE", "failOnMissingUsersOrGroups": True}
            what = "create project %s from bundle %s" % (self.key, self.bundle_id)
        if source_url:
            what += " (streamed from %s)" % source_url
        with self.module.dss_errors(what):
            try:
                response, sent = upload_multipart(self.client, path, chunks, filename, size, params)
            except BundleArchiveError as exc:
                return self.fail("Failed to %s: %s." % (what, exc))
            if not exists:
                created = (response.json() or {}).get("projectKey")
                if created not in (None, self.key):
                    self.fail("DSS created project %s from bundle %s instead of %s." % (created, self.bundle_id, self.key))
        return sent

    def upload_and_check(self, upload, exists=None):
        """Run ``upload`` and re-read: (bytes sent, exists, ids, active); fails when the bundle does not appear.
        ``exists``: whether the project exists now (default: as planned)."""
        exists = self._exists_at_plan if exists is None else exists
        # A write that failed in transit may have reached DSS: write_once re-reads before sending it again.
        sent = self.module.write_once("import bundle %s into project %s" % (self.bundle_id, self.key),
                                      lambda: upload(exists), lambda: self.bundle_id in self.read()[1]) or 0
        exists, ids, active = self.read()
        if self.bundle_id not in ids:
            self.fail("The archive was uploaded to project %s on %s, but no bundle %s appears there (imported "
                      "bundles: %s)." % (self.key, self.module.url, self.bundle_id, id_list(ids)))
        return sent, exists, ids, active

    # -- activation ------------------------------------------------------------------------------------------

    def activate(self, previous, bundle_id=None):
        """Preload then activate; fail with DSS's messages when either reports an error."""
        bundle_id = bundle_id or self.bundle_id
        report = None
        module = self.module
        # A preload has no state to re-read and is harmless to repeat; an activation is checked by re-reading.
        checks = {"preload": lambda: False, "activate": lambda: self.read()[2] == bundle_id}
        # The activation replaces the project variables: a lease renewal must not write back the ones it read before.
        keeper = getattr(module, "lease_keeper", None)
        mutexes = {"preload": contextlib.nullcontext(),
                   "activate": getattr(module, "variables_mutex", None) or contextlib.nullcontext()}
        for action, call in (("preload", self.project.preload_bundle), ("activate", self.project.activate_bundle)):
            def attempt(call=call, action=action):
                try:
                    return call(bundle_id)
                except DataikuException as exc:
                    if module.is_transient(exc):
                        raise
                    # A fatal pre-activation check (missing connection...) comes back as an API error.
                    return self._activation_failed(action, bundle_id, previous, [str(exc)], None)
            if action == "activate" and keeper is not None:
                keeper.before_activation()
            with mutexes[action]:
                response = module.write_once("%s bundle %s of project %s" % (action, bundle_id, self.key), attempt,
                                             checks[action])
            if response is None:  # the re-read showed the activation done; its report was lost in transit
                continue
            report = bundles.activation_report(response)
            problems = bundles.report_problems(report)
            if problems:
                self._activation_failed(action, bundle_id, previous, problems, report)
        return report

    def _activation_failed(self, action, bundle_id, previous, problems, report):
        _exists, ids, active = self.read()
        self.fail("Failed to %s bundle %s of project %s on %s: %s. The active bundle is %s." % (
            action, bundle_id, self.key, self.module.url, "; ".join(problems), active or "none"),
            report=report, previous_bundle_id=previous, active_bundle_id=active, bundle_ids=ids)

    def delete(self, victims):
        for bundle_id in victims:
            self.module.write_once("delete imported bundle %s of project %s" % (bundle_id, self.key),
                                   lambda bundle_id=bundle_id: self.project.delete_imported_bundle(bundle_id),
                                   lambda bundle_id=bundle_id: bundle_id not in self.read()[1])
