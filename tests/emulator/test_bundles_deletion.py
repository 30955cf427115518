"""Deleting a project takes its bundle archives with it: afterwards the node's state is the state of a node that
never had the project (the one trace left is the deletion's own task record, a future, which the tests remove
before comparing). An archive blob still named by another project's bundle stays."""

import os
import sqlite3

from tests.emulator.bundles_helpers import blob_files, seed_design_project


def _forget_future(node, job_id):
    """Remove a finished task's record (its `future` document and its tick of the job counter), node stopped.
    Job ids are `emu-NNNNNN` from the persistent counter `future` (future_store.py)."""
    number = int(job_id.rsplit("-", 1)[1])
    node.stop()
    db = sqlite3.connect(os.path.join(node.data_dir, "state.sqlite3"))
    try:
        with db:
            assert db.execute("DELETE FROM docs WHERE kind='future' AND id=?", (job_id,)).rowcount == 1
            if number == 1:
                db.execute("DELETE FROM meta WHERE name='future'")
            else:
                db.execute("UPDATE meta SET value=? WHERE name='future'", (str(number - 1),))
    finally:
        db.close()
    node.start()


def _with_pg_dev(node):
    """The connection the seeded project uses: instance-level, so it must exist before the baseline is taken."""
    client = node.client()
    if "pg_dev" not in client.list_connections():
        client.create_connection("pg_dev", "PostgreSQL", {"host": "db"})


def _delete(node, key):
    future = node.client().get_project(key).delete()
    assert future.wait_for_result()["error"] is False
    return future.job_id


def test_deleting_an_exporting_project_restores_the_state(design):
    _with_pg_dev(design)
    before, blobs = design.digest(), blob_files(design)
    project = seed_design_project(design.client(), "DEL_EXPORTS")
    project.export_bundle("v1")
    project.update_variables({"stage": "dev2"}, "standard")
    project.export_bundle("v2")
    assert len(blob_files(design)) == len(blobs) + 2

    job_id = _delete(design, "DEL_EXPORTS")
    assert blob_files(design) == blobs
    _forget_future(design, job_id)
    assert design.digest() == before


def test_a_blob_shared_with_another_project_survives(design, automation, tmp_path):
    dproject = seed_design_project(design.client(), "DEL_SHARED")
    dproject.export_bundle("v1")
    path = tmp_path / "v1.zip"
    dproject.download_exported_bundle_archive_to_file("v1", str(path))

    _with_pg_dev(automation)
    before, blobs = automation.digest(), blob_files(automation)
    aclient = automation.client()
    with open(path, "rb") as fp:
        aclient.create_project_from_bundle_archive(fp)  # project DEL_SHARED
    other = aclient.create_project("DEL_OTHER", "Other", "admin")
    with open(path, "rb") as fp:
        other.import_bundle_from_stream(fp)  # same archive, same blob
    assert len(blob_files(automation)) == len(blobs) + 1

    first = _delete(automation, "DEL_SHARED")
    assert len(blob_files(automation)) == len(blobs) + 1
    assert other.activate_bundle("v1")["result"]["error"] is False  # activation reads the archive: still there
    assert [d["name"] for d in other.list_datasets()] == ["customers", "scored"]

    second = _delete(automation, "DEL_OTHER")
    assert blob_files(automation) == blobs
    _forget_future(automation, second)
    _forget_future(automation, first)
    assert automation.digest() == before
