"""Instance-level read calls: /instance-info and /auth/info."""

from flask import Blueprint, current_app, jsonify

from ..web import current_user, node_type

bp = Blueprint("instance", __name__)


@bp.get("/instance-info")
def instance_info():
    return jsonify({
        "nodeId": current_app.config["NODE_ID"],
        "nodeName": current_app.config["NODE_ID"],
        "nodeType": node_type(),
        "dssVersion": "15.2.0",
        "dataDirPath": current_app.config["DATA_DIR"],
    })


@bp.get("/auth/info")
def auth_info():
    return jsonify({"authIdentifier": current_user(), "groups": ["administrators"], "userProfile": "DESIGNER",
                    "via": ["API_KEY"]})
