"""The suite's tiers and run order (tests/conftest.py): every file its lists name exists, so a renamed file cannot
silently leave its tier or its place in the order, and the order puts the waiting files first and the unit tests
last (make test's cores stay busy, both xdist workers end together)."""

import glob
import os
import pathlib

import pytest

from tests import conftest
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
