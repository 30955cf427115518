"""Connections: /admin/connections CRUD and /connections/get-names (client: dataikuapi/dss/admin.py); the model is
connection_model.py.

A fresh node gets the connection every DSS has, `filesystem_managed` (type Filesystem), once: deleting it later
is remembered across restarts.
"""

from flask import Blueprint, jsonify, request

from .. import connection_model as model
from ..connection_model import get_connection, redacted, seed_default_connection
from ..node import activated
from ..web import body_json, store

bp = Blueprint("connections", __name__)


def _seed(state):
    node = state.app.config["NODE"]
    node.on_reset.append(seed_default_connection)
    with activated(node):
        seed_default_connection()


bp.record_once(_seed)


@bp.get("/admin/connections")
def list_connections():
    return jsonify({c["name"]: redacted(c) for c in store().list("connection")})


@bp.post("/admin/connections")
def create_connection():
    return jsonify(redacted(model.create(body_json({}))))


@bp.get("/admin/connections/<name>")
def get_definition(name):
    return jsonify(redacted(get_connection(name)))


@bp.put("/admin/connections/<name>")
def save_definition(name):
    # dataikuapi parses this answer as JSON (an empty 200 crashes settings.save()).
    return jsonify(redacted(model.save(name, body_json({}))))


@bp.delete("/admin/connections/<name>")
def delete_connection(name):
    model.delete(name)
    return jsonify({})


@bp.get("/connections/get-names")
def connection_names():
    return jsonify(model.names(request.args.get("type") or "all"))
