"""The files of a project's git repository and the store documents they stand for (DSS-like layout):

    params.json                  the project document (GET /projects/K/settings)
    variables.json               {"standard": {...}} (local variables are not versioned, as in DSS)
    datasets/<name>.json
    recipes/<name>.json          the recipe definition; its code in recipes/<name>.<py|R|sql|sh|txt>
    scenarios/<id>.json          the scenario; a custom_python script in scenarios/<id>.py

`files(st, key)` renders the store as {path: text}; `load(st, key, files)` makes the store hold what the files say,
writing only the documents that differ, so loading the files just rendered writes nothing.
"""

import json

# Store kinds whose documents live in the repository (project documents have scope "", the others the key).
TRACKED_KINDS = ("project", "variables", "dataset", "recipe", "scenario", "scenario_payload")
CODE_EXTENSIONS = {"python": "py", "pyspark": "py", "r": "R", "sparkr": "R", "sql_query": "sql", "sql_script": "sql",
                   "shell": "sh"}


def _dump(obj):
    return json.dumps(obj, sort_keys=True, indent=2, separators=(",", ": ")) + "\n"


def code_path(recipe):
    return "recipes/%s.%s" % (recipe["name"], CODE_EXTENSIONS.get(recipe.get("type"), "txt"))


def files(st, key):
    out = {"params.json": _dump(st.get("project", "", key))}
    variables = st.get("variables", key, "variables") or {}
    out["variables.json"] = _dump({"standard": variables.get("standard") or {}})
    for dataset in st.list("dataset", key):
        out["datasets/%s.json" % dataset["name"]] = _dump(dataset)
    for doc in st.list("recipe", key):
        recipe = doc["recipe"]
        out["recipes/%s.json" % recipe["name"]] = _dump(recipe)
        if doc.get("payload"):
            out[code_path(recipe)] = doc["payload"]
    for scenario in st.list("scenario", key):
        out["scenarios/%s.json" % scenario["id"]] = _dump(scenario)
        script = (st.get("scenario_payload", key, scenario["id"]) or {}).get("script")
        if script:
            out["scenarios/%s.py" % scenario["id"]] = script
    return out


def _objects(files_, folder):
    """{object name: parsed json} of one folder."""
    prefix = folder + "/"
    return {path[len(prefix):-5]: json.loads(text) for path, text in files_.items()
            if path.startswith(prefix) and path.endswith(".json") and "/" not in path[len(prefix):]}


def _docs(key, files_):
    """{(kind, scope, id): document} the files describe."""
    docs = {}
    if "params.json" in files_:
        params = json.loads(files_["params.json"])
        params["projectKey"] = key
        docs[("project", "", key)] = params
    for name, dataset in _objects(files_, "datasets").items():
        docs[("dataset", key, name)] = dataset
    for name, recipe in _objects(files_, "recipes").items():
        docs[("recipe", key, name)] = {"recipe": recipe, "payload": files_.get(code_path(recipe), "")}
    for id_, scenario in _objects(files_, "scenarios").items():
        docs[("scenario", key, id_)] = scenario
        if files_.get("scenarios/%s.py" % id_):
            docs[("scenario_payload", key, id_)] = {"script": files_["scenarios/%s.py" % id_]}
    return docs


def load(st, key, files_):
    """Make the project's tracked documents what `files_` say (variables: the standard ones; local ones kept)."""
    wanted = _docs(key, files_)
    with st.transaction():
        for kind in TRACKED_KINDS[2:]:
            for id_ in st.ids(kind, key):
                if (kind, key, id_) not in wanted:
                    st.delete(kind, key, id_)
        for (kind, scope, id_), doc in wanted.items():
            if st.get(kind, scope, id_) != doc:
                st.put(kind, scope, id_, doc)
        if "variables.json" in files_:
            variables = st.get("variables", key, "variables") or {"standard": {}, "local": {}}
            standard = json.loads(files_["variables.json"]).get("standard") or {}
            if variables.get("standard") != standard:
                st.put("variables", key, "variables", dict(variables, standard=standard))
