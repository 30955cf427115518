"""Futures: finished futures stay queryable, unknown ids and failed futures are HTTP errors."""

import threading

import pytest
from dataikuapi.utils import DataikuException

from tests.emulator.conftest import seed_docs


def _finished_future(client, key):
    client.create_project(key, "n", "admin")
    return client.get_project(key).delete(wait=False)


def test_finished_future_is_queryable_many_times(client):
    future = _finished_future(client, "FUT_A")
    handle = client.get_future(future.job_id)
    for _attempt in range(3):
        state = handle.get_state()
        assert state["hasResult"] is True and state["alive"] is False and state["jobId"] == future.job_id
    assert handle.peek_state()["hasResult"] is True
    assert handle.get_result()["error"] is False
    handle.abort()  # a no-op on a finished task
    assert handle.get_state()["hasResult"] is True


def test_list_contains_job_ids(client):
    future = _finished_future(client, "FUT_B")
    listed = client.list_futures()
    assert future.job_id in [f["jobId"] for f in listed]
    assert client.list_running_scenarios() == []
    assert future.job_id in [f.job_id for f in client.list_futures(as_objects=True)]


def test_unknown_future_is_a_dss_error(client):
    with pytest.raises(DataikuException, match=r"^com\.dataiku\.dip\.server\.controllers\.NotFoundException: Future nope"):
        client.get_future("nope").get_state()
    with pytest.raises(DataikuException, match=r"NotFoundException"):
        client.get_future("nope").abort()


def test_failed_future_is_an_http_error_not_an_endless_poll(automation):
    doc = {"jobId": "failed-1", "status": "FAILED", "payload": {}, "isScenario": False, "startTime": 1,
           "endTime": 2, "error": {"errorType": "com.dataiku.dip.exceptions.CodedException", "message": "boom",
                                   "code": "ERR_X", "status": 500, "logLines": ["line 1"]}}
    seed_docs(automation, [("future", "", "failed-1", doc)])
    future = automation.client().get_future("failed-1")
    outcome = {}

    def wait():
        try:
            future.wait_for_result()
        except DataikuException as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the client kept polling a failed future"
    assert outcome["error"] == "com.dataiku.dip.exceptions.CodedException: boom"
