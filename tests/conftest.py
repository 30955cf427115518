"""Shared pytest fixtures: the collection importable, emulator nodes as processes, and a playbook runner.

Integration tests run against local emulator nodes. Set DATAIKU_URL and DATAIKU_API_KEY (or
DATAIKU_TEST_DESIGN_URL / DATAIKU_TEST_AUTOMATION_URL with DATAIKU_TEST_API_KEY) to run them against a real DSS
instead: see tests/support/real_node.py; emulator-only checks such as the state digest are then skipped, and say so."""

import os
import shutil
import signal
import tempfile
import threading

import pytest

# pytest imports this file as tests.conftest (tests/ is a package), with the repository root on sys.path.
from tests.support.collection import ensure_collection_link
# --cpu-report=N (CONTRIBUTING.md): the hooks of the plugin, made this conftest's own.
from tests.support.cpu_report import (  # noqa: F401 pylint: disable=unused-import
    pytest_addoption, pytest_runtest_makereport, pytest_runtest_protocol)
from tests.support.cpu_report import pytest_configure as cpu_report_configure
from tests.support import galaxy_build, node_server, playbook_server, run_order
from tests.support.emulator import NodePool
from tests.support.playbook import run_playbook
from tests.support.real_node import describe_mode, real_node_or_none

ensure_collection_link()
_BUILD_CACHE = pytest.StashKey[str]()
_SHARED_CACHE = pytest.StashKey[str]()


def _interrupt(signum, _frame):
    raise KeyboardInterrupt("stopped by signal %d" % signum)


def pytest_configure(config):
    """One collection build per run (tests/support/galaxy_build.py): a directory the xdist workers inherit.

    SIGTERM (a CI timeout, kill) stops the run like Ctrl-C: pytest would take the SystemExit that
    tests/support/processes.py makes of it for the failure of the running test and go on with the next one; a
    KeyboardInterrupt ends the session, whose tear-down stops the pooled emulator nodes."""
    cpu_report_configure(config)
    config.pluginmanager.register(_WorkerShares(), "dss-worker-shares")
    if os.environ.get(run_order.RECORD):
        config.pluginmanager.register(run_order.DurationRecorder(os.environ[run_order.RECORD]), "dss-durations")
    playbook_server.enable()  # DSS_TEST_PLAYBOOK_SERVER=0 leaves it off
    node_server.enable()  # DSS_TEST_NODE_SERVER=0 leaves it off
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    if not os.environ.get(galaxy_build.CACHE_VARIABLE):
        os.environ[galaxy_build.CACHE_VARIABLE] = tempfile.mkdtemp(prefix="dss-test-build-")
        config.stash[_BUILD_CACHE] = os.environ[galaxy_build.CACHE_VARIABLE]
    # What the served runs share (the code Jinja generates, what AnsiballZ builds pack): one directory for every
    # playbook server of the run, the xdist workers' too (tests/support/computed_once.py).
    if not os.environ.get(playbook_server.SHARED):
        os.environ[playbook_server.SHARED] = tempfile.mkdtemp(prefix="dss-test-shared-")
        config.stash[_SHARED_CACHE] = os.environ[playbook_server.SHARED]


def pytest_unconfigure(config):
    playbook_server.shutdown()
    node_server.shutdown()
    if _BUILD_CACHE in config.stash:
        shutil.rmtree(config.stash[_BUILD_CACHE], ignore_errors=True)
        del os.environ[galaxy_build.CACHE_VARIABLE]
    if _SHARED_CACHE in config.stash:
        shutil.rmtree(config.stash[_SHARED_CACHE], ignore_errors=True)
        del os.environ[playbook_server.SHARED]


def pytest_report_header(config):  # pylint: disable=unused-argument
    return describe_mode()


# Test tiers (`pytest -m unit`, `-m emulator`, `-m integration`, `-m packaging`): a test's folder gives its tier,
# and the files that build, install or lint the collection as an artifact are the packaging tier.
PACKAGING = {"test_galaxy_artifact.py", "test_execution_environment.py", "test_collection_docs.py", "test_molecule.py",
             "test_ansible_runner.py", "test_awx_configure.py", "test_awx_credential_type.py", "test_ci_templates.py",
             "test_ci_template_checks.py", "test_no_warnings.py", "test_doc_commands.py"}
