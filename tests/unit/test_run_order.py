"""The suite's tiers and run order (tests/conftest.py): every file its lists name exists, so a renamed file cannot
silently leave its tier or its place in the order, and the order puts the waiting files first and the unit tests
last (make test's cores stay busy, both xdist workers end together)."""

import glob
import os
import pathlib

import pytest

from tests import conftest
from tests.support import run_order
from tests.support.collection import ROOT


def test_every_file_the_lists_name_exists():
    files = {os.path.basename(path) for path in glob.glob(os.path.join(ROOT, "tests", "**", "test_*.py"),
                                                          recursive=True)}
    for name, listed in (("WAITING", conftest.WAITING), ("SLOW", conftest.SLOW), ("PACKAGING", conftest.PACKAGING)):
        assert listed - files == set(), "%s names files that do not exist" % name
    assert conftest.WAITING & conftest.PACKAGING == set()  # the packaging tier runs in a pytest of its own


class _Item:
    """What the order reads of a collected test: its file and its tier's marker."""

    def __init__(self, path, tier):
        self.path = pathlib.Path(ROOT, path)
        self._marks = [getattr(pytest.mark, tier).mark]

    def iter_markers(self):
        return iter(self._marks)


def test_waiting_files_first_then_slow_files_unit_tests_last_each_file_in_its_order():
    items = [_Item("tests/unit/test_changelog.py", "unit"),
             _Item("tests/integration/test_dataiku_project.py", "integration"),
             _Item("tests/integration/test_promotion.py", "integration"),
             _Item("tests/emulator/test_projects.py", "emulator"),
             _Item("tests/integration/test_crash_safety.py", "integration"),
             _Item("tests/benchmarks/test_bench_smoke.py", "integration"),
             _Item("tests/emulator/test_scenario_runs.py", "emulator")]
    ordered = sorted(items, key=conftest._run_order)  # pylint: disable=protected-access
    assert [item.path.name for item in ordered] == [
        "test_crash_safety.py", "test_scenario_runs.py", "test_promotion.py", "test_bench_smoke.py",
        "test_dataiku_project.py", "test_projects.py", "test_changelog.py"]


class _Test:
    """A collected test as tests/support/run_order.py reads it: its file and whether it is short."""

    def __init__(self, path, short):
        self.path, self.short = pathlib.Path(ROOT, path), short

    def __repr__(self):
        return "%s%s" % (self.path.name, "*" if self.short else "")


def test_chunk_sizes_are_worksteals_first_distribution():
    assert run_order.chunk_sizes(984, 3) == [328, 328, 328]
    assert run_order.chunk_sizes(985, 3) == [328, 328, 329]
    assert run_order.chunk_sizes(986, 3) == [328, 329, 329]
    assert run_order.chunk_sizes(5, 2) == [2, 3]


def test_each_worksteal_share_is_whole_long_files_heaviest_first_then_short_tests():
    """Every worker's first share ends on short tests, a long file stays whole in one share, the long files' weight
    is spread over the shares, and in a share the heaviest file comes first."""
    items = ([_Test(name, False) for name in ["waits.py"] * 2 + ["heavy.py"] * 2 + ["light.py"] * 3 + ["other.py"]]
             + [_Test("unit_%d.py" % n, True) for n in range(13)])
    weights = {"heavy.py": 40.0, "waits.py": 30.0, "other.py": 5.0}  # light.py: not named, one second a test

    def order(tests):  # weights name files by their path in the repository
        return run_order.worksteal_order(tests, 3, short=lambda item: item.short, weights=weights)

    ordered = order(items)
    assert len(ordered) == len(items) and len(set(map(id, ordered))) == len(items)
    sizes = run_order.chunk_sizes(len(items), 3)
    chunks = [ordered[sum(sizes[:n]):sum(sizes[:n + 1])] for n in range(3)]
    homes = {}
    for number, chunk in enumerate(chunks):
        longs = [item for item in chunk if not item.short]
        assert chunk[:len(longs)] == longs and chunk[-1].short, chunk  # long files first, a short test last
        for item in longs:
            homes.setdefault(item.path.name, set()).add(number)
    assert all(len(numbers) == 1 for numbers in homes.values()), homes  # a file stays whole
    assert len({min(numbers) for numbers in homes.values()}) == 3  # heavy, waits, light + other: three shares
    assert homes["light.py"] == homes["other.py"]
    share = next(chunk for chunk in chunks if any(item.path.name == "light.py" for item in chunk))
    assert [item.path.name for item in share if not item.short] == ["other.py", "light.py", "light.py", "light.py"]
    # A long file with more tests than a share's count: the run order is left as it was.
    items = [_Test("big.py", False) for n in range(4)] + [_Test("unit.py", True) for n in range(2)]
    assert order(items) == items


def test_the_recorded_durations_name_files_that_exist():
    for name, seconds in run_order.load_weights().items():
        assert os.path.isfile(os.path.join(ROOT, name)) and seconds >= 3, name


class _Report:
    def __init__(self, nodeid, duration):
        self.nodeid, self.duration = nodeid, duration


def test_the_recorder_writes_the_seconds_of_each_file_of_three_seconds_or_more(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the controller, or a run without xdist
    recorder = run_order.DurationRecorder(str(tmp_path / "durations.json"))
    for nodeid, seconds in (("tests/a.py::test_one", 2.0), ("tests/a.py::test_one", 0.25), ("tests/a.py::test_two", 1.0),
                            ("tests/b.py::test_x[1]", 2.9)):
        recorder.pytest_runtest_logreport(_Report(nodeid, seconds))
    recorder.pytest_sessionfinish(None)
    assert run_order.load_weights(str(tmp_path / "durations.json")) == {"tests/a.py": 3.2}
