# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streamed bundle transfers: multipart uploads, downloads with sha256, and bundle archive inspection.

Bundles can be gigabytes. Nothing here holds more than one chunk (1 MiB) of an archive in memory: uploads are
generated part by part, downloads are hashed and written as they arrive, and archive checks read only the zip
central directory and the small ``export-manifest.json`` member.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
import zipfile

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import shown

CHUNK_SIZE = 1024 * 1024
MANIFEST = "export-manifest.json"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# A member that inflates more than MAX_RATIO times (zip bomb) is refused once it is over RATIO_FLOOR_BYTES
# uncompressed; real bundle content (code, JSON, CSV samples) stays far below this ratio.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 16 * 1024 * 1024


class BundleArchiveError(Exception):
    """The file is not a usable DSS bundle archive (the message says why)."""


# -- chunk sources --------------------------------------------------------------------------------------------

def file_chunks(path, chunk_size=CHUNK_SIZE):
    """Yield the content of ``path`` in chunks."""
    with open(path, "rb") as stream:
        while True:
            chunk = stream.read(chunk_size)
            if not chunk:
                return
            yield chunk


def response_chunks(response, chunk_size=CHUNK_SIZE):
    """Yield the body of a streamed ``requests`` response in chunks, closing it at the end."""
    try:
        for chunk in response.iter_content(chunk_size=chunk_size):
            if chunk:
                yield chunk
    finally:
        response.close()


def response_length(response):
    """The byte length ``iter_content`` will yield, or None when unknown.

    With a Content-Encoding (gzip...) requests decodes on the fly, so Content-Length is not the length we forward.
    """
    headers = response.headers
    if headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        return None
    try:
        length = int(headers.get("Content-Length"))
    except (TypeError, ValueError):
        return None
    return length if length >= 0 else None


# -- multipart upload ---------------------------------------------------------------------------------------------

class _SizedBody:
    """An iterable request body with a known length, so requests sends Content-Length instead of chunked encoding."""

    def __init__(self, parts, length):
        self._parts = parts
        self._length = length

    def __iter__(self):
        return iter(self._parts)

    def __len__(self):
        return self._length


class MultipartBody:
    """A ``multipart/form-data`` body with one part (field ``file``) whose content comes from ``chunks``.

    It is what ``requests`` builds for ``files={"file": fp}`` (the form dataikuapi uses and DSS expects), but
    generated lazily. ``sent`` counts the archive bytes consumed so far.
    """

    def __init__(self, chunks, filename, size=None, field="file"):
        self.boundary = "dssgitops-%s" % uuid.uuid4().hex
        safe_name = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        self._head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n\r\n'
                      % (self.boundary, field, safe_name)).encode("utf-8")
        self._tail = ("\r\n--%s--\r\n" % self.boundary).encode("ascii")
        self._chunks = chunks
        self.size = size
        self.sent = 0

    @property
    def content_type(self):
        return "multipart/form-data; boundary=%s" % self.boundary

    def _parts(self):
        yield self._head
        for chunk in self._chunks:
            self.sent += len(chunk)
            yield chunk
        if self.size is not None and self.sent != self.size:
            # The declared Content-Length would be wrong: stop rather than send a truncated or overlong body.
            raise BundleArchiveError("the archive stream gave %d bytes instead of the %d announced"
                                     % (self.sent, self.size))
        yield self._tail

    def body(self):
        """The request body: sized (Content-Length) when the archive size is known, else a generator (chunked)."""
        if self.size is None:
            return self._parts()
        return _SizedBody(self._parts(), len(self._head) + self.size + len(self._tail))


def upload_multipart(client, path, chunks, filename, size=None, params=None):
    """POST ``chunks`` as a multipart ``file`` part to ``path`` through the client's own transport.

    dataikuapi's ``import_bundle_from_stream`` / ``create_project_from_bundle_archive`` pass ``files=`` to requests,
    which builds the whole multipart body in memory (a 1 GiB bundle costs over 1 GiB of RAM). Going through
    ``client._perform_http`` with a generated body keeps the client's authentication, TLS settings, timeout adapter
    and DSS error handling while memory stays at one chunk. Returns (response, bytes of archive sent).
    """
    multipart = MultipartBody(chunks, filename, size)
    headers = {"Content-Type": multipart.content_type}
    response = client._perform_http("POST", path, params=params, raw_body=multipart.body(), headers=headers)
    return response, multipart.sent


# -- download -----------------------------------------------------------------------------------------------------

def exported_archive_response(client, project_key, bundle_id):
    """The streamed response of ``GET /projects/K/bundles/exported/ID/archive`` (the caller consumes and closes it)."""
    return client._perform_raw("GET", "/projects/%s/bundles/exported/%s/archive" % (project_key, bundle_id))


def download_to_file(chunks, dest):
    """Write ``chunks`` to ``dest`` atomically (temp file in the same directory, then rename).

    Returns (sha256 hex, size). On any error the temp file is removed and ``dest`` is left untouched.
    """
    directory = os.path.dirname(os.path.abspath(dest)) or "."
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest.hexdigest(), size


