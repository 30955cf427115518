"""Latency profile (`--latency-scale S`): the slow DSS operations answer after a typical duration times S.

The durations and where they come from are in docs/emulator.md ("Latency profile"). S = 0 (the default) adds
nothing. The delay is spent before the request is handled, in the request's own thread (the server is threaded,
so other requests are not held up); a scenario run's delay is spent on the request that starts it.
`POST /__emulator__/latency {"scale": S}` (emulator only) changes the scale of a running node: a test slows the node
down only for the run it wants to interrupt; a request already waiting keeps its delay.
"""

import re
import time

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("latency", __name__)

# (method, path pattern after the API prefix, typical seconds on a real node)
TYPICAL_SECONDS = (
    ("PUT", re.compile(r"^/projects/[^/]+/bundles/exported/[^/]+$"), 20.0),          # export
    ("POST", re.compile(r"^/projects/[^/]+/bundles/imported/actions/importFrom"), 10.0),  # import
    ("POST", re.compile(r"^/projectsFromBundle"), 10.0),                               # import (first deployment)
    ("POST", re.compile(r"^/projects/[^/]+/bundles/imported/[^/]+/actions/preload$"), 5.0),
    ("POST", re.compile(r"^/projects/[^/]+/bundles/imported/[^/]+/actions/activate$"), 10.0),
    ("POST", re.compile(r"^/projects/[^/]+/scenarios/[^/]+/run$"), 30.0),              # a test scenario run
)


def typical_seconds(method, path):
    """The typical duration of the request, 0 for the fast ones."""
    for verb, pattern, seconds in TYPICAL_SECONDS:
        if method == verb and pattern.match(path):
            return seconds
    return 0.0


@bp.before_app_request
def _delay():
    scale = current_app.config.get("LATENCY_SCALE") or 0.0
    if scale <= 0 or not request.environ.get("dss.api"):
        return None
    path = request.path.split("/dip/publicapi", 1)[-1].rstrip("/")
    seconds = typical_seconds(request.method, path)
    if seconds:
        time.sleep(seconds * scale)
    return None


def _set_scale():
    scale = (request.get_json(force=True, silent=True) or {}).get("scale")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale < 0:
        return jsonify({"error": "give {\"scale\": S} with S a number >= 0"}), 400
    current_app.config["LATENCY_SCALE"] = float(scale)
    return jsonify({"scale": float(scale)})


@bp.record_once
def _mount_control(state):
    # On the app itself: blueprint routes live under the DSS API prefix (and its authentication).
    state.app.add_url_rule("/__emulator__/latency", "latency_control", _set_scale, methods=["POST"])