TIER_OF_FOLDER = {"unit": "unit", "emulator": "emulator", "integration": "integration", "benchmarks": "integration"}
# Also `slow` (`-m "not slow"` leaves them out): whole promotions, benchmarks, large data, molecule; the slowest files
# of `make test`'s --durations.
SLOW = {"test_bundles_large.py", "test_crash_safety.py", "test_promotion.py", "test_promotion_fleet.py",
        "test_no_orphans.py", "test_bench_smoke.py", "test_bench_faults_smoke.py", "test_bench_noop_scale_smoke.py",
        "test_bench_promotion_smoke.py", "test_molecule.py", "test_ansible_runner.py", "test_adopt.py",
        "test_deployer_deploy_role.py", "test_ci_templates.py", "test_promotion_topology.py", "test_landscape_cache.py",
        "test_saved_plans.py", "test_project_as_code.py", "test_content_modules.py", "test_promotion_gates.py"}


# The order of a run: the files whose tests mostly wait (leases lapsing, time limits, killed processes) first, then the
# other integration tests (the slow files first), the emulator's, and the short unit tests last. In `make test` the
# suite runs beside sanity, lint and the packaging tier: a test that waits while they run leaves no core idle, one that
# waits once they ended does. Under worksteal each worker's share is its part of the long files, the heaviest first,
# then short tests (tests/support/run_order.py), so that the run does not end on one worker in a whole promotion.
WAITING = {"test_crash_safety.py", "test_faults.py", "test_scenario_runs.py", "test_python_execution.py",
           "test_no_orphans.py", "test_playbook_server.py", "test_bench_faults_smoke.py"}
RUN_ORDER = {"waiting": 0, "integration": 1, "packaging": 1, "emulator": 2, "unit": 3}


def _run_order(item):
    tier = next((mark.name for mark in item.iter_markers() if mark.name in RUN_ORDER), "integration")
    return RUN_ORDER["waiting" if item.path.name in WAITING else tier], item.path.name not in SLOW


def pytest_collection_modifyitems(items):
    for item in items:
        path = item.path
        tier = "packaging" if path.name in PACKAGING else TIER_OF_FOLDER.get(path.parent.name)
        if tier is None and "unit" in path.parts:
            tier = "unit"
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
        if path.name in SLOW:
            item.add_marker(pytest.mark.slow)
    items.sort(key=_run_order)  # stable: each file's tests keep their order


class _WorkerShares:
    """Under ``--dist worksteal``, the shares of tests/support/run_order.py, made once -m deselected what it does.
    The workers collect (xdist sets their own ``dist`` to "no"): the controller tells them its mode."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput["dss_dist"] = node.config.option.dist

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
        if workers > 1 and getattr(config, "workerinput", {}).get("dss_dist") == "worksteal":
            items[:] = run_order.worksteal_order(
                items, workers, short=lambda item: _run_order(item)[0] >= RUN_ORDER["emulator"],
                weights=run_order.load_weights())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """The packaging tier tests the artifact and the commands as users type them: the real ansible-playbook binary
    for each of its runs (its fixtures' too) and emulator nodes as processes of their own, never a fork server."""
    playbook_server.pause(item.get_closest_marker("packaging") is not None)
    node_server.pause(item.get_closest_marker("packaging") is not None)


@pytest.fixture(scope="session")
def node_pool():
    """The emulator processes of this pytest process (one per node type), reused by every test: see NodePool."""
    pool = NodePool()
    yield pool
    pool.close()


def _node(node_type, pool):
    real = real_node_or_none(node_type)
    if real is not None:
        yield real
        return
    yield pool.checkout(node_type)


@pytest.fixture
def design_node(node_pool):
    """A fresh design node: an emulator process reset for this test (state and request counters), or the real DSS
    named by DATAIKU_TEST_DESIGN_URL. Stopping or killing it is allowed: the next test gets a new process."""
    yield from _node("design", node_pool)


@pytest.fixture
def automation_node(node_pool):
    """A fresh automation node (emulator process reset for this test, or the real DSS named by
    DATAIKU_TEST_AUTOMATION_URL); like design_node."""
    yield from _node("automation", node_pool)


@pytest.fixture
def playbook(tmp_path):
    """``playbook(tasks=[...], check=..., diff=...)`` runs ansible-playbook in a temporary directory."""

    def _run(**kwargs):
        return run_playbook(tmp_path, **kwargs)

    return _run


@pytest.fixture
def fault_proxy():
    """``fault_proxy(node.url, rate=0.03, seed=1, nth=(2,), kinds=("503",))`` starts a fault-injecting proxy process
    (tests/support/fault_proxy.py) in front of a node; every proxy started is stopped after the test."""
    from tests.support.fault_proxy import FaultProxy  # pylint: disable=import-outside-toplevel
    started = []

    def _start(target, **plan):
        proxy = FaultProxy(target, **plan).start()
        started.append(proxy)
        return proxy

    yield _start
    for proxy in started:
        proxy.stop()
