"""Landscapes built once per test session and restored for each test that needs one.

A promotion test needs a landscape (tests/support/promotion.py, topology.py, deployer_landscape.py: emulator nodes,
a git repository, inventories) in some state: seeded, or with a first promotion done. Running promote.yml for that in
every test is most of the suite's time. A ``Kind`` names such a landscape and how to build it from scratch; the first
test of a session that asks for it builds it on fresh nodes, saves each node (POST /__emulator__/snapshot,
docs/emulator.md) and the work directory files the landscape needs, and records the playbook runs of the build. Every
test then gets its own copy restored (POST /__emulator__/restore) into the nodes of its pytest process, which a pool
keeps from test to test (a node a test killed is replaced): a fraction of a second instead of a promotion.

    @pytest.fixture
    def land(tmp_path, tmp_path_factory):
        return landscape.restored(landscape.PROMOTED, tmp_path, tmp_path_factory)

The restored nodes are other processes, on other ports and with other API keys, than the ones the build ran on, and
the work directory is another: the restore rewrites the old URLs, keys and work directory path in every stored
document to the new ones (a deployer infrastructure names its automation node's URL and key), and in the work
directory files a build kept (``kept_paths``: adopted inventories name their node's URL), and the landscape writes
again the files that name nodes (the deployer landscape's inventory). The inventories of the promotion
landscapes read the nodes from environment variables.

The cache lives in the session's temporary directory: under pytest-xdist, the parent of every worker's base temp dir
(the xdist documentation's way to share one), so a kind is built once per run, by the first worker that needs it,
while the others wait on its file lock; without xdist, the base temp dir. A build that failed is not tried again in
the session: the tests that need it fail with its error. The build's recorded runs (``land.built``) let a test assert
on how the landscape was made, the first promotion of a kind through ansible-playbook included.
"""

import atexit
import fcntl
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Optional

from tests.support import sample_project
from tests.support.deployer_landscape import DeployerLandscape
from tests.support.emulator import NodePool
from tests.support.playbook import PlaybookResult
from tests.support.promotion import Landscape


@dataclass(frozen=True)
class Kind:
    """A landscape and how to build it: ``make(workdir)`` returns the (unstarted) landscape object, its ``start()``
    seeds it on fresh nodes (or, with a ``base`` kind of the same landscape class, a copy of that one is restored),
    then ``build(land)`` (optional) brings it into the state wanted and returns the records to keep: JSON values and
    PlaybookResults (``land.built`` of every restored copy)."""

    name: str
    make: Callable
    build: Optional[Callable] = None
    base: Optional["Kind"] = None
    description: str = field(default="", compare=False)


class NodesOnly:
    """A landscape of pooled nodes only, for a test file's own kinds: no work directory files, no state but the nodes'.
    A subclass names its nodes in NODE_TYPES ({name: node type}) and seeds them in ``start``."""

    NODE_TYPES = {}

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.nodes = {}

    def node_types(self):
        return dict(self.NODE_TYPES)

    def use_nodes(self, nodes):
        self.nodes = dict(nodes)
        return self

    def start(self):
        return self  # a kind's build seeds the nodes

    def cached_paths(self):
        return []

    def cache_state(self):
        return {}

    def load_cache_state(self, _state):
        pass


def plan_then_promote(land):
    """The first promotion of the landscape's bundle on every environment, through a saved plan: promote.yml --check
    --diff saving the plan and its Markdown summary (with whether it changed any node), then for real with --diff
    applying that plan, then the plan applied again (with whether it changed any node). Records "plan", "plan_wrote",
    "plan_file" (the saved plan), "markdown" (its summary), "promoted", "again", "again_wrote" and "leaked" (the API
    keys of the build's nodes that any output shows: expected none)."""
    before = land.writes(), land.digests()
    plan = land.run("promote.yml", check=True, diff=True,
                    extra_vars={"dss_plan_out": "plan.json", "dss_plan_markdown": "plan.md"})
    plan_wrote = (land.writes(), land.digests()) != before
    promoted = land.run("promote.yml", diff=True, extra_vars={"dss_plan": "plan.json"})
    if promoted.rc != 0:
        raise RuntimeError("promote.yml failed while building the landscape:\n%s" % promoted.output[-4000:])
    before = land.writes(), land.digests()
    again = land.run("promote.yml", extra_vars={"dss_plan": "plan.json"})
    again_wrote = (land.writes(), land.digests()) != before
    with open(os.path.join(land.workdir, "plan.json"), encoding="utf-8") as fh:
        plan_file = json.load(fh)
    with open(os.path.join(land.workdir, "plan.md"), encoding="utf-8") as fh:
        markdown = fh.read()
    return {"plan": plan, "plan_wrote": plan_wrote, "plan_file": plan_file, "markdown": markdown,
            "promoted": promoted, "again": again, "again_wrote": again_wrote, "leaked": land.leaked_keys()}


