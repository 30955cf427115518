#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataiku_dataset
short_description: Create, update or delete a dataset of a Dataiku DSS project
version_added: 0.1.0
author:
  - dataiku_gitops.dss maintainers (@dataiku-gitops)
description:
  - Ensures a dataset exists in a DSS project with the given type, connection, parameters, format and schema, or
    that it does not exist.
  - Only the options that are set are managed; a second run with the same options sends no write request.
  - The whole dataset definition is written back, so fields this module does not manage are kept; it is then read
    again and the task fails if DSS did not keep a written field.
  - In check mode nothing is written; C(changed) and the diff are exactly those of a real run. The diff shows the
    managed fields only (for O(params) and O(format_params), only the keys given).
  - The project must exist.
extends_documentation_fragment:
  - dataiku_gitops.dss.dss
  - dataiku_gitops.dss.dss.attributes
  - dataiku_gitops.dss.dss.action_group
options:
  project_key:
    description: Key of the project holding the dataset.
    type: str
    required: true
  name:
    description: Name of the dataset (letters, digits and underscores).
    type: str
    required: true
  state:
    description:
      - V(present) creates the dataset if needed and applies the options that are set.
      - V(absent) deletes the dataset definition if it exists; its data is kept unless O(drop_data=true).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Dataset type, for example V(Filesystem), V(PostgreSQL), V(Snowflake), V(UploadedFiles).
      - Required to create a dataset that is not managed. For a managed dataset, defaults to the type of the
        O(connection).
    type: str
  managed:
    description:
      - Whether DSS manages the dataset's storage (the output of a recipe, created through DSS's managed dataset
        creation in O(connection)); V(false) for a dataset that reads existing data.
      - Set on creation; on an existing dataset the flag is compared and written like any other field.
    type: bool
  connection:
    description:
      - Connection holding the data (C(params.connection) in DSS). Required to create a managed dataset.
    type: str
  params:
    description:
      - Type-specific parameters (C(params) in DSS, for example C(path), C(table), C(schema)); the keys given are
        set, the others are kept.
    type: dict
  format_type:
    description: File format of a file-based dataset, for example V(csv) or V(parquet) (C(formatType)).
    type: str
  format_params:
    description: Parameters of the format (C(formatParams)); the keys given are set, the others are kept.
    type: dict
  schema:
    description:
      - Columns of the schema, in order. Each column is a dict with at least C(name) and C(type) (DSS types such as
        V(string), V(bigint), V(double), V(date)); other keys (C(comment), C(meaning)) are passed as given.
      - Compared column by column on the keys given; when different, the column list is replaced.
    type: list
    elements: dict
  drop_data:
    description: With O(state=absent), also delete the dataset's data (managed datasets only).
    type: bool
    default: false
notes:
  - Renaming is not supported; a different O(name) is another dataset.
seealso:
  - module: dataiku_gitops.dss.dataiku_recipe
  - module: dataiku_gitops.dss.dataiku_connection
"""

EXAMPLES = r"""
- name: An input dataset on an existing table
  dataiku_gitops.dss.dataiku_dataset:
    url: "{{ dss_url }}"
    api_key: "{{ dss_api_key }}"
    project_key: CHURN
    name: customers
    type: PostgreSQL
    connection: warehouse
    params:
      mode: table
      table: customers
    schema:
      - {name: id, type: bigint}
      - {name: country, type: string}

- name: A managed output dataset stored in the managed filesystem connection
  dataiku_gitops.dss.dataiku_dataset:
    project_key: CHURN
    name: scored
    managed: true
    connection: filesystem_managed
    format_type: csv

- name: Remove a dataset and its data
  dataiku_gitops.dss.dataiku_dataset:
    project_key: CHURN
    name: scratch
    state: absent
    drop_data: true
