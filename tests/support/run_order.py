"""The order of the suite's tests for ``--dist worksteal`` (tests/conftest.py), and the file weights it uses.

worksteal hands each xdist worker a contiguous share of the collection, of equal counts; a worker runs its queue from
the front, and a worker with no test left takes the back half of the longest queue, so the tests that run last come
from the middle of a queue. Sorted whole (the waiting files, the other integration files, then the short emulator and
unit tests), the collection gave the first worker every long file, and the run ended on whole promotions from the
middle of its queue, one worker running alone for several seconds. Here each share is its part of the long files
(heaviest file first to the lightest share; a file kept whole: its module fixtures are set up once), heaviest first,
followed by short tests up to the share's count: what the others take is short, and what runs last is the lightest of
the long files.

A file's weight is the seconds its tests took in a recent ``make suite`` (tests/durations.json, written by a run with
``DSS_TEST_DURATIONS=tests/durations.json``); a file it does not name weighs one second a test."""

import json
import os

DURATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "durations.json")
RECORD = "DSS_TEST_DURATIONS"  # a path: the run writes there the seconds of each file of 3 s or more


def chunk_sizes(count, workers):
    """The counts of worksteal's first distribution (xdist's WorkStealingScheduling.check_schedule)."""
    sizes = []
    for index in range(workers):
        sizes.append(count // (workers - index))
        count -= sizes[-1]
    return sizes


def load_weights(path=DURATIONS):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def worksteal_order(items, workers, short, weights):
    """``items`` (in run order) arranged in ``workers`` shares: each its part of the files whose tests are not
    ``short`` (``weights``: seconds by file path relative to the repository, else one a test), heaviest first, then
    short tests; ``items`` unchanged when a share's long files outnumber its count."""
    files, quick = {}, []
    for item in items:
        if short(item):
            quick.append(item)
        else:
            files.setdefault(item.path, []).append(item)

    def weight(tests):
        return weights.get(_relative(tests[0].path), float(len(tests)))

    shares = [[] for worker in range(workers)]
    loads = [0.0] * workers
    for tests in sorted(files.values(), key=weight, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(tests)
        loads[lightest] += weight(tests)
    shares.sort(key=lambda share: sum(len(tests) for tests in share))
    ordered = []
    for share, size in zip(shares, chunk_sizes(len(items), workers)):
        share.sort(key=weight, reverse=True)
        long_tests = [test for tests in share for test in tests]
        if len(long_tests) > size:
            return items
        ordered += long_tests + quick[:size - len(long_tests)]
        quick = quick[size - len(long_tests):]
    return ordered


def _relative(path):
    return os.path.relpath(str(path), os.path.dirname(os.path.dirname(DURATIONS)))


class DurationRecorder:
    """With DSS_TEST_DURATIONS=<path>: the seconds (setup, call and teardown) of each test file, written at the end of
    the run for the files of 3 s or more (in the xdist controller, which gets every worker's reports)."""

    def __init__(self, path):
        self.path = path
        self.seconds = {}

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.split("::", 1)[0]
        self.seconds[name] = self.seconds.get(name, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        if os.environ.get("PYTEST_XDIST_WORKER"):
            return
        kept = {name: round(seconds, 1) for name, seconds in sorted(self.seconds.items()) if seconds >= 3}
        with open(self.path, "w", encoding="utf-8") as out:
            json.dump(kept, out, indent=1, sort_keys=True)
            out.write("\n")