def rerun(land):
    """promote.yml run again on a copy of the promoted landscape (restored into this process's nodes), then in
    --check --diff. Records "rerun" and "rerun_check" (the runs), "rerun_requests" ({node: requests the re-run sent
    it}), "rerun_writes" ({node: writes since the restore, the re-run's}), "rerun_digests_kept" (whether every
    node's state digest was the same after it) and "leaked" (the API keys any output showed: expected none)."""
    digests, requests = land.digests(), land.requests()
    records = {"rerun": land.run("promote.yml")}
    records.update(rerun_requests={env: count - requests[env] for env, count in land.requests().items()},
                   rerun_writes=land.writes(), rerun_digests_kept=land.digests() == digests)
    records["rerun_check"] = land.run("promote.yml", check=True, diff=True)
    records["leaked"] = land.leaked_keys()
    return records


def promote_once(land):
    """The first promotion of the landscape's bundle on every environment (promote.yml). Records "promoted"."""
    promoted = land.run("promote.yml")
    if promoted.rc != 0:
        raise RuntimeError("promote.yml failed while building the landscape:\n%s" % promoted.output[-4000:])
    return {"promoted": promoted, "leaked": land.leaked_keys()}


# The connections of staging and prod are made through the official client, as the inventories declare them:
# playbooks/environment.yml is not what the tests of these landscapes are about (test_environment_and_drift.py and
# test_adopt.py run it).
def seeded_landscape(workdir):
    return Landscape(workdir, environment_playbook=False)


def fleet_landscape(workdir):
    return Landscape(workdir, projects=(sample_project.PROJECT_KEY, "FRAUD"), environment_playbook=False)


SEEDED = Kind("seeded", seeded_landscape,
              description="CHURN on dev, environment objects on staging and prod, one commit")
PROMOTED = Kind("promoted", seeded_landscape, plan_then_promote, SEEDED,
                "SEEDED, its first bundle planned (a saved plan), promoted by applying it, then the plan applied again")
RERUN = Kind("promoted-rerun", seeded_landscape, rerun, PROMOTED,
             "PROMOTED restored, then promote.yml run again, for real and in check mode (a converged no-op)")
FLEET = Kind("fleet", fleet_landscape,
             description="CHURN and FRAUD on dev, environment objects on staging and prod, one commit")
FLEET_PROMOTED = Kind("fleet-promoted", fleet_landscape, promote_once, FLEET,
                      "FLEET with its first bundle promoted everywhere")
DEPLOYER = Kind("deployer", DeployerLandscape,
                description="CHURN on dev, the Project Deployer's staging and prod infrastructures naming their nodes")


# -- the nodes of this process ---------------------------------------------------------------------------------------

def checkout(node_types, fresh=False, pool=None):
    """{name: running node} for {name: node type} from ``pool`` (default: this process's landscape nodes, one per
    name, kept from test to test; a node a test killed is replaced); ``fresh``: reset (a build's nodes)."""
    pool = pool or NODES
    return {name: pool.checkout(node_type, name=name, reset=fresh) for name, node_type in node_types.items()}


NODES = NodePool()
atexit.register(NODES.close)  # the processes themselves also end with this one (tests/support/processes.py)


# -- the cache -------------------------------------------------------------------------------------------------------

