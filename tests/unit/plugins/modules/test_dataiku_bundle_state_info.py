"""dataiku_bundle_state_info against emulated nodes in-process: what the bulk read of a design node costs per project
(issue 27: a converged project is read with a fixed, small number of requests) and what it settles."""

# pylint: disable=redefined-outer-name,unused-import
from collections import Counter

from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_bundle_state_info
from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    design_project, emulated, reads, run_module)

UNKNOWN = "c0ffee" * 6 + "c0ff"  # a commit no project holds


def converged(node, keys):
    """Projects whose HEAD's bundle ("g" + 12 hex of HEAD) is exported; {key: HEAD}."""
    heads = {}
    for key in keys:
        project = design_project(node, key)
        heads[key] = project.get_project_git().log(count=1)["entries"][0]["commit"]
        project.export_bundle("g" + heads[key][:12])
    node.forget_calls()
    return heads


def read(capsys, node, checks, **params):
    failed, result = run_module(dataiku_bundle_state_info.main, capsys, node, check_mode=True,
                                project_keys=sorted(checks), commit_checks=checks, **params)
    assert not failed, result
    return result["projects"]


def per_project(node):
    """{project key: Counter of "GET /projects/K/<what>" templates} of the reads the node answered."""
    counts = {}
    for call in reads(node):
        key = call.split("/projects/", 1)[1].split("/", 1)[0]
        counts.setdefault(key, Counter())[call.replace("/" + key, "/K", 1)] += 1
    return counts


def test_a_converged_design_project_costs_four_reads_whatever_the_fleet(capsys, emulated):
    node = emulated("design", "https://dev.example.com")
    heads = converged(node, ["CHURN", "FRAUD", "SALES"])
    projects = read(capsys, node, {key: {"checkout_commit": head} for key, head in heads.items()})
    for key, head in heads.items():
        check = projects[key]["commit_check"]
        assert check["settled"] and check["verified"] and check["source"] == "checkout"
        assert check["bundle_id"] == "g" + head[:12] and check["head"] == head
        assert check["bundle_id"] in projects[key]["bundle_ids"]
    expected = Counter(["GET /projects/K", "GET /projects/K/bundles/exported", "GET /projects/K/git/status",
                        "GET /projects/K/git/actions/log"])  # HEAD's log names the commit being promoted
    assert per_project(node) == {key: expected for key in heads}
    assert node.writes() == []
    node.forget_calls()
    read(capsys, node, {"CHURN": {"checkout_commit": heads["CHURN"]}})
    assert per_project(node) == {"CHURN": expected}  # the same with one project as with three


def test_a_checkout_commit_the_project_does_not_hold_costs_one_more_read(capsys, emulated):
    node = emulated("design", "https://dev.example.com")
    heads = converged(node, ["CHURN"])
    check = read(capsys, node, {"CHURN": {"checkout_commit": UNKNOWN}})["CHURN"]["commit_check"]
    # As dataiku_project_commit decides: nothing to verify, settled unverified (the bundle is named after the
    # checkout), with the project's HEAD reported.
    assert check["settled"] and not check["verified"] and check["source"] == "none" and check["head"] == heads["CHURN"]
    assert per_project(node)["CHURN"]["GET /projects/K/git/actions/log"] == 2
    assert sum(per_project(node)["CHURN"].values()) == 5


def test_commits_the_module_must_report_are_not_settled(capsys, emulated):
    node = emulated("design", "https://dev.example.com")
    heads = converged(node, ["CHURN", "FRAUD"])
    projects = read(capsys, node, {"CHURN": {"commit": UNKNOWN}, "FRAUD": {"commit": heads["CHURN"]}})
    assert projects["CHURN"]["commit_check"] == {"settled": False, "options": {"commit": UNKNOWN}}  # not held
    assert projects["FRAUD"]["commit_check"]["settled"] is False  # another project's commit: not held either
    assert projects["CHURN"]["bundle_ids"] == ["g" + heads["CHURN"][:12]]


def test_a_gateway_failing_the_git_reads_leaves_the_check_to_the_module(capsys, emulated):
    node = emulated("design", "https://dev.example.com")
    heads = converged(node, ["CHURN"])
    node.faults.add("GET", r"/git/actions/log$", "503", times=10)
    projects = read(capsys, node, {"CHURN": {"checkout_commit": heads["CHURN"]}}, retries=0)
    assert projects["CHURN"]["commit_check"]["settled"] is False and projects["CHURN"]["exists"] is True
