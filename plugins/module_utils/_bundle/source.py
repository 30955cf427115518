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


def _memo(module):
    """What this module run already read on design nodes (see source_bundles)."""
    memo = getattr(module, "_source_memo", None)
    if memo is None:
        memo = module._source_memo = {}
    return memo


def source_client(module, source):
    """The client of the design node ``source`` names, made once per module run."""
    memo = _memo(module)
    key = ("client", source["url"], source["api_key"], source["validate_certs"], source["ca_path"])
    if key not in memo:
        memo[key] = module.make_client(source["url"], source["api_key"], validate_certs=source["validate_certs"],
                                       ca_path=source["ca_path"], option="source.url")
    return memo[key]


def source_bundles(module, source):
    """(client, exported bundle entries oldest first) of the project ``source`` names on its design node.

    Fails unless the node is a DESIGN node and the project exists there (DssModule.find_project). Read once per
    module run: the later steps that need it (import, remap preflight, gates, release notes) reuse the answer, as no
    module writes on the design node it reads a bundle from.
    """
    memo = _memo(module)
    key = ("bundles", source["url"], source["project_key"])
    if key not in memo:
        memo[key] = _read_source_bundles(module, source)
    return memo[key]


def read_source_bundles(module, source):
    """The exported bundle entries of ``source``'s project when this module run read them already, else None."""
    known = _memo(module).get(("bundles", source["url"], source["project_key"]))
    return known[1] if known else None


def _read_source_bundles(module, source):
    url, key = source["url"], source["project_key"]
    client = source_client(module, source)
    node_type = module.checked_instance_info(client, url).get("nodeType")
    if node_type != "DESIGN":
        raise DssError(module.scrub("source needs a DESIGN node (bundles are exported there), but %s is a %s "
                                    "node." % (url, node_type)))
    if module.find_project(key, client=client, url=url) is None:
        raise DssError(module.scrub("source: project %s does not exist on the design node %s." % (key, url)))
    return client, exported_bundles(module, client, key, url=url)
