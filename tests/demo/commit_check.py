"""The demo's git part: the design project's own git decides what is promoted (docs/project-git.md).

CHURN on dev gets a bare repository as its git remote (standing in for GitHub) and pushes its history; a reviewer
reverts the breaking commit on the remote. The promotion refuses to export while dev is not at the reviewed commit,
naming both commits; with dss_commit_check=pull it pulls the reviewed commit into dev and promotes exactly that.
"""

import os

from tests.support.git_remote import clone, git, new_bare_remote


def show_commit_check(land, banner, expect, play):
    banner("Git: CHURN on dev gets its own git remote; a reviewer reverts the breaking commit there")
    remote = new_bare_remote(land.workdir, "churn.git")
    repo = land.client("dev").get_project("CHURN").get_project_git()
    repo.set_remote(remote)
    expect(repo.push()["success"], "CHURN's DSS git history pushed to %s" % remote)
    breaking = repo.log(count=1)["entries"][0]
    review = clone(remote, os.path.join(land.workdir, "review"))
    git(review, "revert", "--no-edit", breaking["commit"])
    git(review, "push", "-q", "origin", "master")
    reviewed = git(review, "rev-parse", "HEAD")
    print("  dev is at %s (%s)\n  reviewed head of master: %s (revert)" % (
        breaking["commit"][:12], breaking["shortMessage"], reviewed[:12]))

    # Projects are hosts: this part promotes CHURN only (FRAUD's breaking commit of the previous part stays on dev).
    banner("Git: promote while dev is not at the reviewed commit: refused, naming both commits")
    digests = land.digests()
    result = play(land, "promote.yml", "--limit", "project_CHURN")
    expect(result.rc != 0 and breaking["commit"][:12] in result.output and reviewed[:12] in result.output,
           "the export is refused and the message names both commits")
    expect({env: d for env, d in land.digests().items() if env != "dev"} ==
           {env: d for env, d in digests.items() if env != "dev"}, "staging and prod untouched")

    banner("Git: promote with -e dss_commit_check=pull: dev pulls the reviewed commit, which is promoted")
    result = play(land, "promote.yml", "--limit", "project_CHURN", extra_vars={"dss_commit_check": "pull"})
    bundle = "g" + reviewed[:12]
    expect(result.rc == 0, "the promotion succeeds")
    expect(repo.log(count=1)["entries"][0]["commit"] == reviewed, "dev is at the reviewed commit")
    expect(land.active_bundle("prod") == bundle, "prod runs %s, named after the reviewed commit" % bundle)
