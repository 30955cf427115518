"""Copies of one project's state under other keys, written straight into a stopped emulator node's data dir.

Making 1,000 projects converged through the public API (export, import, activate and a test run each) takes far
longer than the scale benchmark should; cloning a project that a real promotion left converged gives the same state
under each new key: every document of the project (project, settings, variables, imported or exported bundles,
active bundle, scenario runs that make its test record, ...) with the key replaced, and its directories (project
git repository, dataset files). Bundle archives are content-addressed blobs and stay shared with the source project:
only a download or a re-import of a clone's bundle would see the source's key inside the archive.
"""

import os
import shutil
import sqlite3


def clone_project(node, source_key, new_keys):
    """Stop ``node`` (tests.support.emulator.EmulatorNode), copy ``source_key`` to every key of ``new_keys``, start
    it again. Keys must be new on the node and must not occur inside the source's other strings."""
    node.stop()
    try:
        _copy_documents(os.path.join(node.data_dir, "state.sqlite3"), source_key, new_keys)
        _copy_directories(node.data_dir, source_key, new_keys)
    finally:
        node.start()


def _copy_documents(db_path, source_key, new_keys):
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        # The project document (instance-level, id = key) and the project's content (scope = key), in list order.
        rows = db.execute("SELECT kind, scope, id, body FROM docs WHERE (scope = '' AND kind = 'project' AND id = ?)"
                          " OR scope = ? ORDER BY seq", (source_key, source_key)).fetchall()
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM docs").fetchone()[0]
        for key in new_keys:
            for kind, scope, id_, body in rows:
                seq += 1
                db.execute("INSERT INTO docs (kind, scope, id, seq, body) VALUES (?, ?, ?, ?, ?)",
                           (kind, key if scope else "", id_.replace(source_key, key), seq,
                            body.replace(source_key, key)))
        db.execute("COMMIT")
    finally:
        db.close()


def _copy_directories(data_dir, source_key, new_keys):
    """<data dir>/<area>/<source key> (git repository, dataset files, ...) to <area>/<new key>."""
    for area in os.listdir(data_dir):
        source = os.path.join(data_dir, area, source_key)
        if os.path.isdir(source):
            for key in new_keys:
                shutil.copytree(source, os.path.join(data_dir, area, key), symlinks=True)