def sha256_file(path):
    digest = hashlib.sha256()
    for chunk in file_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


# -- archive inspection -------------------------------------------------------------------------------------------

def read_manifest(path):
    """The parsed ``export-manifest.json`` of the bundle archive at ``path``; BundleArchiveError if unusable."""
    if not os.path.isfile(path):
        raise BundleArchiveError("%s does not exist or is not a regular file" % path)
    try:
        with zipfile.ZipFile(path) as archive:
            check_members(archive.infolist(), path)
            names = archive.namelist()
            member = MANIFEST if MANIFEST in names else _nested_manifest(names)
            if member is None:
                raise BundleArchiveError("%s is a zip file but has no %s: it is not a DSS bundle archive" % (path, MANIFEST))
            info = archive.getinfo(member)
            if info.file_size > _MAX_MANIFEST_BYTES:
                raise BundleArchiveError("%s in %s is implausibly large (%d bytes)" % (member, path, info.file_size))
            raw = archive.read(member)
    except zipfile.BadZipFile as exc:
        raise BundleArchiveError("%s is not a valid zip archive (%s): it is not a DSS bundle archive" % (path, exc)) from exc
    except (OSError, RuntimeError, NotImplementedError, zipfile.LargeZipFile) as exc:
        raise BundleArchiveError("cannot read %s as a zip archive: %s" % (path, exc)) from exc
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise BundleArchiveError("%s in %s is not valid JSON: %s" % (member, path, exc)) from exc
    if not isinstance(manifest, dict):
        raise BundleArchiveError("%s in %s is not a JSON object" % (member, path))
    return manifest


def unsafe_member_name(name):
    """True for a member name that would be written outside the extraction directory: absolute (``/x``, ``\\x``,
    ``C:x``) or with a ``..`` component."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.replace("\\", "/").split("/")


def check_members(infos, path):
    """Raise BundleArchiveError for an archive DSS must not be given: unsafe member names, or members (or a
    total) that inflate implausibly (a zip bomb). Reads only the central directory."""
    total = 0
    for info in infos:
        if unsafe_member_name(info.filename):
            raise BundleArchiveError("%s has a member with an unsafe name, %s (absolute or containing '..'): it would be "
                                     "written outside the project when extracted" % (path, shown(info.filename)))
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleArchiveError("%s has a member, %s, that inflates from %d to %d bytes (more than %d times): "
                                     "refusing an archive that looks like a zip bomb"
                                     % (path, shown(info.filename), info.compress_size, info.file_size, MAX_RATIO))
    size = os.path.getsize(path)
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(size, 1):
        raise BundleArchiveError("%s inflates from %d to %d bytes (more than %d times): refusing an archive that looks "
                                 "like a zip bomb" % (path, size, total, MAX_RATIO))


def _nested_manifest(names):
    """Some tools zip a bundle inside one top-level directory: accept ``<dir>/export-manifest.json``."""
    nested = [n for n in names if n.count("/") == 1 and n.endswith("/" + MANIFEST)]
    return nested[0] if len(nested) == 1 else None


def _export_user_info(manifest):
    info = manifest.get("exportUserInfo")
    return info if isinstance(info, dict) else {}


def manifest_bundle_id(manifest):
    """The bundle id recorded in a manifest, or None. Where DSS stores it is not documented [INF]: look in the
    places a bundle manifest plausibly has it (top level, exportUserInfo, bundle)."""
    for holder in (manifest, _export_user_info(manifest), manifest.get("bundle") if isinstance(manifest.get("bundle"), dict) else {}):
        value = holder.get("bundleId")
        if isinstance(value, str) and value:
            return value
    return None


def manifest_project_key(manifest):
    value = manifest.get("originalProjectKey")
    return value if isinstance(value, str) and value else None


def manifest_exported_on(manifest):
    return _export_user_info(manifest).get("exportedOn")


def same_export(local_manifest, server_manifest, bundle_id):
    """True when a local archive's manifest is the one of the server's bundle ``bundle_id``.

    DSS exposes no checksum of an exported bundle. A bundle id is immutable once exported (re-exporting it is an
    error), so (bundle id, original project key, export date) identifies one export: a deleted and re-exported id
    gets a new export date. Every part must be present on both sides; anything missing means "not the same".
    """
    if not isinstance(server_manifest, dict):
        return False
    local_id = manifest_bundle_id(local_manifest)
    server_id = manifest_bundle_id(server_manifest) or bundle_id
    if local_id != bundle_id or server_id != bundle_id:
        return False
    keys = (manifest_project_key(local_manifest), manifest_project_key(server_manifest))
    dates = (manifest_exported_on(local_manifest), manifest_exported_on(server_manifest))
    return None not in keys and None not in dates and keys[0] == keys[1] and dates[0] == dates[1]
