"""Project content: datasets, recipes, scenarios and the flow graph (client: dataikuapi/dss/dataset.py, recipe.py, scenario.py; runs come later).

Each object is stored (kinds `dataset`, `recipe`, `scenario`, scope = project key) exactly as its GET returns
it; bundles carry these documents and activation replaces them.
"""

import copy
import re

from flask import Blueprint, jsonify, request

from .. import dataset_data
from ..errors import ILLEGAL_ARGUMENT, NOT_FOUND, DSSError
from ..connection_model import get_connection
from .scenario_runs import is_running
from ..versioning import save_if_changed, stamp_new
from ..web import body_json, qbool, require_project, store

bp = Blueprint("project_content", __name__)

# Dataset and recipe names: DSS allows letters, digits and underscores (the client's docstrings say so).
OBJECT_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
LABELS = {"dataset": "Dataset", "recipe": "Recipe", "scenario": "Scenario"}


def _check_name(kind, name):
    if not isinstance(name, str) or not OBJECT_NAME_RE.match(name):
        raise DSSError("Invalid %s name '%s': use only letters, digits and underscores" % (kind, name),
                       ILLEGAL_ARGUMENT, 400)


def _get(kind, key, id_):
    require_project(key)
    obj = store().get(kind, key, id_)
    if obj is None:
        raise DSSError("%s %s.%s does not exist" % (LABELS[kind], key, id_), NOT_FOUND, 404)
    return obj


def _refuse_duplicate(kind, key, id_):
    if store().get(kind, key, id_) is not None:
        raise DSSError("%s %s.%s already exists" % (LABELS[kind], key, id_), ILLEGAL_ARGUMENT, 400)


def _delete(kind, key, id_):
    st = store()
    with st.transaction():
        _get(kind, key, id_)
        st.delete(kind, key, id_)


def _body_object(what):
    body = body_json({})
    if not isinstance(body, dict):
        raise DSSError("%s must be a JSON object" % what, ILLEGAL_ARGUMENT, 400)
    return body


# -- datasets ---------------------------------------------------------------------------------------------------


def new_dataset(key, body):
    dataset = {
        "projectKey": key,
        "name": body["name"],
        "type": body.get("type"),
        "managed": False,
        "params": {},
        "formatType": None,
        "formatParams": {},
        "schema": {"columns": [], "userModified": False},
        "partitioning": {"dimensions": []},
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL", "crossProjectBuildBehavior": "DEFAULT"},
        "tags": [],
        "description": "",
        "shortDesc": "",
        "checklists": {"checklists": []},
        "customFields": {},
    }
    dataset.update({k: v for k, v in body.items() if v is not None or k not in dataset})
    dataset["projectKey"] = key
    dataset["params"] = dataset.get("params") or {}
    return stamp_new(dataset)


@bp.get("/projects/<key>/datasets")
def list_datasets(key):
    require_project(key)
    wanted = set(request.args.getlist("tags"))
    return jsonify([d for d in store().list("dataset", key) if not wanted or wanted & set(d.get("tags") or [])])


