#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_bundle_publish
short_description: Publish an exported Dataiku DSS bundle to the Project Deployer, idempotently
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Makes bundle O(bundle_id) of design project O(project_key) available in published project
    O(published_project_key) of the Project Deployer at O(url). Nothing is written when it already is.
  - When the deployer is the design node's local deployer (O(source) not set, or O(source.url) equal to O(url)),
    the design node publishes it (C(POST /projects/K/bundles/ID/publish)).
  - When the deployer is a separate DEPLOYER node, the archive is streamed from O(source) and uploaded to the
    deployer (never held in memory).
  - The bundle must already be exported on the design node (see M(dataiku_gitops.dss.dataiku_bundle)); a missing
    bundle or project fails before any write, with a message saying which.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.source
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project on the design node.
    type: str
    required: true
  bundle_id:
    description: Id of the exported bundle to publish.
    type: str
    required: true
  published_project_key:
    description: Key of the published project on the deployer (created by DSS if missing). Defaults to O(project_key).
    type: str
  source:
    description:
      - The design node the bundle is exported on, when it is not O(url) itself.
      - Required when O(url) is a DEPLOYER node.
seealso:
  - module: dataiku_gitops.dss.dataiku_bundle
  - module: dataiku_gitops.dss.dataiku_deployment
"""

EXAMPLES = r"""
- name: Publish bundle v12 of CHURN to the design node's local deployer
  dataiku_gitops.dss.dataiku_bundle_publish:
    url: https://dss-design.example.com:11200
    api_key: "{{ vault_dss_design_api_key }}"
    project_key: CHURN
    bundle_id: v12

- name: Publish to a standalone deployer (archive streamed from the design node)
  dataiku_gitops.dss.dataiku_bundle_publish:
    url: https://dss-deployer.example.com:11200
    api_key: "{{ vault_dss_deployer_api_key }}"
    project_key: CHURN
    bundle_id: v12
    source:
      url: https://dss-design.example.com:11200
      api_key: "{{ vault_dss_design_api_key }}"
"""

RETURN = r"""
published_project_key:
  description: Key of the published project.
  returned: always
  type: str
  sample: CHURN
bundle_id:
  description: Id of the published bundle.
  returned: always
  type: str
  sample: v12
bundle_ids:
  description: Bundles of the published project after the run, oldest first.
  returned: always
  type: list
  elements: str
  sample: [v11, v12]
method:
  description: How the bundle was (or would be) published, V(publish) by the design node or V(upload) of the archive; V(none) when it already was.
  returned: always
  type: str
  sample: publish
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.transfer import (
    exported_archive_response, response_chunks, response_length, upload_multipart)
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.listing import ids_of
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.source import (
    source_argument_spec, source_bundles, source_errors)


def check_input(module):
    p = module.params
    p["published_project_key"] = p["published_project_key"] or p["project_key"]
    errors = [project_key_error(p["project_key"]), bundle_id_error(p["bundle_id"]),
              project_key_error(p["published_project_key"], "published_project_key")]
    if p["source"] is not None:
        errors += source_errors(module, p["source"], p["project_key"], p["bundle_id"])
    errors = [e for e in errors if e]
    if errors:
        raise DssError(" ".join(errors))


def design_source(module):
    """The design node's connection: source, or url itself (local deployer)."""
    p = module.params
    if p["source"] is not None:
        return p["source"]
    return dict(url=module.url, api_key=p["api_key"], project_key=p["project_key"], bundle_id=p["bundle_id"],
                validate_certs=p["validate_certs"], ca_path=p["ca_path"])


def run_task(module):
    """The task once the options are parsed; a failure raises DssError, which module.run reports."""
    check_input(module)
    p = module.params
    module.check_node_type_option()
    node_type = dd.require_deployer(module)
    source = design_source(module)
    local = source["url"] == module.url
    if local and node_type != "DESIGN":
        raise DssError("%s is a %s node: set source to the design node bundle %s is exported on."
                       % (module.url, node_type, p["bundle_id"]))
    published = dd.find_published_project(module, p["published_project_key"])
    before = dd.bundle_ids(published)
    result = dict(published_project_key=p["published_project_key"], bundle_id=p["bundle_id"])
    if p["bundle_id"] in before:
        module.exit_with(False, before={"bundle_ids": before}, after={"bundle_ids": before}, bundle_ids=before,
                         method="none", **result)
    design_client, exported = source_bundles(module, source)
    if p["bundle_id"] not in ids_of(exported):
        raise DssError(module.scrub("Bundle %s is not exported in project %s on the design node %s; export it "
                                    "first (exported bundles: %s)." % (p["bundle_id"], source["project_key"],
                                                                       source["url"], ", ".join(ids_of(exported))
                                                                       or "none")))
    after = before + [p["bundle_id"]]
    method = "publish" if local else "upload"
    if not module.check_mode:
        with module.dss_errors("publish bundle %s of %s" % (p["bundle_id"], p["project_key"]), url=source["url"]):
            if local:
                design_client.get_project(source["project_key"]).publish_bundle(
                    p["bundle_id"], published_project_key=p["published_project_key"])
            else:
                response = exported_archive_response(design_client, source["project_key"], p["bundle_id"])
                try:
                    upload_multipart(module.client, "/project-deployer/projects/bundles", response_chunks(response),
                                     "%s.zip" % p["bundle_id"], size=response_length(response),
                                     params={"projectKey": p["published_project_key"]})
                finally:
                    response.close()
        after = dd.bundle_ids(dd.find_published_project(module, p["published_project_key"]))
        if p["bundle_id"] not in after:
            raise DssError("Bundle %s does not appear in published project %s after publishing it."
                           % (p["bundle_id"], p["published_project_key"]))
    module.exit_with(True, before={"bundle_ids": before}, after={"bundle_ids": after}, bundle_ids=after,
                     method=method, **result)


def main():
    module = DssModule(argument_spec=dict(
        project_key=dict(type="str", required=True, no_log=False),
        bundle_id=dict(type="str", required=True),
        published_project_key=dict(type="str", no_log=False),
        source=source_argument_spec(),
    ))
    module.run(run_task, module)


if __name__ == "__main__":
    main()
