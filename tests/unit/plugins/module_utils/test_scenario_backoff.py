"""The waits between two polls of a scenario run (_scenario/runner.py): FIRST_POLL growing by POLL_FACTOR up to the
poll interval, or a first wait from the scenario's last run, and how that duration is read from DSS's run list."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._scenario.runner import (
    FIRST_POLL, POLL_FACTOR, Backoff, last_duration)


def waits(maximum, count, first=None):
    slept = []
    backoff = Backoff(maximum, lambda: 0.0, slept.append, first=first)
    for _poll in range(count):
        backoff.sleep(deadline=10 ** 6)
    return slept


def test_polls_grow_from_first_poll_up_to_the_interval():
    assert waits(1.0, 6) == pytest.approx([FIRST_POLL, FIRST_POLL * POLL_FACTOR, FIRST_POLL * POLL_FACTOR ** 2,
                                           FIRST_POLL * POLL_FACTOR ** 3, 1.0, 1.0])


def test_a_known_duration_is_waited_first_then_polling_starts_again():
    assert waits(5.0, 3, first=2.5) == [2.5, FIRST_POLL, FIRST_POLL * POLL_FACTOR]
    assert waits(5.0, 2, first=60.0) == [5.0, FIRST_POLL]  # never longer than the poll interval
    assert waits(5.0, 2, first=0.05) == waits(5.0, 2)  # a shorter one changes nothing


def test_the_wait_is_cut_at_the_deadline():
    slept = []
    Backoff(5.0, lambda: 99.0, slept.append, first=4.0).sleep(deadline=100.0)
    assert slept == [1.0]


def test_last_duration_is_the_newest_finished_run_s():
    running = {"runId": "r3", "start": 5000, "end": 0}
    done = {"runId": "r2", "start": 1000, "end": 3500, "result": {"outcome": "SUCCESS"}}
    older = {"runId": "r1", "start": 100, "end": 200, "result": {"outcome": "FAILED"}}
    assert last_duration([running, done, older]) == 2.5
    assert last_duration([running]) is None and last_duration([]) is None
    assert last_duration([{"start": None, "end": 3, "result": {}}]) is None
