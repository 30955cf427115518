# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one node for adoption: what each project holds, in the options of the collection's modules.

Reads only (the transport retries them). A design node gives each project's description (project, datasets,
recipes, scenarios) and its test scenarios; an automation node gives each project's remapping and active bundle.
Both give the environment objects (connections without their secrets, code envs). What the formats cannot express
is listed in ``not_adopted``, so that nobody takes it for described.

Projects are read concurrently (worker threads only send requests and return the documents, or the exception); the
documents are turned into items, and failures reported, from the main thread, as state_read does.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._adopt import convert
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.code_env import package_holder
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.project import with_active_bundle
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import project_summary

OBJECT_MODES = ("used", "all", "none")
MAX_WORKERS = 8


def _not_adopted(project, kind, name, reason):
    return dict(project=project, kind=kind, id=name, reason=reason)


def _scenario(project, scenario_id):
    settings = project.get_scenario(scenario_id).get_settings()
    raw = settings.get_raw()
    return raw, (settings.code if raw.get("type") != convert.STEP_BASED else None)


def design_documents(client, key):
    """What DSS returns for a design project: metadata, variables, permissions, datasets, recipe settings,
    scenario settings (with the script of Python scenarios), managed folders."""
    project = client.get_project(key)
    return dict(metadata=project.get_metadata(), variables=project.get_variables(),
                permissions=project.get_permissions(),
                datasets=[dict(d) for d in project.list_datasets(as_type="listitems")],
                recipes=[project.get_recipe(r["name"]).get_settings().data
                         for r in project.list_recipes(as_type="listitems")],
                scenarios=[_scenario(project, s["id"]) for s in project.list_scenarios(as_type="listitems")],
                folders=project.list_managed_folders())


def automation_documents(client, key):
    """What DSS returns for an automation project: its settings (the remapping) and its datasets."""
    project = client.get_project(key)
    return dict(settings=project.get_settings().get_raw(),
                datasets=[dict(d) for d in project.list_datasets(as_type="listitems")])


def read_documents(client, keys, design):
    """{key: documents (with ``summary``), None when the project is not on the node, or the exception raised}."""
    def one(key):
        try:
            summary = project_summary(client, key)
            if summary is None:
                return None
            documents = design_documents(client, key) if design else automation_documents(client, key)
            documents["summary"] = summary
            return documents
        except Exception as exc:  # pylint: disable=broad-except
            return exc

    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(keys))) as pool:
        return dict(zip(keys, pool.map(one, keys)))


class NodeReader:
    """Reads the projects ``keys`` (all projects when None) of the module's node, then its environment objects."""

    def __init__(self, module, keys, test_prefix, objects):
        self.module = module
        self.client = module.client
        self.keys = keys
        self.test_prefix = test_prefix
        self.objects = objects
        self.design = module.node_info().get("nodeType") == "DESIGN"
        self.used_connections = set()
        self.used_code_envs = set()
        self.not_adopted = []

    def read(self):
        keys = self.keys
        if keys is None:
            with self.module.dss_errors("list the projects"):
                keys = sorted(self.client.list_project_keys())
        keys = list(dict.fromkeys(keys))
        documents = read_documents(self.client, keys, self.design)
        projects, missing = {}, []
        for key in keys:
            found = documents[key]
            if isinstance(found, Exception):
                with self.module.dss_errors("read project %s" % key):
                    raise found
                raise DssError(self.module.scrub("Failed to read project %s on %s: %s" % (key, self.module.url, found)))
            if found is None:
                missing.append(key)
            else:
                projects[key] = self._design_project(key, found) if self.design else self._automation_project(found)
        return dict(node_type="design" if self.design else "automation", projects=projects, missing=missing,
                    environment_objects=self._environment_objects(), not_adopted=self.not_adopted)

    # -- projects ---------------------------------------------------------------------------------------------

    def _design_project(self, key, docs):
        permissions = docs["permissions"]
        for flag in convert.unknown_permission_flags(permissions.get("permissions")):
            self.not_adopted.append(_not_adopted(key, "permission flag", flag, "no dataiku_project option for it"))
        for folder in docs["folders"]:
            self.not_adopted.append(_not_adopted(key, "managed folder", folder.get("name") or folder.get("id"),
                                                 "managed folders are not part of project_as_code"))
        description = dict(project=convert.project_item(key, docs["summary"], docs["metadata"], docs["variables"],
                                                        permissions))
        description["datasets"] = sorted((convert.dataset_item(d) for d in docs["datasets"]), key=lambda d: d["name"])
        description["recipes"] = sorted((convert.recipe_item(r) for r in docs["recipes"]), key=lambda r: r["name"])
        description["scenarios"] = sorted((convert.scenario_item(raw, script) for raw, script in docs["scenarios"]),
                                          key=lambda s: s["id"])
        for data in docs["recipes"]:
            for role in convert.extra_recipe_roles(data):
                self.not_adopted.append(_not_adopted(key, "recipe role", "%s.%s" % (data["recipe"].get("name"), role),
                                                     "only the main input and output role is expressed"))
            self.used_code_envs.add(convert.recipe_code_env(data))
        self.used_connections.update(d.get("connection") for d in description["datasets"])
        tests = [s["id"] for s in description["scenarios"] if s["id"].startswith(self.test_prefix)]
        return dict(description=description, tests=tests)

    def _automation_project(self, docs):
        remap = convert.remapping(docs["settings"])
        self.used_connections.update(remap["connections"].values())
        self.used_connections.update(convert.dataset_item(d).get("connection") for d in docs["datasets"])
        self.used_code_envs.update(remap["code_envs"].values())
        return dict(remapping=remap, active_bundle_id=with_active_bundle(docs["summary"])["active_bundle_id"])

    # -- environment objects -------------------------------------------------------------------------------

    def _environment_objects(self):
        self.used_connections.discard(None)
        self.used_code_envs.discard(None)
        if self.objects == "none":
            return dict(connections=[], code_envs=[], secret_params={})
        with self.module.dss_errors("list the connections (an administrator key is needed)"):
            connections = self.client.list_connections() or {}
        with self.module.dss_errors("list the code envs"):
            envs = self.client.list_code_envs() or []
        wanted = (lambda name, used: True) if self.objects == "all" else (lambda name, used: name in used)
        items, secrets = [], {}
        for name in sorted(connections):
            if wanted(name, self.used_connections):
                item, secret_keys = convert.connection_item(dict(connections[name], name=name))
                items.append(item)
                if secret_keys:
                    secrets[name] = secret_keys
        code_envs = []
        for env in sorted(envs, key=lambda e: (str(e.get("envName")), str(e.get("envLang")))):
            name, lang = env.get("envName"), env.get("envLang") or "PYTHON"
            if not name or not wanted(name, self.used_code_envs):
                continue
            with self.module.dss_errors("read the %s code env %s" % (lang, name)):
                raw = self.client.get_code_env(lang, name).get_definition()
            code_envs.append(convert.code_env_item(name, lang, raw, package_holder(dict(raw))))
        return dict(connections=items, code_envs=code_envs, secret_params=secrets)


def read_node(module, keys, test_prefix, objects):
    """The adoption data of the module's node (see NodeReader)."""
    if objects not in OBJECT_MODES:
        raise DssError("environment_objects must be one of %s, got %r." % (", ".join(OBJECT_MODES), objects))
    return NodeReader(module, keys, test_prefix, objects).read()
