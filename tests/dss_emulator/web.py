"""Request helpers shared by the route modules."""

import json
from datetime import datetime, timezone

from flask import current_app, g, request

from errors import bad_request, unknown_project
from python_process import NodeContext


def store():
    return current_app.config["STORE"]


def node_type():
    return current_app.config["NODE_TYPE"]


def body_json(default=None):
    """dataikuapi sends JSON bodies without Content-Type: parse the raw body whatever the headers say."""
    raw = request.get_data(cache=True)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request("Invalid JSON body: %s" % exc) from exc


def qbool(name, default=False):
    """Query booleans arrive as True/False (Python str()), sometimes true/false."""
    value = request.args.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")


def now_iso():
    """DSS date format: yyyy-MM-ddTHH:mm:ss.SSS+0000."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (now.microsecond // 1000)


def now_ms():
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def require_project(key):
    project = store().get("project", "", key)
    if project is None:
        raise unknown_project(key)
    return project


def current_user():
    return "admin"


def node_context(token=None):
    """What code run for this request needs: this node's URL as the client reached it, the caller's API key."""
    return NodeContext(request.host_url.rstrip("/"), g.api_key, current_app.config["DATA_DIR"], token)
