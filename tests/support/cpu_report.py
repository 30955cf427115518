"""``--cpu-report=N``: the N tests that used the most CPU, printed at the end of the run (pytest plugin).

Wall times (``--durations``) follow the machine's load; CPU seconds do not, so they are what to compare between two
runs on a shared machine. A test's CPU is what its pytest process and every process under it used between the
test's start and its end (set-up and tear-down included): the process itself, the children it waited for (each
ansible-playbook run), and the live ones (the pooled emulator nodes, which outlive the test). A module- or
session-scoped fixture counts for the test that set it up. With pytest-xdist each worker measures its own tests and
the totals reach the controller with the reports.
"""

import os

import psutil
import pytest

KEY = "cpu_seconds"
_START = pytest.StashKey[float]()


def _tree_cpu():
    """CPU seconds used so far by this process, its reaped children and its live descendants."""
    total = 0.0
    me = psutil.Process()
    for proc in [me] + me.children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue  # ended meanwhile: its parent counts it once it reaps it
        total += times.user + times.system + times.children_user + times.children_system
    return total


def pytest_addoption(parser):
    parser.addoption("--cpu-report", type=int, default=None, metavar="N",
                     help="print the N tests that used the most CPU seconds (0: all), and the total")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    if item.config.getoption("cpu_report") is None:
        yield
        return
    item.stash[_START] = _tree_cpu()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The tear-down's report carries the test's CPU (the tear-down is its last phase)."""
    outcome = yield
    if call.when != "teardown" or _START not in item.stash:
        return
    report = outcome.get_result()
    report.user_properties.append((KEY, round(_tree_cpu() - item.stash[_START], 3)))


class _Collector:
    def __init__(self):
        self.seconds = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == KEY and report.when == "teardown":
                self.seconds[report.nodeid] = value

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter, config):
        if not self.seconds:
            return
        count = config.getoption("cpu_report") or None
        files = {}
        for nodeid, seconds in self.seconds.items():
            files[nodeid.split("::", 1)[0]] = files.get(nodeid.split("::", 1)[0], 0.0) + seconds
        for title, totals in (("test", self.seconds), ("file", files)):
            terminalreporter.write_sep("=", "CPU seconds per %s (pytest process and everything under it)" % title)
            for name, seconds in sorted(totals.items(), key=lambda item: -item[1])[:count]:
                terminalreporter.write_line("%9.2f  %s" % (seconds, name))
        terminalreporter.write_line("%9.2f  total of %d tests (load average %s)" % (
            sum(self.seconds.values()), len(self.seconds), " ".join("%.1f" % v for v in os.getloadavg())))


def pytest_configure(config):
    if config.getoption("cpu_report") is not None:
        config.pluginmanager.register(_Collector(), "cpu_report_collector")
