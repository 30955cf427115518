"""Request helpers shared by the route modules (the Flask side); the node's state helpers come from node.py and
are re-exported here for the routes."""

import json

from flask import g, request
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from .bundle_store import CHUNK, new_spool
from .errors import bad_request
from .node import (current, current_user, node_type, now_iso, now_ms,  # noqa: F401  pylint: disable=unused-import
                   require_project, store)
from .python_process import NodeContext


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


def node_context(token=None):
    """What code run for this request needs: this node's URL as the client reached it, the caller's API key."""
    return NodeContext(request.host_url.rstrip("/"), g.api_key, current().data_dir, token)


def spool_upload(field="file"):
    """Parse a multipart request body (Content-Length or chunked) and spool its `field` file part to disk."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary", "").encode("latin-1")
    if mimetype != "multipart/form-data" or not boundary:
        drain()
        raise bad_request("Expected a multipart/form-data upload with a '%s' file part" % field)
    spools = []

    def factory(**_kwargs):
        spool = new_spool()
        spools.append(spool)
        return spool

    # The memory limit also caps the decoder's buffer (leftover + one read), so it must exceed buffer_size.
    parser = MultiPartParser(stream_factory=factory, max_form_memory_size=8 * CHUNK, buffer_size=CHUNK // 2)
    try:
        _form, files = parser.parse(request.stream, boundary, request.content_length)
    except BaseException as exc:  # a failed upload (disconnect, bad body, full disk...) leaves no temp file
        for spool in spools:
            spool.discard()
        if isinstance(exc, (ValueError, OSError, HTTPException)):
            raise bad_request("Invalid multipart upload: %s" % exc) from exc
        raise
    wanted = files.get(field)
    for spool in spools:
        if wanted is None or spool is not wanted.stream:
            spool.discard()
    if wanted is None:
        raise bad_request("No file uploaded: expected a multipart part named '%s'" % field)
    wanted.stream.close()
    return wanted.stream


def drain():
    """Consume an unread request body so the client gets our error answer, not a reset connection."""
    stream = request.stream
    while stream.read(CHUNK):
        pass