@bp.post("/projects/<key>/datasets")
def create_dataset(key):
    body = _body_object("A dataset")
    _check_name("dataset", body.get("name"))
    if not body.get("type"):
        raise DSSError("A dataset needs a type", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        require_project(key)
        _refuse_duplicate("dataset", key, body["name"])
        dataset = new_dataset(key, body)
        st.put("dataset", key, dataset["name"], dataset)
    return jsonify(dataset)


@bp.post("/projects/<key>/datasets/managed")
def create_managed_dataset(key):
    """project.new_managed_dataset(name).with_store_into(connection).create()"""
    body = _body_object("A managed dataset creation request")
    _check_name("dataset", body.get("name"))
    st = store()
    with st.transaction():
        require_project(key)
        _refuse_duplicate("dataset", key, body["name"])
        dataset = _managed_output(key, body["name"], body.get("creationSettings") or {})
        st.put("dataset", key, dataset["name"], dataset)
    return jsonify(dataset)


DATASET_METADATA = ("description", "shortDesc", "tags", "checklists", "customFields", "custom")


@bp.get("/projects/<key>/datasets/<name>/metadata")
def get_dataset_metadata(key, name):
    """Also what dataset.exists() calls."""
    dataset = _get("dataset", key, name)
    return jsonify(dict({k: dataset[k] for k in DATASET_METADATA if k in dataset}, label=name))


@bp.put("/projects/<key>/datasets/<name>/metadata")
def save_dataset_metadata(key, name):
    body = _body_object("Dataset metadata")
    st = store()
    with st.transaction():
        old = _get("dataset", key, name)
        new = copy.deepcopy(old)
        new.update({k: body[k] for k in DATASET_METADATA if k in body})
        save_if_changed("dataset", key, name, old, new)
    return jsonify({})


@bp.get("/projects/<key>/datasets/<name>")
def get_dataset(key, name):
    return jsonify(_get("dataset", key, name))


@bp.put("/projects/<key>/datasets/<name>")
def save_dataset(key, name):
    body = _body_object("A dataset definition")
    st = store()
    with st.transaction():
        old = _get("dataset", key, name)
        new = copy.deepcopy(body)
        new["projectKey"], new["name"] = key, name
        save_if_changed("dataset", key, name, old, new)
    return jsonify({})


@bp.delete("/projects/<key>/datasets/<name>")
def delete_dataset(key, name):
    _delete("dataset", key, name)
    if qbool("dropData"):  # DSS keeps the data unless asked to drop it
        dataset_data.drop(store().data_dir, key, name)
    return jsonify({})


# -- recipes ----------------------------------------------------------------------------------------------------


def _refs(roles):
    return [item.get("ref") for role in (roles or {}).values() for item in (role or {}).get("items") or []]


def _managed_output(key, name, settings):
    """The managed dataset `with_new_output(name, connection)` asks DSS to create along with the recipe."""
    connection = get_connection(settings.get("connectionId"))
    return new_dataset(key, {"name": name, "type": settings.get("typeOptionId") or connection["type"],
                             "managed": True,
                             "params": {"connection": connection["name"], "path": "${projectKey}/" + name},
                             "formatType": "csv" if connection["type"] == "Filesystem" else None})


def _recipe_name(key, proto):
    if proto.get("name"):
        _check_name("recipe", proto["name"])
        return proto["name"]
    outputs = _refs(proto.get("outputs"))
    base = "compute_%s" % (outputs[0] if outputs else proto.get("type") or "recipe")  # [INF] DSS's default
    name, n = base, 1
    while store().get("recipe", key, name) is not None:
        name, n = "%s_%d" % (base, n), n + 1
    return name


@bp.get("/projects/<key>/recipes")
def list_recipes(key):
    require_project(key)
    return jsonify([r["recipe"] for r in store().list("recipe", key)])


@bp.post("/projects/<key>/recipes")
def create_recipe(key):
    body = _body_object("A recipe creation request")
    proto = copy.deepcopy(body.get("recipePrototype") or {})
    settings = body.get("creationSettings") or {}
    if not proto.get("type"):
        raise DSSError("A recipe needs a type", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        require_project(key)
        name = _recipe_name(key, proto)
        _refuse_duplicate("recipe", key, name)
        if settings.get("createOutputDataset"):
            for ref in _refs(proto.get("outputs")):
                if st.get("dataset", key, ref) is None:
                    st.put("dataset", key, ref, _managed_output(key, ref, settings.get("outputDatasetSettings") or {}))
        if not settings.get("rawCreation"):
            # Local dataset refs must exist (refs "OTHER.name" point to other projects and are not checked).
            for ref in _refs(proto.get("inputs")) + _refs(proto.get("outputs")):
                if ref and "." not in ref and st.get("dataset", key, ref) is None:
                    raise DSSError("Dataset %s.%s does not exist" % (key, ref), NOT_FOUND, 404)
        recipe = {"inputs": {}, "outputs": {}, "params": {}, "tags": []}
        recipe.update(proto)
        recipe.update({"projectKey": key, "name": name})
        # Code recipes send their code as creationSettings.script; raw mode as rawPayload.
        payload = settings.get("rawPayload") if settings.get("rawCreation") else settings.get("script")
        doc = {"recipe": stamp_new(recipe), "payload": payload if isinstance(payload, str) else ""}
        st.put("recipe", key, name, doc)
    return jsonify({"name": name, "projectKey": key})


@bp.get("/projects/<key>/recipes/<name>")
def get_recipe(key, name):
    return jsonify(_get("recipe", key, name))


@bp.put("/projects/<key>/recipes/<name>")
def save_recipe(key, name):
    body = _body_object("A recipe definition and payload")
    if not isinstance(body.get("recipe"), dict):
        raise DSSError("Missing 'recipe' in the recipe definition", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        old = _get("recipe", key, name)
        new = copy.deepcopy(body)
        new["recipe"]["projectKey"], new["recipe"]["name"] = key, name
        new.setdefault("payload", old.get("payload", ""))
        save_if_changed("recipe", key, name, old, new, tagged=lambda doc: doc["recipe"])
    return jsonify({})


@bp.delete("/projects/<key>/recipes/<name>")
def delete_recipe(key, name):
    _delete("recipe", key, name)
    return jsonify({})


# -- scenarios --------------------------------------------------------------------------------------------------


def _scenario_id(key, definition):
    """[INF] DSS derives the id from the name (upper case, other characters dropped) unless one is given."""
    if definition.get("id"):
        _check_name("scenario", definition["id"])
        return definition["id"]
    base = re.sub(r"[^A-Z0-9_]", "", re.sub(r"\s+", "_", str(definition.get("name") or "").upper())) or "SCENARIO"
    id_, n = base, 1
    while store().get("scenario", key, id_) is not None:
        id_, n = "%s_%d" % (base, n), n + 1
    return id_


def _list_item(scenario):
    return {"id": scenario["id"], "name": scenario.get("name"), "projectKey": scenario["projectKey"],
            "type": scenario.get("type"), "active": scenario.get("active", False),
            "running": is_running(scenario["projectKey"], scenario["id"]),
            "tags": scenario.get("tags") or [], "markedAsTest": scenario.get("markedAsTest", False)}


@bp.get("/projects/<key>/scenarios")
def list_scenarios(key):
    require_project(key)
    return jsonify([_list_item(s) for s in store().list("scenario", key)])


@bp.post("/projects/<key>/scenarios")
def create_scenario(key):
    definition = _body_object("A scenario definition")
    if definition.get("type") not in ("step_based", "custom_python"):
        raise DSSError("Scenario type must be step_based or custom_python", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        require_project(key)
        id_ = _scenario_id(key, definition)
        _refuse_duplicate("scenario", key, id_)
        scenario = {"active": False, "triggers": [], "reporters": [], "params": {}, "tags": [],
                    "description": "", "shortDesc": "", "checklists": {"checklists": []}, "markedAsTest": False}
        scenario.update(copy.deepcopy(definition))
        scenario.update({"projectKey": key, "id": id_})
        if scenario["type"] == "step_based":
            scenario["params"] = scenario.get("params") or {}
            scenario["params"].setdefault("steps", [])
        st.put("scenario", key, id_, stamp_new(scenario))
    return jsonify({"id": id_, "projectKey": key})


@bp.get("/projects/<key>/scenarios/<id_>")
def get_scenario(key, id_):
    return jsonify(_get("scenario", key, id_))


@bp.get("/projects/<key>/scenarios/<id_>/light")
def scenario_status(key, id_):
    scenario = _get("scenario", key, id_)
    return jsonify(dict(_list_item(scenario), nextRun=None))


@bp.put("/projects/<key>/scenarios/<id_>")
def save_scenario(key, id_):
    body = _body_object("A scenario definition")
    st = store()
    with st.transaction():
        old = _get("scenario", key, id_)
        new = copy.deepcopy(body)
        new["projectKey"], new["id"] = key, id_
        save_if_changed("scenario", key, id_, old, new)
    return jsonify({})


@bp.delete("/projects/<key>/scenarios/<id_>")
def delete_scenario(key, id_):
    st = store()
    with st.transaction():
        _delete("scenario", key, id_)
        st.delete("scenario_payload", key, id_)
    return jsonify({})


@bp.get("/projects/<key>/scenarios/<id_>/payload")
def get_scenario_payload(key, id_):
    _get("scenario", key, id_)
    return jsonify(store().get("scenario_payload", key, id_) or {"script": ""})


@bp.put("/projects/<key>/scenarios/<id_>/payload")
def save_scenario_payload(key, id_):
    body = _body_object("A scenario payload")
    st = store()
    with st.transaction():
        _get("scenario", key, id_)
        new = {"script": body.get("script") or ""}
        if st.get("scenario_payload", key, id_) != new:
            st.put("scenario_payload", key, id_, new)
    return jsonify({})


# -- flow graph -------------------------------------------------------------------------------------------------


@bp.get("/projects/<key>/flow/graph")
def flow_graph(key):
    """Datasets and recipes as DSSProjectFlowGraph reads them: nodes keyed by name, with successors and
    predecessors (enough for recipe.run() to find its output)."""
    require_project(key)
    st = store()
    nodes = {}
    for dataset in st.list("dataset", key):
        nodes[dataset["name"]] = {"ref": dataset["name"], "type": "COMPUTABLE_DATASET", "projectKey": key,
                                  "successors": [], "predecessors": []}
    for doc in st.list("recipe", key):
        recipe = doc["recipe"]
        node = {"ref": recipe["name"], "type": "RUNNABLE_RECIPE", "subType": recipe.get("type"), "projectKey": key,
                "predecessors": [r for r in _refs(recipe.get("inputs")) if r in nodes],
                "successors": [r for r in _refs(recipe.get("outputs")) if r in nodes]}
        nodes[recipe["name"]] = node
        for ref in node["predecessors"]:
            nodes[ref]["successors"].append(recipe["name"])
        for ref in node["successors"]:
            nodes[ref]["predecessors"].append(recipe["name"])
    return jsonify({"nodes": nodes})
