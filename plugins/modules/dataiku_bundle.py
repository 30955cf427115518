#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle
short_description: Export, import, activate, roll back and delete Dataiku DSS project bundles
version_added: 0.1.0
description:
  - Manages project bundles, the unit of promotion from a DSS design node to DSS automation nodes.
  - On a B(design) node, O(state=exported) creates a bundle (a versioned snapshot of the project) and can download
    its archive to the controller.
  - On an B(automation) node, O(state=imported) uploads a bundle archive into the project (creating the project from
    the bundle on the first deployment), and O(state=active) also preloads and activates it. A roll-back is
    O(state=active) with the id of an earlier bundle.
  - O(state=absent) deletes an exported (design node) or imported (automation node) bundle, never the active one.
  - Bundle ids are immutable in DSS (exporting an existing id is an error), so an id that exists is never exported,
    uploaded or downloaded again. Derive ids from something unique such as the git commit.
  - Archives are streamed in 1 MiB chunks in both directions; memory use does not grow with the bundle size.
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
      - Key of the DSS project, for example V(CHURN_MODEL).
      - On the first deployment to an automation node the project is created from the bundle, and DSS gives it the
        key the bundle was exported from; the module fails before uploading when that key is not O(project_key).
    type: str
    required: true
  bundle_id:
    description:
      - Id of the bundle. Only letters, digits, V(_), V(.) and V(-) are accepted (checked before any request), as
        DSS ids are placed in URL paths unescaped and V(#), V(/), V(?) or a space would address another bundle.
      - Required unless O(state=absent) with O(keep_last) only.
    type: str
  state:
    description:
      - V(exported) (design node) creates the bundle if no bundle has that id.
      - V(imported) (automation node) makes sure the bundle is imported into the project, from O(src) or O(source)
        when it is not there yet. It does not change the active bundle.
      - V(active) (automation node) is V(imported) plus preload and activation, unless the bundle is already active.
        Activating a bundle that was imported earlier (a roll-back) needs neither O(src) nor O(source).
        Deprecated (removed in 2.0.0) - use M(dataiku_gitops.dss.dataiku_bundle_deploy), which also locks, remaps,
        tests, certifies and rolls back on failure; V(active) still works and prints a deprecation warning.
      - V(absent) deletes the bundle on either node type. Deleting the active bundle of an automation project fails.
    type: str
    required: true
    choices: [exported, imported, active, absent]
  release_notes:
    description:
      - Release notes stored with a newly exported bundle. Ignored when the bundle already exists.
      - Only with O(state=exported).
      - Not set - C(<commit sha> <subject>) of the project's git HEAD (the commit the bundle captures), then the
        subjects of the commits since the previous exported bundle (see RV(changes)); no release notes when the
        project's git history cannot be read.
    type: str
  evaluate_project_standards:
    description:
      - With O(state=exported), whether DSS evaluates the Project Standards checks that apply to the project when it
        exports a new bundle (DSS 14 and later); the report is stored with the bundle and travels with it to the
        Project Deployer, whose infrastructures may refuse or warn about a bundle that fails checks.
      - Not set - V(true), what DSS and C(dataikuapi) do by default. V(false) exports without evaluating the checks.
      - Whatever this option, RV(project_standards) summarises the report stored with the bundle.
    type: bool
  dest:
    description:
      - With O(state=exported), download the bundle archive to this path on the controller and return its
        RV(sha256). When O(dest) is an existing directory the file is named C(<project_key>-<bundle_id>.zip) in it.
      - DSS exposes no checksum of a bundle. A file already at O(dest) is considered to be that bundle, and is not
        downloaded again, when the C(export-manifest.json) inside it has the same bundle id, C(originalProjectKey) and
        C(exportUserInfo.exportedOn) as the bundle's export manifest on DSS. This is sound because a bundle id
        cannot be exported twice, so these three identify one export.
      - The archive is written to a temporary file next to O(dest) and renamed when complete.
    type: path
  src:
    description:
      - Path on the controller of a bundle archive to import with O(state=imported) or O(state=active).
      - Checked before uploading, in check mode too, to be a zip archive with an C(export-manifest.json) whose bundle
        id (when the manifest records one) is O(bundle_id).
      - Not read when the bundle is already imported. Mutually exclusive with O(source).
    type: path
  source:
    description:
      - Take the archive straight from a design node, with O(state=imported) or O(state=active). The archive is
        streamed from the design node to the automation node through the module without a local copy (with its
        size when the design node sends a C(Content-Length), else with chunked transfer encoding).
      - Only read when the bundle is not imported yet. In check mode the design node and its project are checked;
        a bundle not exported there yet is predicted to be imported, because a plan usually exports it in an earlier
        task that check mode did not run (a real run fails when it is missing). Mutually exclusive with O(src).
      - The TLS client certificate options, O(timeout) and O(retries) of the task apply to this node too; its
        certificate is verified with its own O(source.validate_certs) and O(source.ca_path), never the task's.
    # type and suboptions: doc fragment dataiku_gitops.dss.dss.source
  keep_last:
    description:
      - After the operation, delete the oldest bundles of the project on this node so that at most O(keep_last)
        remain. Works with every O(state).
      - Never deletes the active bundle nor the bundle named by O(bundle_id) (unless O(state=absent)), so more may
        remain. Bundles are ordered as DSS lists them (export or import order).
      - Keep enough bundles to roll back to.
    type: int
notes:
  - A project's existence is read with one request (C(GET /projects/KEY/), not found by its HTTP status); a
    bundle's by listing the project's bundles. Neither is decided by interpreting error texts.
  - O(state=active) judges the activation by the C(error) and C(fatal) flags and messages of the DSS report, not by
    its C(success) flag, which DSS sets only when there are SUCCESS-level messages. A failed activation fails the
    task with DSS's messages; DSS leaves the project on its previous bundle.
  - Deleting imported bundles needs DSS 13.5.3 or later.
  - Uploads are not done with the client's C(import_bundle_from_stream), which reads the whole archive into memory,
    but with a generated multipart body sent through the client's own session (same authentication, TLS and errors).
seealso:
  - module: dataiku_gitops.dss.dataiku_project_info
  - module: dataiku_gitops.dss.dataiku_bundle_deploy
  - name: Dataiku documentation on bundles
    description: Production deployments and bundles.
    link: https://doc.dataiku.com/dss/latest/deployment/index.html
"""

EXAMPLES = r"""
- name: Export the bundle of this commit on the design node and keep a copy
  dataiku_gitops.dss.dataiku_bundle:
    url: https://dss-design.example.com:11200
    api_key: "{{ design_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: "git-{{ git_sha[:12] }}"
    state: exported
    release_notes: "{{ git_subject }}"
    dest: "artifacts/CHURN_MODEL-git-{{ git_sha[:12] }}.zip"
    keep_last: 20
  register: exported

- name: Import and activate it on the automation node, streamed from the design node
  dataiku_gitops.dss.dataiku_bundle:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: "git-{{ git_sha[:12] }}"
    state: active
    source:
      url: https://dss-design.example.com:11200
      api_key: "{{ design_api_key }}"
    keep_last: 5
  register: deployed

- name: Import a downloaded archive without activating it
  dataiku_gitops.dss.dataiku_bundle:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: "{{ exported.bundle_id }}"
    state: imported
    src: "{{ exported.dest }}"

- name: Roll back to the bundle that was active before
  dataiku_gitops.dss.dataiku_bundle:
    url: https://dss-prod.example.com:11200
    api_key: "{{ prod_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: "{{ deployed.previous_bundle_id }}"
    state: active
  when: deployed.previous_bundle_id is not none

- name: Delete an exported bundle on the design node
  dataiku_gitops.dss.dataiku_bundle:
    url: https://dss-design.example.com:11200
    api_key: "{{ design_api_key }}"
    project_key: CHURN_MODEL
    bundle_id: git-0123456789ab
    state: absent
"""

RETURN = r"""
project_key:
  description: The project key.
  returned: always
  type: str
  sample: CHURN_MODEL
bundle_id:
  description: The bundle id the task was about (null for a retention-only O(state=absent)).
  returned: always
  type: str
  sample: git-3f2a9c1d0e4b
node_type:
  description: Type of the node at O(url) (V(DESIGN) or V(AUTOMATION)).
  returned: always
  type: str
  sample: AUTOMATION
bundle_ids:
  description: Ids of the project's bundles on this node after the task, oldest first (predicted in check mode).
  returned: always
  type: list
  elements: str
  sample: [git-0123456789ab, git-3f2a9c1d0e4b]
deleted_bundle_ids:
  description: Bundles deleted (or, in check mode, that would be deleted) by O(state=absent) and O(keep_last).
  returned: always
  type: list
  elements: str
  sample: [git-0000aaaa1111]
exported:
  description: Whether a new bundle was exported (would be, in check mode).
  returned: when O(state=exported)
  type: bool
dest:
  description: Path of the downloaded archive.
  returned: when O(dest) is set
  type: str
  sample: /home/ci/artifacts/CHURN_MODEL-git-3f2a9c1d0e4b.zip
downloaded:
  description: Whether the archive was downloaded (would be, in check mode); false when the file was already that bundle.
  returned: when O(dest) is set
  type: bool
sha256:
  description: SHA-256 of the archive at RV(dest). Not returned in check mode when a download is still needed.
  returned: when O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
changes:
  description:
    - What the new bundle brings, from the design project's git - the commits and files changed between the commit of
      the newest bundle exported before it and the project's HEAD (the commit the new bundle captures). Same shape
      as RV(dataiku_gitops.dss.dataiku_bundle_deploy#module:changes), where it is described.
    - Read (and shown in the diff under C(changes)) only when a bundle is exported, identically in check mode.
  returned: when O(state=exported) exports a bundle
  type: dict
project_standards:
  description:
    - Summary of the Project Standards report stored with the bundle (read from its entry in the bundle list, no
      extra request).
    - C(status) is V(PASSED), V(WARNING) (checks that could not run), V(FAILED) (checks that found an issue, listed
      in C(failures) with their severity and message), V(NOT_EVALUATED) (no report - see
      O(evaluate_project_standards) - or no check applies to the project) or V(NOT_AVAILABLE).
    - C(passed) and C(not_applicable) list check names; C(warnings) and C(failures) list checks as C(id), C(name),
      C(status), C(severity), C(severity_name) and C(message); C(message) says it all on one line.
    - Null in check mode when the bundle is still to be exported.
  returned: when O(state=exported)
  type: dict
  sample: {"status": "FAILED", "available": true, "evaluated": true, "scope": "DEFAULT", "min_severity": "LOWEST",
           "passed": ["Project has a description"], "warnings": [], "not_applicable": [],
           "failures": [{"id": "Scenarioshavetriggers", "name": "Scenarios have triggers", "status": "RUN_SUCCESS",
                         "severity": 3, "severity_name": "MEDIUM", "message": "Scenario(s) without any trigger: LOAD"}],
           "message": "Project Standards of bundle v3 of CHURN: 1 of 2 check(s) pass; failing: ..."}
release_notes:
  description: The release notes the new bundle was exported with (empty for none); not returned in check mode.
  returned: when O(state=exported) exports a bundle
  type: str
  sample: "g3f2a9c1b7d40: Fix the churn score"
imported:
  description: Whether the bundle was uploaded by this task (would be, in check mode).
  returned: when O(state=imported) or O(state=active)
  type: bool
project_created:
  description: Whether the project was created from the bundle (first deployment).
  returned: when O(state=imported) or O(state=active)
  type: bool
uploaded_bytes:
  description: Archive bytes uploaded to the automation node (0 when nothing was uploaded).
  returned: when O(state=imported) or O(state=active)
  type: int
  sample: 10485760
previous_bundle_id:
  description: Bundle that was active before the task, null when the project had none (first deployment).
  returned: on automation nodes
  type: str
  sample: git-0123456789ab
active_bundle_id:
  description: Bundle active after the task (predicted in check mode).
  returned: on automation nodes
  type: str
  sample: git-3f2a9c1d0e4b
report:
  description:
    - The activation report of DSS (C(result) of the completed future), with C(error), C(fatal), C(warning) and
      C(messages). Null when no activation happened (already active, V(imported), check mode).
  returned: when O(state=active)
  type: dict
  sample: {"anyMessage": false, "success": false, "warning": false, "error": false, "fatal": false, "messages": []}
"""

import os

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.paths import output_path_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import release_notes as git_notes
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import listing as bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import project_standards as standards
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import source_argument_spec, source_errors
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.importing import BundleImport, id_list, manifest_of
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.transfer import (
    BundleArchiveError, download_to_file, exported_archive_response, manifest_bundle_id, read_manifest,
    response_chunks, same_export, sha256_file)

IMPORT_STATES = ("imported", "active")
ACTIVE_DEPRECATION = ("dataiku_bundle state=active is deprecated: deploy with dataiku_gitops.dss.dataiku_bundle_deploy "
                      "(lock, import, remap, activate, test, certify, and roll back on failure).")


def argument_spec():
    return dict(
        project_key=dict(type="str", required=True, no_log=False),
        bundle_id=dict(type="str"),
        state=dict(type="str", required=True, choices=["exported", "imported", "active", "absent"]),
        release_notes=dict(type="str"),
        evaluate_project_standards=dict(type="bool"),
        dest=dict(type="path"),
        src=dict(type="path"),
        source=source_argument_spec(),
        keep_last=dict(type="int"),
    )


class BundleTask:
    """One run of the module: validate, read, plan, (write), re-read."""

    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.p = module.params
        self.key = self.p["project_key"]
        self.bundle_id = self.p["bundle_id"]
        self.state = self.p["state"]

    # -- validation (no request) -------------------------------------------------------------------------------

    def validate(self):
        p = self.p
        errors = [project_key_error(self.key)]
        if self.bundle_id is not None or self.state != "absent":
            errors.append(bundle_id_error(self.bundle_id))
        if self.state == "absent" and self.bundle_id is None and p["keep_last"] is None:
            errors.append("state=absent needs bundle_id, keep_last or both.")
        errors.append(bundles.keep_last_error(p["keep_last"]))
        for option in ("release_notes", "evaluate_project_standards", "dest"):
            if p[option] is not None and self.state != "exported":
                errors.append("%s is only used with state=exported (state is %s)." % (option, self.state))
        for option in ("src", "source"):
            if p[option] is not None and self.state not in IMPORT_STATES:
                errors.append("%s is only used with state=imported or state=active (state is %s)." % (option, self.state))
        if self.state == "exported":
            errors.append(output_path_error(p["dest"], "dest", allow_dir=True))
        if p["source"]:
            errors += source_errors(self.module, p["source"], self.key, self.bundle_id,
                                    ", so the imported bundle would not be %s" % self.module.echo(self.bundle_id))
        errors = [e for e in errors if e]
        if errors:
            raise DssError(" ".join(errors))

    def run(self):
        if self.state == "active":
            self.module.deprecate(ACTIVE_DEPRECATION, version="2.0.0", collection_name="dataiku_gitops.dss")
        self.validate()
        self.module.check_node_type_option()
        node_type = self.module.node_info().get("nodeType")
        if self.state == "exported":
            self.module.require_node_type("DESIGN", "Exporting a bundle (state=exported)")
        elif self.state in IMPORT_STATES:
            self.module.require_node_type("AUTOMATION", "Importing a bundle (state=%s)" % self.state)
        elif node_type not in ("DESIGN", "AUTOMATION"):
            raise DssError("Deleting bundles (state=absent) needs a DESIGN or AUTOMATION node, but %s is a "
                           "%s node." % (self.module.url, node_type))
        if node_type == "DESIGN":
            DesignSide(self).run()
        else:
            AutomationSide(self).run()

    def finish(self, changed, before, after, **result):
        result.update(project_key=self.key, bundle_id=self.bundle_id, node_type=self.module.node_info().get("nodeType"))
        self.module.exit_with(changed, before, after, **result)

    def fail(self, msg, **result):
        raise DssError(self.module.scrub(msg), **result)


class DesignSide:
    """Exported bundles on a design node: export, download, delete, retention."""

    def __init__(self, task):
        self.task = task
        self.module = task.module
        self.project = task.client.get_project(task.key)

    def run(self):
        task = self.task
        if self.module.find_project(task.key) is None:
            if task.state == "absent":
                task.finish(False, {"bundle_ids": []}, {"bundle_ids": []}, bundle_ids=[], deleted_bundle_ids=[])
            task.fail("Project %s does not exist on the design node %s: nothing to export." % (task.key, self.module.url))
        entries = bundles.exported_bundles(self.module, task.client, task.key)
        ids = bundles.ids_of(entries)
        if task.state == "exported":
            self.exported(entries, ids)
        else:
            self.absent(ids)

    def exported(self, entries, ids):
        task, module = self.task, self.module
        dest = self._dest_path()
        to_export = task.bundle_id not in ids
        ids_after = ids + [task.bundle_id] if to_export else list(ids)
        victims = bundles.retention_victims(ids_after, task.p["keep_last"], protected={task.bundle_id})
        before, after = {"bundle_ids": ids}, {"bundle_ids": [i for i in ids_after if i not in victims]}
        local = self._local_manifest(dest) if dest else None
        download = False
        if dest:
            server = None if to_export else manifest_of(entries, task.bundle_id)
            download = to_export or local is None or not same_export(local, server, task.bundle_id)
            before["dest_bundle_id"] = manifest_bundle_id(local) if local else None
            after["dest_bundle_id"] = task.bundle_id
        changed = to_export or download or bool(victims)
        result = dict(exported=to_export, deleted_bundle_ids=victims, bundle_ids=after["bundle_ids"],
                      project_standards=None if to_export else self._standards(entries))
        if dest:
            result.update(dest=dest, downloaded=download)
        if to_export:  # what the new bundle brings since the previous one, from the project's git (reads only)
            result["changes"] = git_notes.export_changes(module, task.client, task.key, entries, task.bundle_id)
            git_notes.add_to_diff(before, after, result["changes"])
            if task.p["release_notes"] is None:
                task.p["release_notes"] = git_notes.default_release_notes(result["changes"])
        if module.check_mode:
            if dest and not download:
                result["sha256"] = sha256_file(dest)
            task.finish(changed, before, after, **result)

        if to_export:
            evaluate = task.p["evaluate_project_standards"] is not False
            module.write_once("export bundle %s of project %s" % (task.bundle_id, task.key),
                              lambda: self.project.export_bundle(task.bundle_id, release_notes=task.p["release_notes"],
                                                                 evaluate_project_standards_checks=evaluate),
                              lambda: task.bundle_id in bundles.ids_of(bundles.exported_bundles(module, task.client, task.key)))
            entries = self._check_built()
            result["project_standards"] = self._standards(entries)
            result["release_notes"] = task.p["release_notes"] or ""
        if dest:
            result["sha256"] = self._download(dest) if download else sha256_file(dest)
        self._delete(victims)
        # The list read last (at the start, or once the export was built) unless retention deleted since.
        if victims:
            entries = bundles.exported_bundles(module, task.client, task.key)
        result["bundle_ids"] = bundles.ids_of(entries)
        after["bundle_ids"] = result["bundle_ids"]
        task.finish(changed, before, after, **result)

    def absent(self, ids):
        task = self.task
        ids_after = [i for i in ids if i != task.bundle_id]
        victims = ([task.bundle_id] if task.bundle_id in ids else []) + bundles.retention_victims(ids_after, task.p["keep_last"])
        after_ids = [i for i in ids if i not in victims]
        if victims and not self.module.check_mode:
            self._delete(victims)
            after_ids = bundles.ids_of(bundles.exported_bundles(self.module, task.client, task.key))
        task.finish(bool(victims), {"bundle_ids": ids}, {"bundle_ids": after_ids},
                    bundle_ids=after_ids, deleted_bundle_ids=victims)

    def _dest_path(self):
        dest = self.task.p["dest"]
        if not dest:
            return None
        if os.path.isdir(dest):
            dest = os.path.join(dest, "%s-%s.zip" % (self.task.key, self.task.bundle_id))
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            self.task.fail("dest %s: directory %s does not exist." % (dest, parent))
        return dest

    @staticmethod
    def _local_manifest(dest):
        """The manifest of the archive already at dest, or None (no file, or not a bundle: it will be replaced)."""
        if not os.path.exists(dest):
            return None
        try:
            return read_manifest(dest)
        except BundleArchiveError:
            return None

    def _standards(self, entries):
        """Summary of the Project Standards report stored with the bundle (its list entry)."""
        entry = next((b for b in entries if b["bundleId"] == self.task.bundle_id), None)
        return standards.exported_bundle_summary(entry, self.task.key)

    def _check_built(self):
        """The list of exported bundles once the new one is there and built (else the task fails)."""
        task = self.task
        entries = bundles.exported_bundles(self.module, task.client, task.key)
        entry = next((b for b in entries if b["bundleId"] == task.bundle_id), None)
        if entry is None:
            task.fail("DSS accepted the export of bundle %s of project %s on %s but does not list it."
                      % (task.bundle_id, task.key, self.module.url))
        if entry.get("state") not in (None, "BUILT"):
            error = (entry.get("futureItem") or {}).get("storedError") or {}
            task.fail("Export of bundle %s of project %s on %s ended in state %s%s." % (
                task.bundle_id, task.key, self.module.url, entry.get("state"),
                ": %s" % error.get("detailedMessage") if error.get("detailedMessage") else ""))
        return entries

    def _download(self, dest):
        task = self.task
        what = "download the archive of bundle %s of project %s" % (task.bundle_id, task.key)
        with self.module.dss_errors(what):
            response = exported_archive_response(task.client, task.key, task.bundle_id)
            try:
                digest, _size = download_to_file(response_chunks(response), dest)
            except OSError as exc:
                task.fail("Could not write %s: %s" % (dest, exc))
        try:
            read_manifest(dest)
        except BundleArchiveError as exc:
            task.fail("The archive downloaded from %s is not a bundle: %s" % (self.module.url, exc))
        return digest

    def _delete(self, victims):
        task = self.task
        for bundle_id in victims:
            self.module.write_once(
                "delete exported bundle %s of project %s" % (bundle_id, task.key),
                lambda bundle_id=bundle_id: self.project.delete_exported_bundle(bundle_id),
                lambda bundle_id=bundle_id: bundle_id not in bundles.ids_of(bundles.exported_bundles(
                    self.module, task.client, task.key)))


class AutomationSide:
    """Imported bundles on an automation node: import (or create the project), activate, delete, retention."""

    def __init__(self, task):
        self.task = task
        self.module = task.module
        self.steps = BundleImport(task.module, task.key, task.bundle_id, task.p["src"], task.p["source"])

    def read(self):
        return self.steps.read()

    @staticmethod
    def view(exists, ids, active):
        return {"project_exists": exists, "active_bundle_id": active, "bundle_ids": list(ids)}

    def run(self):
        exists, ids, active = self.read()
        if self.task.state == "absent":
            self.absent(exists, ids, active)
        else:
            self.deploy(exists, ids, active)

    # -- imported / active -------------------------------------------------------------------------------------

    def deploy(self, exists, ids, active):
        task, module = self.task, self.module
        to_import = task.bundle_id not in ids
        upload = self.steps.plan_upload(exists, ids) if to_import else None
        to_activate = task.state == "active" and active != task.bundle_id
        active_after = task.bundle_id if to_activate else active
        ids_after = ids + [task.bundle_id] if to_import else list(ids)
        victims = bundles.retention_victims(ids_after, task.p["keep_last"], protected={task.bundle_id, active_after})
        before = self.view(exists, ids, active)
        after = self.view(True if to_import else exists, [i for i in ids_after if i not in victims], active_after)
        changed = to_import or to_activate or bool(victims)
        result = dict(imported=to_import, project_created=to_import and not exists, uploaded_bytes=0,
                      previous_bundle_id=active, active_bundle_id=active_after, bundle_ids=after["bundle_ids"],
                      deleted_bundle_ids=victims)
        if task.state == "active":
            result["report"] = None
        if module.check_mode:
            task.finish(changed, before, after, **result)

        if upload:
            result["uploaded_bytes"] = self.steps.upload_and_check(upload)[0]
        if to_activate:
            result["report"] = self.steps.activate(active)
        self.steps.delete(victims)
        exists, ids, active = self.read()
        after = self.view(exists, ids, active)
        result.update(active_bundle_id=active, bundle_ids=ids)
        task.finish(changed, before, after, **result)

    # -- absent ------------------------------------------------------------------------------------------------

    def absent(self, exists, ids, active):
        task = self.task
        if task.bundle_id is not None and task.bundle_id == active:
            task.fail("Bundle %s is the active bundle of project %s on %s and cannot be deleted; activate another "
                      "bundle first (imported bundles: %s)." % (task.bundle_id, task.key, self.module.url, id_list(ids)))
        ids_after = [i for i in ids if i != task.bundle_id]
        victims = ([task.bundle_id] if task.bundle_id in ids else []) + bundles.retention_victims(
            ids_after, task.p["keep_last"], protected={active})
        before = self.view(exists, ids, active)
        after = self.view(exists, [i for i in ids if i not in victims], active)
        if victims and not self.module.check_mode:
            self.steps.delete(victims)
            after = self.view(*self.read())
        task.finish(bool(victims), before, after, previous_bundle_id=active, active_bundle_id=after["active_bundle_id"],
                    bundle_ids=after["bundle_ids"], deleted_bundle_ids=victims)


def main():
    module = DssModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("src", "source")],
        supports_check_mode=True,
    )
    module.run(BundleTask(module).run)


if __name__ == "__main__":
    main()
