"""Bundle archives as blobs of the store, and bundle documents as the API shows them.

Uploads never sit in memory: the multipart body is parsed from the request stream (web.spool_upload) and the file
part is written chunk by chunk into a hidden temp file of the blob directory while its sha256 is computed. A temp file becomes a
blob (renamed to its sha256) only once the archive has been validated, and is removed on any failure, so a refused
upload leaves nothing behind (hidden temp names are not part of the state digest).
"""

import hashlib
import os
import re
import shutil
import tempfile

from .errors import CODED_IO, ILLEGAL_STATE, DSSError, bad_request
from .node import current, node_type, store

CHUNK = 1024 * 1024
BUNDLE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_INTERNAL = ("archive",)  # document fields that are ours, not DSS's


class Spool:
    """A writable temp file in the blob dir that hashes what is written (also a werkzeug stream_factory result)."""

    def __init__(self, blob_dir, durable=True):
        fd, self.path = tempfile.mkstemp(dir=blob_dir, prefix=".upload-")
        self._durable = durable
        self._fp = os.fdopen(fd, "w+b")
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self._sha.update(data)
        self.size += len(data)
        return self._fp.write(data)

    def seek(self, *args):
        return self._fp.seek(*args)

    def read(self, *args):
        return self._fp.read(*args)

    def tell(self):
        return self._fp.tell()

    def flush(self):
        return self._fp.flush()

    def close(self):
        if not self._fp.closed:
            self._fp.flush()
            if self._durable:
                os.fsync(self._fp.fileno())
            self._fp.close()

    @property
    def sha256(self):
        return self._sha.hexdigest()

    def discard(self):
        self.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def new_spool():
    return Spool(store().blob_dir, store().durable)


NODE_FS = "fs"  # with --confine-paths, <data-dir>/fs stands for the node's filesystem (server-side paths)
CONFINE_ENV = "DSS_EMULATOR_CONFINE_PATHS"  # default of --confine-paths


def node_fs_root():
    return os.path.join(store().data_dir, NODE_FS)


def node_file(path):
    """A server-side path as the node reads it: like DSS, any file of this host; with --confine-paths (a shared
    machine) only files under <data-dir>/fs, any other path being refused as a file missing on the node."""
    if not current().confine_paths:
        if not os.path.isfile(path):
            raise DSSError("Cannot read archive %s: No such file on the node" % path, CODED_IO, 400)
        return os.path.abspath(path)
    root = os.path.realpath(node_fs_root())
    real = os.path.realpath(path)
    if not os.path.isabs(path) or os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        raise DSSError("Cannot read archive %s: No such file on the node (server-side paths are read on the DSS "
                       "node; this emulated node, run with --confine-paths, reads only under %s)" % (path, root),
                       CODED_IO, 400)
    return real


def spool_file(path):
    """Copy a server-side archive into a spool (importFromArchive / fromArchive)."""
    spool = new_spool()
    try:
        with open(path, "rb") as src:
            shutil.copyfileobj(src, spool, CHUNK)
    except OSError as exc:
        spool.discard()
        raise DSSError("Cannot read archive %s: %s" % (path, exc.strerror or exc),
                       "com.dataiku.dip.exceptions.CodedIOException", 400) from exc
    spool.close()
    return spool


def keep_spool(spool):
    """Turn a validated spool into the blob named by its sha256; returns True when the blob is new."""
    target = store().blob_path(spool.sha256)
    if os.path.exists(target):
        spool.discard()
        return False
    os.replace(spool.path, target)
    return True


def blob_in_use(sha, ignore=None):
    """Whether any bundle document of this node still names the blob (blobs are shared by equal archives)."""
    st = store()
    for key in st.ids("project", ""):
        for kind in ("exported_bundle", "imported_bundle"):
            for doc in st.list(kind, key):
                if (kind, key, doc.get("bundleId")) != ignore and (doc.get("archive") or {}).get("sha256") == sha:
                    return True
    # Bundles published on this node's Project Deployer share the archive blob of the exported bundle.
    return any((doc.get("archive") or {}).get("sha256") == sha
               for key in st.ids("pd_project", "") for doc in st.list("pd_bundle", key))


def archive_shas(key):
    """Blobs named by a project's bundles: read them before deleting a project, then drop_blob each after."""
    st = store()
    return {(d.get("archive") or {}).get("sha256") for kind in ("exported_bundle", "imported_bundle")
            for d in st.list(kind, key)} - {None}


def drop_blob(sha, ignore=None):
    """Delete an archive blob no bundle names any more. Callers drop it after committing the deletion of the doc
    (a crash leaves an orphan, never a dangling reference); the check and the unlink run under the store lock so a
    concurrent import of the same archive cannot slip in between."""
    if not sha:
        return
    with store().transaction():
        if not blob_in_use(sha, ignore):
            path = store().blob_path(sha)
            if os.path.exists(path):
                os.unlink(path)


def public_view(doc):
    """A bundle document as the API lists it (without the emulator's bookkeeping)."""
    return {k: v for k, v in doc.items() if k not in _INTERNAL}


def require_node(expected, what):
    """DSS serves design-side bundle calls only on design nodes and vice versa [INF: exact error]."""
    if node_type() != expected:
        raise DSSError("%s is not available on a%s %s node" % (what, "n" if node_type() == "AUTOMATION" else "",
                                                               node_type().title()), ILLEGAL_STATE, 400)


def check_bundle_id(bundle_id):
    if not isinstance(bundle_id, str) or not BUNDLE_ID_RE.match(bundle_id):
        raise bad_request("Invalid bundle id '%s': use letters, digits, '_', '.' and '-'" % bundle_id)
