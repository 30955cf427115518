"""The one-owner-per-job surface through real ansible-playbook runs: dataiku_project_info's include returns what the
deprecated info modules return, each deprecated name still works and prints its deprecation warning (naming the
replacement), and include's bad input fails before any request. One playbook run per node type."""

# pylint: disable=redefined-outer-name
from tests.integration.test_dataiku_project import conn
from tests.support import sample_project
from tests.support.real_node import require_emulator

KEY = sample_project.PROJECT_KEY
INFO = "dataiku_gitops.dss.dataiku_project_info"


def _flat(output):
    """Ansible wraps warnings to the terminal width: compare without line breaks."""
    return " ".join(output.split())


def _task(name, module, node, **args):
    return {"name": name, "dataiku_gitops.dss." + module: dict(conn(node), **args)}


def _without(result, *keys):
    return {k: v for k, v in result.items()
            if k not in ("invocation", "changed", "deprecations", "_ansible_no_log") + keys}


def test_design_node_include_equals_the_deprecated_modules_which_warn(design_node, playbook):
    require_emulator(design_node)
    sample_project.seed_design_project(design_node.client())
    tasks = [
        _task("info", "dataiku_project_info", design_node, project_key=KEY, include=["bundles", "git", "content"]),
        _task("commit", "dataiku_project_commit", design_node, project_key=KEY),
        _task("verified", "dataiku_project_git", design_node, project_key=KEY, state="verified"),
        _task("bundles", "dataiku_bundle_info", design_node, project_key=KEY),
        _task("git", "dataiku_project_git_info", design_node, project_key=KEY),
        _task("content", "dataiku_project_content_info", design_node, project_key=KEY),
        dict(_task("no key", "dataiku_project_info", design_node, include=["git"]), ignore_errors=True),
        dict(_task("stray bundle_id", "dataiku_project_info", design_node, project_key=KEY, bundle_id="v1"),
             ignore_errors=True),
    ]
    digest, writes = design_node.digest(), design_node.writes()
    result = playbook(tasks=tasks, check=True, diff=True)
    assert result.changed_count() == 0, result
    info = result.task("info")["result"]
    assert info["bundles"] == result.task("bundles")["result"]["bundles"]
    assert info["git"] == _without(result.task("git")["result"])
    assert info["content"] == _without(result.task("content")["result"], "exists")
    assert [d["name"] for d in info["content"]["datasets"]] and info["git"]["head"]
    # No remote, no commit: nothing to verify, the same answer under both names.
    assert _without(result.task("commit")["result"]) == _without(result.task("verified")["result"])
    assert result.task("verified")["result"]["verified"] is False
    output = _flat(result.output)
    for old, new in (("dataiku_project_commit", "dataiku_project_git with state=verified"),
                     ("dataiku_bundle_info", "dataiku_project_info with include=[bundles]"),
                     ("dataiku_project_git_info", "dataiku_project_info with include=[git]"),
                     ("dataiku_project_content_info", "dataiku_project_info with include=[content]")):
        assert "[DEPRECATION WARNING]: dataiku_gitops.dss.%s has been deprecated. Use dataiku_gitops.dss.%s" % (
            old, new) in output, output[-6000:]
    assert output.count("[DEPRECATION WARNING]") == 4, output[-6000:]
    assert "include needs project_key: it reads one project (got include=git)." == result.task("no key")["result"]["msg"]
    assert result.task("stray bundle_id")["result"]["msg"] == "bundle_id is used with include bundles or remapping only."
    assert design_node.digest() == digest and design_node.writes() == writes


def test_automation_node_include_remapping_equals_the_deprecated_module(automation_node, playbook):
    require_emulator(automation_node)
    automation_node.client().create_project(KEY, KEY, "admin")
    tasks = [
        _task("info", "dataiku_project_info", automation_node, project_key=KEY, include=["bundles", "remapping"]),
        _task("remap", "dataiku_connection_remap_info", automation_node, project_key=KEY),
        dict(_task("git on automation", "dataiku_project_info", automation_node, project_key=KEY, include=["git"]),
             ignore_errors=True),
    ]
    writes = automation_node.writes()
    result = playbook(tasks=tasks, check=True)
    info = result.task("info")["result"]
    assert info["bundles"] == [] and info["remapping"] == _without(result.task("remap")["result"]), result
    assert result.task("git on automation")["result"]["msg"] == (
        "Reading the git repository of a project (include git) needs a DESIGN node, but %s is a AUTOMATION node."
        % automation_node.url)
    assert "[DEPRECATION WARNING]: dataiku_gitops.dss.dataiku_connection_remap_info has been deprecated. Use " \
           "dataiku_gitops.dss.dataiku_project_info with include=[remapping]" in _flat(result.output), result
    assert automation_node.writes() == writes
