"""Persistent state of one emulated DSS node: JSON documents in SQLite plus content-addressed blob files.

Every write commits before the HTTP answer is sent (WAL, synchronous=FULL), so a restart, even after kill -9,
loses nothing that was acknowledged. Blobs are fsynced and renamed into place before the row that names them
is committed.
"""

import hashlib
import json
import os
import re
import sqlite3
import tempfile
import threading
from contextlib import contextmanager

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind  TEXT NOT NULL,      -- 'project', 'dataset', 'connection', 'exported_bundle', ...
    scope TEXT NOT NULL,      -- project key for project content, '' for instance-level objects
    id    TEXT NOT NULL,
    seq   INTEGER NOT NULL,   -- insertion order, kept on update (DSS lists imported bundles in import order)
    body  TEXT NOT NULL,      -- canonical JSON (sorted keys) so equal states hash equally
    PRIMARY KEY (kind, scope, id)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

CHUNK = 1024 * 1024


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def rewriter(replace):
    """A function that replaces, in one pass, every key of ``replace`` ({old: new}) found in a text by its value.
    A key followed by a letter, digit or underscore is not replaced (``http://h:1234`` is no part of
    ``http://h:12345``), and a replacement is never replaced again (so two nodes may swap ports)."""
    if not replace:
        return lambda text: text
    pattern = re.compile("(?:%s)(?!\\w)" % "|".join(re.escape(old) for old in sorted(replace, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda match: replace[match.group(0)], text)


class Store:
    def __init__(self, data_dir, durable=True):
        """``durable=False`` skips the fsyncs (synchronous=OFF, blobs not synced): for throw-away state such as the
        in-process nodes of unit tests, where a crash loses nothing that matters and fsync dominates the time."""
        self.data_dir = os.path.abspath(data_dir)
        self.durable = durable
        self.blob_dir = os.path.join(self.data_dir, "blobs")
        os.makedirs(self.blob_dir, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(os.path.join(self.data_dir, "state.sqlite3"), check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=%s" % ("FULL" if durable else "OFF"))
        self._db.executescript(_SCHEMA)
        self._in_tx = 0
        # Hooks of other state kept in the data dir (project git repositories): after_commit(touched) runs after
        # each committed transaction with the (kind, scope, id) it wrote, still under the store lock;
        # extra_digest() adds that state to digest().
        self.after_commit = None
        self.extra_digest = None
        self._touched = set()

    def close(self):
        with self._lock:
            self._db.close()

    def clear(self):
        """Forget everything: documents, counters, first-time marks and blobs (Node.reset)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM meta")
            self._db.execute("COMMIT")
            for name in os.listdir(self.blob_dir):
                os.unlink(os.path.join(self.blob_dir, name))

    @contextmanager
    def transaction(self):
        """Group several writes atomically; nested use joins the outer transaction."""
        with self._lock:
            if self._in_tx == 0:
                self._db.execute("BEGIN IMMEDIATE")
            self._in_tx += 1
            try:
                yield self
            except BaseException:
                self._in_tx -= 1
                if self._in_tx == 0:
                    self._db.execute("ROLLBACK")
                    self._touched = set()
                raise
            self._in_tx -= 1
            if self._in_tx == 0:
                self._db.execute("COMMIT")
                touched, self._touched = self._touched, set()
                if touched and self.after_commit:
                    self.after_commit(touched)

    @contextmanager
    def locked(self):
        """Hold the store lock: no write (nor its after_commit hook) runs meanwhile (Node.snapshot/restore)."""
        with self._lock:
            yield self

    def backup(self, path):
        """Copy every document and counter into a new SQLite file at ``path`` (SQLite's online backup API)."""
        with self._lock:
            target = sqlite3.connect(path)
            try:
                self._db.backup(target)
            finally:
                target.close()

    def load(self, path, replace=None):
        """Replace every document and counter by those of the SQLite file ``path`` (written by backup()), in one
        transaction; each document body has every key of ``replace`` ({old: new}) replaced by its value. The blobs
        are the caller's. Runs no after_commit hook."""
        rewrite = rewriter(replace)
        source = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            docs = source.execute("SELECT kind, scope, id, seq, body FROM docs").fetchall()
            meta = source.execute("SELECT name, value FROM meta").fetchall()
        finally:
            source.close()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM docs")
                self._db.execute("DELETE FROM meta")
                self._db.executemany("INSERT INTO docs (kind, scope, id, seq, body) VALUES (?, ?, ?, ?, ?)",
                                     [(kind, scope, id_, seq, rewrite(body)) for kind, scope, id_, seq, body in docs])
                self._db.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", meta)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- documents ------------------------------------------------------------------------------------------

    def get(self, kind, scope, id_):
        with self._lock:
            row = self._db.execute("SELECT body FROM docs WHERE kind=? AND scope=? AND id=?",
                                   (kind, scope, id_)).fetchone()
        return json.loads(row[0]) if row else None

    def list(self, kind, scope=""):
        """Documents of a kind in insertion order."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM docs WHERE kind=? AND scope=? ORDER BY seq",
                                    (kind, scope)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def ids(self, kind, scope=""):
        with self._lock:
            rows = self._db.execute("SELECT id FROM docs WHERE kind=? AND scope=? ORDER BY seq",
                                    (kind, scope)).fetchall()
        return [r[0] for r in rows]

    def put(self, kind, scope, id_, body):
        """Insert or replace; an update keeps the original position in lists."""
        with self.transaction():
            self._touched.add((kind, scope, id_))
            cur = self._db.execute("UPDATE docs SET body=? WHERE kind=? AND scope=? AND id=?",
                                   (canonical(body), kind, scope, id_))
            if cur.rowcount == 0:
                seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs").fetchone()[0]
                self._db.execute("INSERT INTO docs (kind, scope, id, seq, body) VALUES (?, ?, ?, ?, ?)",
                                 (kind, scope, id_, seq, canonical(body)))
        return body

    def delete(self, kind, scope, id_):
        with self.transaction():
            self._touched.add((kind, scope, id_))
            cur = self._db.execute("DELETE FROM docs WHERE kind=? AND scope=? AND id=?", (kind, scope, id_))
        return cur.rowcount > 0

    def delete_scope(self, scope):
        """Drop all content of a project (datasets, recipes, scenarios, bundles...)."""
        with self.transaction():
            self._touched.add((None, scope, None))
            self._db.execute("DELETE FROM docs WHERE scope=?", (scope,))

    def next_number(self, name):
        """A persistent counter (future ids, run ids...)."""
        with self.transaction():
            row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
            value = int(row[0]) + 1 if row else 1
            self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, str(value)))
        return value

    def first_time(self, name):
        """True exactly once per data dir for `name` (one-off initialisation such as seeding a fresh node);
        later calls write nothing, so restarts leave the state digest unchanged."""
        with self.transaction():
            if self._db.execute("SELECT 1 FROM meta WHERE name=?", (name,)).fetchone():
                return False
            self._db.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, "done"))
        return True

    # -- blobs ------------------------------------------------------------------------------------------------

    def save_blob(self, stream):
        """Copy a binary stream to a content-addressed file, chunk by chunk; returns (sha256, size)."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                if self.durable:
                    os.fsync(out.fileno())
            sha = digest.hexdigest()
            os.replace(tmp, self.blob_path(sha))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return sha, size

    def save_blob_bytes(self, data):
        import io
        return self.save_blob(io.BytesIO(data))

    def blob_path(self, sha):
        return os.path.join(self.blob_dir, sha)

    # -- inspection -------------------------------------------------------------------------------------------

    def digest(self):
        """Hash of the whole persistent state: every document (with its order) and the blobs they can name."""
        h = hashlib.sha256()
        with self._lock:
            for row in self._db.execute("SELECT kind, scope, id, seq, body FROM docs ORDER BY kind, scope, id"):
                h.update(canonical(list(row)).encode())
                h.update(b"\n")
            for row in self._db.execute("SELECT name, value FROM meta ORDER BY name"):
                h.update(canonical(list(row)).encode())
            blobs = sorted(n for n in os.listdir(self.blob_dir) if not n.startswith("."))
            if self.extra_digest:
                h.update(canonical(self.extra_digest()).encode())
        h.update(canonical(blobs).encode())  # blob names are their sha256, so names stand for content
        return h.hexdigest()
