# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``source`` option (the design node a bundle is exported on), shared by dataiku_bundle and
dataiku_connection_remap. Its suboptions are documented in the ``dataiku_gitops.dss.dss.source`` doc fragment.
"""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle.listing import exported_bundles
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import bundle_id_error, project_key_error, shown


def source_argument_spec():
    return dict(type="dict", options=dict(
        url=dict(type="str", required=True),
        api_key=dict(type="str", required=True, no_log=True),
        project_key=dict(type="str", no_log=False),
        bundle_id=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    ))


def source_errors(module, source, project_key, bundle_id, consequence=""):
    """Check ``source`` before any request and fill its defaults in place (project_key, bundle_id from the task's).

    Returns the problems found (None entries for none). ``consequence`` ends the message about a different
    bundle id, for the module to say what it would cause.
    """
    source["url"] = module._checked_url(source["url"], "source.url")
    source["project_key"] = source["project_key"] or project_key
    source["bundle_id"] = source["bundle_id"] or bundle_id
    errors = [project_key_error(source["project_key"], "source.project_key"),
              bundle_id_error(source["bundle_id"], "source.bundle_id")]
    if source["bundle_id"] != bundle_id:
        errors.append("source.bundle_id %s differs from bundle_id %s: DSS keeps the exported id when a bundle is "
                      "imported%s." % (shown(source["bundle_id"]), shown(bundle_id), consequence))
    return errors


def source_bundles(module, source):
    """(client, exported bundle entries oldest first) of the project ``source`` names on its design node.

    Fails unless the node is a DESIGN node and the project exists there (DssModule.find_project).
    """
    url, key = source["url"], source["project_key"]
    client = module.make_client(url, source["api_key"], validate_certs=source["validate_certs"],
                                ca_path=source["ca_path"], option="source.url")
    node_type = module.checked_instance_info(client, url).get("nodeType")
    if node_type != "DESIGN":
        raise DssError(module.scrub("source needs a DESIGN node (bundles are exported there), but %s is a %s "
                                    "node." % (url, node_type)))
    if module.find_project(key, client=client, url=url) is None:
        raise DssError(module.scrub("source: project %s does not exist on the design node %s." % (key, url)))
    return client, exported_bundles(module, client, key, url=url)
