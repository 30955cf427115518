"""dataiku_node_export_info against emulated nodes in-process: the sample project read into the formats of the
project_as_code role and the environment objects, remapping of an automation project, secrets never returned, bad
input refused before any request."""

# pylint: disable=redefined-outer-name,unused-import
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_node_export_info
from ansible_collections.dataiku_gitops.dss.tests.support import sample_project
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    deploy, emulated, run_module)


def run(capsys, node, **params):
    return run_module(dataiku_node_export_info.main, capsys, node, **params)


def test_design_project_described(emulated, capsys):
    node = emulated("design")
    sample_project.seed_design_project(node.client())
    node.forget_calls()
    failed, result = run(capsys, node, project_keys=["CHURN", "NOPE"])
    assert not failed, result
    import json; print(json.dumps(result, indent=1))
    assert 0
