"""Monitoring endpoints outside the public API, that health checks and older CI scripts call first:
GET /dip/api/ping and GET /dip/api/get-configuration. DSS answers both without authentication (the UI bootstraps
from get-configuration); a presented API key is ignored. Scripts only check for HTTP 200 (and JSON)."""

from flask import Blueprint, current_app, jsonify

from ..app import DSS_VERSION
from ..web import node_type

URL_PREFIX = "/dip/api"
bp = Blueprint("monitoring", __name__)


@bp.get("/ping")
def ping():
    return jsonify({"ok": True})  # [INF] body: scripts read the status code only


@bp.get("/get-configuration")
def get_configuration():
    """[INF] a small subset of the UI bootstrap document: version, node identity, not logged in."""
    return jsonify({"version": {"product_version": DSS_VERSION, "conf_version": DSS_VERSION},
                    "dssVersion": DSS_VERSION, "nodeType": node_type(), "nodeId": current_app.config["NODE_ID"],
                    "loggedIn": False, "authenticated": False})
