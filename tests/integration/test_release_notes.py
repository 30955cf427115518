"""Release notes of a promotion (plugins/module_utils/_bundle/release_notes.py) through real ansible-playbook runs against
emulator nodes: the commits and files between the bundle active on the automation node and the new one, read from
the design project's git, in the result and in the --check --diff of dataiku_bundle_deploy exactly as the real run
reports them; no git read when the bundle is already active; a note, not a failure, for a bundle naming no commit;
and the same for dataiku_bundle state=exported (changes since the previous exported bundle, default release notes)."""

# pylint: disable=redefined-outer-name

import pytest

from tests.support import sample_project as sample
from tests.support.real_node import require_emulator

KEY = sample.PROJECT_KEY
DEPLOY = "dataiku_gitops.dss.dataiku_bundle_deploy"
BUNDLE = "dataiku_gitops.dss.dataiku_bundle"


@pytest.fixture
def nodes(design_node, automation_node):
    require_emulator(design_node)
    require_emulator(automation_node)
    sample.seed_design_project(design_node.client())
    sample.seed_connection(automation_node.client(), "staging")
    return design_node, automation_node


def git_log(design, count=200):
    return design.client().get_project(KEY).get_project_git().log(count=count)["entries"]


def head(design):
    return git_log(design, 1)[0]["commit"]


def make_changes(design):
    """Two reviewed changes on the design project (each write is a commit in auto mode)."""
    client = design.client()
    sample.change_variable(client, 45)
    client.get_project(KEY).create_dataset("reviewed", "PostgreSQL", params={
        "connection": "pg_dev", "mode": "table", "schema": "crm", "table": "reviewed"})


def commits_between(design, old, new):
    """The design project's commits after ``old`` up to ``new``, newest first, as the official client reads them."""
    shas = [e["commit"] for e in git_log(design)]
    return shas[shas.index(new):shas.index(old)]


def deploy_task(design, auto, bundle_id):
    return {"name": "deploy", DEPLOY: dict(
        url=auto.url, api_key="{{ auto_key }}", project_key=KEY, bundle_id=bundle_id, lock_owner="run-1",
        source={"url": design.url, "api_key": "{{ design_key }}"}, connections={"pg_dev": "pg_staging"})}


def export_task(design, bundle_id):
    return {"name": "export", BUNDLE: dict(url=design.url, api_key="{{ design_key }}", project_key=KEY,
                                           bundle_id=bundle_id, state="exported")}


def run(playbook, design, auto, tasks, **kwargs):
    result = playbook(tasks=tasks, extra_vars={"auto_key": auto.api_key, "design_key": design.api_key}, **kwargs)
    assert result.rc == 0, result
    assert auto.api_key not in result.output and design.api_key not in result.output
    return result


def calls_during(node, action):
    """Run ``action`` and return the API calls ``node`` received meanwhile ("METHOD path")."""
    before = sum(node.stats()["requests"].values())
    action()
    stats = node.stats()
    count = sum(stats["requests"].values()) - before
    assert count <= len(stats["calls"])
    return stats["calls"][len(stats["calls"]) - count:] if count else []