def cache_root(tmp_path_factory):
    """The session's cache directory, shared by the xdist workers of one run."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "dss-landscapes"
    root.mkdir(exist_ok=True)
    return root


@contextmanager
def _locked(path):
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _encode(records):
    def encoded(value):
        if isinstance(value, PlaybookResult):
            return {"playbook_result": {"rc": value.rc, "output": value.output, "tasks": value.tasks,
                                        "playbook_path": value.playbook_path}}
        return {"value": value}
    return {name: encoded(value) for name, value in records.items()}


def _decode(records):
    return {name: PlaybookResult(**item["playbook_result"]) if "playbook_result" in item else item["value"]
            for name, item in records.items()}


def _rewrite_files(folder, replace):
    """The old URLs, keys and work directory of ``replace`` rewritten to the new ones in the text files under
    ``folder`` (files a build wrote that name its nodes, e.g. adopted inventories), in one pass."""
    if not replace:
        return
    pattern = re.compile("|".join(re.escape(old) for old in sorted(replace, key=len, reverse=True)))
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            new = pattern.sub(lambda match: replace[match.group(0)], text)
            if new != text:
                with open(path, "w", encoding="utf-8") as out:
                    out.write(new)


def _build(kind, target, scratch, tmp_path_factory):
    """Build ``kind`` on fresh nodes of this process (or on a copy of its base) and save it into ``target``."""
    if kind.base:
        land = restored(kind.base, os.path.join(scratch, "workdir"), tmp_path_factory)
    else:
        land = kind.make(os.path.join(scratch, "workdir"))
        os.makedirs(land.workdir)
        land.use_nodes(checkout(land.node_types(), fresh=True))
        land.start()
    records = kind.build(land) if kind.build else {}
    saved = os.path.join(scratch, "saved")
    for name, node in land.nodes.items():
        node.snapshot(os.path.join(saved, "nodes", name))
    for path in land.cached_paths():
        shutil.copytree(os.path.join(land.workdir, path), os.path.join(saved, "workdir", path), symlinks=True)
    meta = {"kind": kind.name, "workdir": land.workdir, "state": land.cache_state(), "records": _encode(records),
            "nodes": {name: {"url": node.url, "api_key": node.api_key} for name, node in land.nodes.items()}}
    with open(os.path.join(saved, "landscape.json"), "w", encoding="utf-8") as out:
        json.dump(meta, out)
    os.replace(saved, target)  # complete or absent


def saved(kind, tmp_path_factory):
    """The directory of ``kind`` in the session's cache, built first if no test of the session did."""
    root = cache_root(tmp_path_factory)
    target, failed = root / kind.name, root / (kind.name + ".failed")
    with _locked(str(root / (kind.name + ".lock"))):
        if not target.exists():
            if failed.exists():
                raise RuntimeError("building the landscape %r failed earlier in this session:\n%s"
                                   % (kind.name, failed.read_text()))
            scratch = tempfile.mkdtemp(prefix=kind.name + ".build-", dir=str(root))
            try:
                _build(kind, str(target), scratch, tmp_path_factory)
            except BaseException as exc:
                failed.write_text("%s: %s" % (type(exc).__name__, exc))
                raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return target


def records(kind, tmp_path_factory):
    """The build's records of ``kind`` (``land.built`` of a restored copy) without restoring it."""
    with open(saved(kind, tmp_path_factory) / "landscape.json", encoding="utf-8") as fh:
        return _decode(json.load(fh)["records"])


def restored(kind, workdir, tmp_path_factory, pool=None):
    """A copy of the landscape ``kind`` in ``workdir`` (an empty directory), on this process's pooled nodes (or
    those of the NodePool ``pool``), with the build's records as ``land.built``. Nothing to close: the nodes stay
    for the next test."""
    source = saved(kind, tmp_path_factory)
    with open(source / "landscape.json", encoding="utf-8") as fh:
        meta = json.load(fh)
    os.makedirs(str(workdir), exist_ok=True)
    land = kind.make(str(workdir))
    nodes = checkout(land.node_types(), pool=pool)
    replace = {} if meta["workdir"] == land.workdir else {meta["workdir"]: land.workdir}
    for name, node in nodes.items():
        old = meta["nodes"][name]
        replace.update({old["url"]: node.url, old["api_key"]: node.api_key})
    replace = {old: new for old, new in replace.items() if old != new}
    for name, node in nodes.items():
        node.restore(source / "nodes" / name, replace)
    if (source / "workdir").exists():
        shutil.copytree(source / "workdir", land.workdir, symlinks=True, dirs_exist_ok=True)
    for path in meta["state"].get("kept_paths", []):
        _rewrite_files(os.path.join(land.workdir, path), replace)
    land.use_nodes(nodes)
    land.load_cache_state(meta["state"])
    land.built = _decode(meta["records"])
    return land
