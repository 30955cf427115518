"""Latency profile (`--latency-scale S`): the slow DSS operations answer after a typical duration times S.

The durations and where they come from are in docs/emulator.md ("Latency profile"). S = 0 (the default) adds
nothing. The delay is spent before the request is handled, in the request's own thread (the server is threaded,
so other requests are not held up); a scenario run's delay is spent on the request that starts it.
"""

import re
import time

from flask import Blueprint, current_app, request

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