def test_deploy_shows_the_commits_and_files_between_the_active_and_the_new_bundle(nodes, playbook):
    design, auto = nodes
    first = head(design)
    design.client().get_project(KEY).export_bundle("g" + first[:12])  # named after its commit, no release notes
    initial = run(playbook, design, auto, [deploy_task(design, auto, "g" + first[:12])]).task("deploy")["result"]
    assert initial["changes"]["from_bundle_id"] is None and initial["changes"]["to_commit"] == first, initial["changes"]
    assert "No earlier bundle to compare with" in initial["changes"]["note"]
    assert initial["changes"]["commits"][0]["commit"] == first

    make_changes(design)
    second = head(design)
    # Named freely, mapped to its commit by the release notes bundle_export writes ("<sha> <subject>").
    design.client().get_project(KEY).export_bundle("v2", release_notes="%s Reviewed changes" % second)
    expected = commits_between(design, first, second)
    assert len(expected) >= 2

    digests, writes = (auto.digest(), design.digest()), (auto.writes(), design.writes())
    plan = run(playbook, design, auto, [deploy_task(design, auto, "v2")], check=True, diff=True)
    assert (auto.digest(), design.digest()) == digests and (auto.writes(), design.writes()) == writes
    predicted = plan.task("deploy")["result"]
    changes = predicted["changes"]
    assert (changes["from_bundle_id"], changes["to_bundle_id"]) == ("g" + first[:12], "v2")
    assert (changes["from_commit"], changes["to_commit"], changes["direction"]) == (first, second, "forward")
    assert [c["commit"] for c in changes["commits"]] == expected
    assert all(c["author"] and c["date"].endswith("Z") and c["message"] for c in changes["commits"])
    paths = {f["path"]: f["change"] for f in changes["files"]}
    assert paths["datasets/reviewed.json"] == "ADD" and any("variables" in p for p in paths), paths
    assert changes["added_lines"] > 0 and changes["truncated"] is False and changes["note"] is None
    shown = predicted["diff"]
    assert shown["before"]["changes"] == {"commit": first[:12]}
    assert shown["after"]["changes"]["commit"] == second[:12]
    assert [line.split()[0] for line in shown["after"]["changes"]["commits"]] == [sha[:7] for sha in expected]
    assert "A datasets/reviewed.json" in shown["after"]["changes"]["files_changed"]

    real = run(playbook, design, auto, [deploy_task(design, auto, "v2")], diff=True)
    done = real.task("deploy")["result"]
    assert done["changed"] and done["active_bundle_id"] == "v2"
    assert done["changes"] == predicted["changes"] and done["diff"] == predicted["diff"]

    # Converged: the bundle is active, nothing is read on the design node (no git log, no diff).
    calls = calls_during(design, lambda: run(playbook, design, auto, [deploy_task(design, auto, "v2")], diff=True))
    assert not [c for c in calls if "/git/" in c], calls

    # One run, three deployments in order: a bundle that names no commit (a clear note, the deployment goes on);
    # from it back to the first bundle (the note names b3); then v4, mapped to the second commit.
    sample.change_variable(design.client(), 50)
    design.client().get_project(KEY).export_bundle("b3")
    design.client().get_project(KEY).export_bundle("v4", release_notes=second)
    steps = run(playbook, design, auto, [dict(deploy_task(design, auto, "b3"), name="unmapped"),
                                         dict(deploy_task(design, auto, "g" + first[:12]), name="back"),
                                         dict(deploy_task(design, auto, "v4"), name="v4")], diff=True)
    unmapped = steps.task("unmapped")["result"]
    assert unmapped["changed"] and unmapped["active_bundle_id"] == "b3"
    assert unmapped["changes"]["note"].startswith("Bundle b3 names no commit")
    assert unmapped["changes"]["commits"] == [] and unmapped["diff"]["after"]["changes"]["note"]
    back = steps.task("back")["result"]
    assert back["changes"]["note"].startswith("Bundle b3 names no commit")
    assert steps.task("v4")["result"]["active_bundle_id"] == "v4"

    # A roll-back between mapped bundles lists the commits that go away.
    rolled = run(playbook, design, auto, [deploy_task(design, auto, "g" + first[:12])], check=True, diff=True)
    changes = rolled.task("deploy")["result"]["changes"]
    assert changes["direction"] == "backward" and [c["commit"] for c in changes["commits"]] == expected
    assert len(rolled.task("deploy")["result"]["diff"]["before"]["changes"]["commits"]) == len(expected)


def test_export_shows_the_commits_since_the_previous_bundle_and_writes_them_as_default_notes(nodes, playbook):
    design, auto = nodes
    first = head(design)
    run(playbook, design, auto, [export_task(design, "g" + first[:12])])
    make_changes(design)
    second = head(design)
    expected = commits_between(design, first, second)

    digest, writes = design.digest(), design.writes()
    plan = run(playbook, design, auto, [export_task(design, "g" + second[:12])], check=True, diff=True)
    assert (design.digest(), design.writes()) == (digest, writes)
    predicted = plan.task("export")["result"]
    assert (predicted["changes"]["from_commit"], predicted["changes"]["to_commit"]) == (first, second)
    assert [c["commit"] for c in predicted["changes"]["commits"]] == expected
    assert predicted["diff"]["after"]["changes"]["commit"] == second[:12]

    real = run(playbook, design, auto, [export_task(design, "g" + second[:12])], check=False, diff=True)
    done = real.task("export")["result"]
    assert done["changes"] == predicted["changes"] and done["diff"] == predicted["diff"]
    bundles = design.client().get_project(KEY).list_exported_bundles()["bundles"]
    notes = bundles[-1]["exportManifest"]["exportUserInfo"]["releaseNotes"]
    assert notes.startswith(second + " ") and "Changes since bundle g%s (%s):" % (first[:12], first[:12]) in notes
    assert notes.count("\n- ") == len(expected)

    # Exported already: no git read, no changes key.
    calls = calls_during(design, lambda: run(playbook, design, auto, [export_task(design, "g" + second[:12])]))
    again = [c for c in calls if "/git/" in c]
    assert not again, calls