"""

RETURN = r"""
dataset:
  description:
    - The managed fields of the dataset after the run (all of them, not only the ones set), V({}) when it does not
      exist. In check mode, the current fields with the requested ones applied.
  returned: always
  type: dict
  sample:
    type: Filesystem
    managed: true
    connection: filesystem_managed
    params: {connection: filesystem_managed, path: "${projectKey}/scored"}
    format_type: csv
    format_params: {}
    schema: []
"""

import copy

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import deep_merge
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    ProjectObject, content_argument_spec, main_of, project_object_errors)

# Option name -> key of the DSS dataset document, for the top-level fields written as given.
SIMPLE_FIELDS = {"type": "type", "managed": "managed", "format_type": "formatType"}


class Dataset(ProjectObject):
    kind = "dataset"

    def __init__(self, module):
        super().__init__(module)
        self.handle = self.project.get_dataset(self.name)

    def list_names(self):
        return [d.get("name") for d in self.project.list_datasets(as_type="listitems")]

    def read(self):
        return self.handle.get_settings().get_raw()

    def view(self, raw):
        params = raw.get("params") or {}
        return dict(type=raw.get("type"), managed=raw.get("managed", False), connection=params.get("connection"),
                    params=params, format_type=raw.get("formatType"), format_params=raw.get("formatParams") or {},
                    schema=(raw.get("schema") or {}).get("columns") or [])

    def desired(self):
        p = self.params
        return dict((o, p[o]) for o in ("type", "managed", "connection", "params", "format_type", "format_params",
                                        "schema") if p[o] is not None)

    def check_input(self, raw):
        exists = raw is not None
        p = self.params
        given = (p["params"] or {}).get("connection")
        if given is not None and p["connection"] is not None and given != p["connection"]:
            return "connection %r and params.connection %r differ: set the connection once." % (p["connection"], given)
        if not exists and p["managed"] and not p["connection"]:
            return "Creating the managed dataset %s needs connection (where DSS stores its data)." % self.label
        if not exists and not p["managed"] and not p["type"]:
            return ("Creating the dataset %s needs type (for example Filesystem or PostgreSQL), or managed=true "
                    "with a connection." % self.label)
        return None

    def create(self, desired):
        p = self.params
        if p["managed"]:
            creator = self.project.new_managed_dataset(self.name)
            creator.with_store_into(p["connection"], type_option_id=p["type"])
            creator.create()
        else:
            params = dict(p["params"] or {})
            if p["connection"] is not None:
                params["connection"] = p["connection"]
            self.project.create_dataset(self.name, p["type"], params=params, formatType=p["format_type"],
                                        formatParams=p["format_params"])

    def update(self, raw, desired):
        settings = self.handle.get_settings()
        doc = settings.get_raw()
        for option, key in SIMPLE_FIELDS.items():
            if option in desired:
                doc[key] = desired[option]
        if "params" in desired:
            doc["params"] = deep_merge(doc.get("params") or {}, desired["params"])
        if "connection" in desired:
            doc.setdefault("params", {})["connection"] = desired["connection"]
        if "format_params" in desired:
            doc["formatParams"] = deep_merge(doc.get("formatParams") or {}, desired["format_params"])
        if "schema" in desired:
            doc.setdefault("schema", {})["columns"] = copy.deepcopy(desired["schema"])
        settings.save()

    def delete(self, raw):
        self.handle.delete(drop_data=self.params["drop_data"])


def argument_spec():
    return content_argument_spec(
        type=dict(type="str"),
        managed=dict(type="bool"),
        connection=dict(type="str"),
        params=dict(type="dict"),
        format_type=dict(type="str"),
        format_params=dict(type="dict"),
        schema=dict(type="list", elements="dict"),
        drop_data=dict(type="bool", default=False),
    )


def schema_errors(schema):
    return ["schema[%d] needs a name and a type (strings)" % i for i, column in enumerate(schema or [])
            if not isinstance(column.get("name"), str) or not isinstance(column.get("type"), str)]


def main():
    main_of(Dataset, argument_spec(),
            lambda params: project_object_errors(params, "name") + schema_errors(params["schema"]))


if __name__ == "__main__":
    main()
