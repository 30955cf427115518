"""Module tests against emulated DSS nodes in this process (tests/dss_emulator/inprocess.py): the module runs as
Ansible runs it (its own DssModule.make_client, transport adapter and dataikuapi calls), every request is answered
by the emulator's routes from real state in a temp dir, and no process or socket is involved.

    def test_x(emulated, capsys):
        node = emulated("design", "https://dss.example.com")
        node.client().create_project("P", "P", "admin")           # state made through the official client
        result = run_module(dataiku_project.main, capsys, node, project_key="P")
        assert node.writes() == []                                 # what the module sent, as the node saw it
"""

import io

import pytest

from ansible_collections.dataiku_gitops.dss.tests.dss_emulator.errors import DSSError
from ansible_collections.dataiku_gitops.dss.tests.dss_emulator.inprocess import FaultPlan, InProcessNode, routed
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.module_runner import execute

_POOL = {}  # node type -> [InProcessNode]: reset before each use (building an app costs far more than a reset)


@pytest.fixture
def emulated():
    """``emulated(node_type, url)``: a fresh emulated node answering at ``url`` for every client of this test."""
    taken = []
    with routed() as router:
        def make(node_type="design", url="https://dss.example.com"):
            pool = _POOL.setdefault(node_type, [])
            free = [n for n in pool if all(n is not t for t in taken)]
            node = free[0] if free else InProcessNode(node_type)
            if not free:
                pool.append(node)
            taken.append(node)
            node.url = url.rstrip("/")
            node.reset()
            node.faults = FaultPlan(node.adapter)  # no fault planned by an earlier test
            node.forget_calls()
            return router.add(node)
        yield make


def run_module(main, capsys, node=None, check_mode=False, diff=False, secrets=(), **params):
    """Run a module's ``main`` with ``params`` (plus ``url``/``api_key`` of ``node`` when given); returns
    (failed, result). Each of ``secrets`` (and the node's API key) must be absent from the output."""
    args = dict(url=node.url, api_key=node.api_key) if node is not None else {}
    args.update(params)
    secrets = tuple(secrets) + ((node.api_key,) if node is not None else ())
    code, result = execute(main, capsys, args, check_mode, diff, secrets=secrets)
    return code != 0 or bool(result.get("failed")), result


def dss_error(message, error_type="com.dataiku.dip.exceptions.UnauthorizedException", status=403):
    """A DSS error answer body (for node.faults.answer)."""
    return DSSError(message, error_type, status).body()


def reads(node):
    """The GET calls the node answered, without the node-type check every module makes first."""
    return [c for c in node.calls() if c.startswith("GET ") and c != "GET /instance-info"]


# -- bundles made for real: exported on a design node, downloaded, imported on an automation node ----------------

def design_project(design, key="CHURN"):
    client = design.client()
    if key not in client.list_project_keys():
        client.create_project(key, key, "admin")
    return client.get_project(key)


def export(design, bundle_id, key="CHURN", release_notes=None):
    design_project(design, key).export_bundle(bundle_id, release_notes=release_notes)
    return archive_of(design, bundle_id, key)


def archive_of(design, bundle_id, key="CHURN"):
    answer = design.client().get_project(key).get_exported_bundle_archive_stream(bundle_id)
    try:
        return answer.content
    finally:
        answer.close()


def deploy(design, auto, bundle_ids, key="CHURN", active=None):
    """Import bundles (exported on ``design`` as needed) into project ``key`` of ``auto``; activate ``active``."""
    for bundle_id in bundle_ids:
        existing = [b["bundleId"] for b in design_project(design, key).list_exported_bundles()["bundles"]]
        data = archive_of(design, bundle_id, key) if bundle_id in existing else export(design, bundle_id, key)
        import_archive(auto, data, key)
    if active:
        auto.client().get_project(key).activate_bundle(active)
    auto.forget_calls()
    design.forget_calls()


def import_archive(auto, data, key="CHURN"):
    """Import an archive into project ``key`` of ``auto``, creating the project from it when absent."""
    client = auto.client()
    if key not in client.list_project_keys():
        client.create_project_from_bundle_archive(io.BytesIO(data))
    else:
        client.get_project(key).import_bundle_from_stream(io.BytesIO(data))
    auto.forget_calls()


def export_requiring(design, bundle_id, connections=None, envs=(), key="CHURN"):
    """Export ``bundle_id`` of a design project whose datasets use exactly ``connections`` ({name: type}) and whose
    code recipes pin exactly the code envs ``envs`` [(language, name)]: what the bundle's manifest then requires."""
    project = design_project(design, key)
    for dataset in project.list_datasets():
        project.get_dataset(dataset["name"]).delete()
    for recipe in project.list_recipes():
        project.get_recipe(recipe["name"]).delete()
    for name, conn_type in (connections or {}).items():
        project.create_dataset("uses_" + name, conn_type, params={"connection": name})
    for lang, name in envs:
        project.create_recipe({"type": "r" if lang == "R" else "python", "name": "runs_in_" + name,
                               "inputs": {}, "outputs": {},
                               "params": {"envSelection": {"envMode": "EXPLICIT_ENV", "envName": name}}},
                              {"payload": ""})
    project.export_bundle(bundle_id)
    design.forget_calls()
