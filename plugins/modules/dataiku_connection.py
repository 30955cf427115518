#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_connection
short_description: Create, update or delete a Dataiku DSS connection
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a connection exists on a DSS node with the given type, parameters, secrets and allowed groups, or that
    it does not exist. Typically used to declare what a staging or production node must hold before a bundle that
    uses the connection is activated there.
  - Only the options that are set are managed; a second run with the same options sends no write request.
  - The whole connection definition is written back, so fields this module does not manage are kept; it is then
    read again and the task fails if DSS did not keep a written field.
  - DSS never returns secrets in clear (it returns them encrypted), so secrets are not compared; O(update_secrets)
    says when they are written.
  - In check mode nothing is written; C(changed) and the diff are exactly those of a real run. The diff shows the
    managed fields only and never a secret value.
  - Needs an API key with administrator rights.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  name:
    description: Name of the connection.
    type: str
    required: true
  state:
    description:
      - V(present) creates the connection if needed and applies the options that are set.
      - V(absent) deletes the connection if it exists.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Connection type, for example V(PostgreSQL), V(Snowflake), V(Filesystem), V(EC2) (S3).
      - Required to create a connection; the type of an existing connection cannot be changed.
    type: str
  description:
    description: Description of the connection.
    type: str
  params:
    description:
      - Type-specific parameters that are not secret (for example C(host), C(port), C(db), C(user) or C(root)); the
        keys given are set and compared, the others are kept.
      - Put passwords and keys in O(secret_params), never here.
    type: dict
  secret_params:
    description:
      - Secret parameters (for example C(password)), merged into the connection's parameters when written.
      - Never returned, logged or shown in a diff (the diff shows the key with a placeholder).
      - Not compared, since DSS does not return them in clear; when they are written is chosen by
        O(update_secrets).
    type: dict
  update_secrets:
    description:
      - V(on_create) writes O(secret_params) only when the connection is created; an existing connection keeps its
        secrets and the task stays idempotent.
      - V(always) writes O(secret_params) on every run, so the task always reports a change (use it to rotate a
        password, then go back to V(on_create)).
    type: str
    choices: [always, on_create]
    default: on_create
  usable_by:
    description:
      - V(all) lets every user use the connection; V(allowed) only the groups in O(allowed_groups).
    type: str
    choices: [all, allowed]
  allowed_groups:
    description:
      - Groups allowed to use the connection when O(usable_by=allowed). Compared as a set.
    type: list
    elements: str
seealso:
  - module: dataiku_gitops.dss.dataiku_code_env
  - module: dataiku_gitops.dss.dataiku_connection_remap
"""

EXAMPLES = r"""
- name: The warehouse connection a bundle needs on prod
  dataiku_gitops.dss.dataiku_connection:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    name: warehouse_prod
    type: PostgreSQL
    params:
      host: pg.prod.example.com
      port: 5432
      db: analytics
      user: dss
    secret_params:
      password: "{{ vault_warehouse_password }}"
    usable_by: allowed
    allowed_groups: [data_team]

- name: Rotate the password (reports a change on every run while update_secrets=always)
  dataiku_gitops.dss.dataiku_connection:
    name: warehouse_prod
    secret_params:
      password: "{{ vault_new_warehouse_password }}"
    update_secrets: always
"""

RETURN = r"""
connection:
  description:
    - The managed fields of the connection after the run (type, description, params, usable_by, allowed_groups),
      V({}) when it does not exist. Secret parameters appear as DSS returns them (encrypted), never in clear.
  returned: always
  type: dict
  sample:
    type: PostgreSQL
    description: null
    params: {host: pg.prod.example.com, port: 5432, db: analytics, user: dss}
    usable_by: allowed
    allowed_groups: [data_team]
"""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import deep_merge, sorted_unique
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    ContentObject, content_argument_spec, instance_object_errors, main_of)

NOT_READABLE = "(secret, not readable)"
WRITTEN = "(secret, written)"


class Connection(ContentObject):
    kind = "connection"
    immutable = ("type",)

    def __init__(self, module):
        super().__init__(module)
        self.name = self.params["name"]
        self.label = "connection %s" % self.name
        self.handle = module.client.get_connection(self.name)

    def exists(self):
        return self.name in (self.module.client.list_connections_names("all") or [])

    def read(self):
        return self.handle.get_settings().get_raw()

    def view(self, raw):
        secrets = self.params["secret_params"] or {}
        params = dict((k, v) for k, v in (raw.get("params") or {}).items() if k not in secrets)
        return dict(type=raw.get("type"), description=raw.get("description"), params=params,
                    usable_by=(raw.get("usableBy") or "ALL").lower(),
                    allowed_groups=sorted_unique(raw.get("allowedGroups") or []))

    def desired(self):
        p = self.params
        wanted = dict((o, p[o]) for o in ("type", "description", "params", "usable_by") if p[o] is not None)
        if p["allowed_groups"] is not None:
            wanted["allowed_groups"] = sorted_unique(p["allowed_groups"])
        return wanted

    def forced_changes(self, exists):
        secrets = sorted(self.params["secret_params"] or {})
        if not secrets or (exists and self.params["update_secrets"] != "always"):
            return {}, {}
        before = {"secret_params": dict((k, NOT_READABLE) for k in secrets)} if exists else {}
        return before, {"secret_params": dict((k, WRITTEN) for k in secrets)}

    def check_input(self, raw):
        p = self.params
        if raw is None and not p["type"]:
            return "Creating the %s needs type (for example PostgreSQL, Snowflake or Filesystem)." % self.label
        both = sorted(set(p["params"] or {}) & set(p["secret_params"] or {}))
        if both:
            return "%s given both in params and in secret_params: put secrets in secret_params only." % ", ".join(both)
        return None

    def create(self, desired):
        p = self.params
        params = dict(p["params"] or {})
        params.update(p["secret_params"] or {})
        self.module.client.create_connection(self.name, p["type"], params=params,
                                             usable_by=(p["usable_by"] or "all").upper(),
                                             allowed_groups=desired.get("allowed_groups"),
                                             description=p["description"])

    def update(self, raw, desired):
        p = self.params
        settings = self.handle.get_settings()
        doc = settings.get_raw()
        if "description" in desired:
            doc["description"] = desired["description"]
        if "params" in desired:
            doc["params"] = deep_merge(doc.get("params") or {}, desired["params"])
        if p["secret_params"] and p["update_secrets"] == "always":
            doc.setdefault("params", {}).update(p["secret_params"])
        if "usable_by" in desired:
            doc["usableBy"] = desired["usable_by"].upper()
        if "allowed_groups" in desired:
            doc["allowedGroups"] = desired["allowed_groups"]
        settings.save()

    def delete(self, raw):
        self.handle.delete()


def argument_spec():
    return content_argument_spec(
        in_project=False,
        type=dict(type="str"),
        description=dict(type="str"),
        params=dict(type="dict"),
        secret_params=dict(type="dict", no_log=True),
        update_secrets=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        usable_by=dict(type="str", choices=["all", "allowed"]),
        allowed_groups=dict(type="list", elements="str"),
    )


def main():
    main_of(Connection, argument_spec(), instance_object_errors)


if __name__ == "__main__":
    main()
