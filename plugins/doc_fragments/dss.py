# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options, attributes and action group shared by every module of the collection, and the ``source``
    option of the modules that read a bundle from a design node."""

    DOCUMENTATION = r"""
requirements:
  - python >= 3.9 on the host that runs the module (the controller, or the execution environment in AWX)
  - dataiku-api-client >= 15.2.0, < 16 (the official DSS client; it imports C(six), so install six as well)
  - requests >= 2.31
options:
  url:
    description:
      - Base URL of the DSS node, for example V(https://dss-design.example.com:11200).
      - A trailing V(/) is removed. The scheme (V(http://) or V(https://)) is required.
      - If not set, the value of the E(DATAIKU_URL) environment variable is used.
    type: str
    required: true
  api_key:
    description:
      - DSS API key used to authenticate (sent as HTTP Basic user, as the official client does).
      - Never returned, logged or shown in a diff.
      - If not set, the value of the E(DATAIKU_API_KEY) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of the DSS node.
      - Only set to V(false) for throw-away test nodes with self-signed certificates; the module then warns.
      - The module also warns when O(url) is a plain V(http://) URL to a host other than this machine (the API key
        would cross the network unencrypted).
      - If not set, the value of the E(DATAIKU_VALIDATE_CERTS) environment variable is used, else V(true).
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of certificate authorities used to verify the DSS node's certificate.
      - Ignored when O(validate_certs=false). A path that does not exist is refused before any request.
      - If not set, the value of the E(DATAIKU_CA_PATH) environment variable is used (the AWX credential type of this
        collection injects it); an empty value means the system CA store.
    type: path
  client_cert:
    description:
      - Path to a PEM client certificate for mutual TLS (DSS 13.5 and later).
      - If it does not contain the private key, set O(client_key) too.
    type: path
  client_key:
    description:
      - Path to the PEM private key matching O(client_cert).
    type: path
  timeout:
    description:
      - Seconds to wait for DSS to answer one HTTP request (connect and read).
      - Long operations such as bundle uploads are not bounded by this as a whole, only each read is.
    type: int
    default: 60
  retries:
    description:
      - How many more times a read (GET) is sent after a connection error, a timeout or a V(502), V(503) or V(504)
        answer, with exponential backoff (0.5, 1, 2... seconds).
      - A write is never sent again blindly; after such a failure the module re-reads the state it was changing and
        sends the write again (up to O(retries) times) only if it did not take effect.
      - V(0) disables retries.
      - If not set, the value of the E(DATAIKU_RETRIES) environment variable is used, else V(3).
    type: int
    default: 3
  node_type:
    description:
      - Fail before changing anything unless the node at O(url) is of this type (read from C(GET /instance-info)).
      - Whether or not it is set, a node whose C(GET /instance-info) does not name a node type is refused before any
        other request, because the URL does not point at DSS.
      - Guards against an inventory that points a task at the wrong DSS node. The message names both node types.
      - Modules whose operation only exists on one node type check it in any case.
    type: str
    choices: [design, automation]
"""

    # Modules set their own source.description: ansible-doc merges a fragment option with a module option of the
    # same name key by key (the module's description replaces this one, the suboptions stay).
    SOURCE = r"""
options:
  source:
    description:
      - The design node the bundle O(bundle_id) is exported on.
      - The TLS client certificate options, O(timeout) and O(retries) of the task apply to this node too; its
        certificate is verified with its own O(source.validate_certs) and O(source.ca_path), never the task's.
    type: dict
    suboptions:
      url:
        description: Base URL of the design node.
        type: str
        required: true
      api_key:
        description: API key for the design node. Never returned or logged.
        type: str
        required: true
      project_key:
        description: Project key on the design node. Defaults to O(project_key).
        type: str
      bundle_id:
        description:
          - Bundle id on the design node. Defaults to O(bundle_id).
          - DSS keeps a bundle's id when it is imported, so a different value is rejected; the option only makes
            the source explicit.
        type: str
      validate_certs:
        description: Verify the design node's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of certificate authorities for the design node's certificate.
        type: path
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status prediction without modifying DSS.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: This module only reads from DSS, so it runs normally in check mode.
    support: full
  diff_mode:
    description: This module reads only and returns no diff.
    support: N/A
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/dataiku_gitops.dss.dss) in C(module_defaults) to set connection options once for all modules.
    support: full
    membership:
      - dataiku_gitops.dss.dss
"""
