"""docs/ci/ templates are valid for their CI and hardened: the published schemas (check-jsonschema's vendored
GitHub workflow and GitLab CI schemas), zizmor's audits, and the rules the templates' header promises (actions
pinned by commit, no persisted checkout credentials, secrets only in environment-protected jobs, read-only keys for
pull request plans, one deployment per environment at a time)."""

import json
import os
import re
import subprocess
import sys

import yaml

from tests.support.collection import ROOT

BIN = os.path.dirname(sys.executable)
GITHUB = os.path.join(ROOT, "docs", "ci", "github-actions.yml")
GITLAB = os.path.join(ROOT, "docs", "ci", "gitlab-ci.yml")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
SECRET = re.compile(r"\$\{\{\s*secrets\.")


def _run(*cmd):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _workflow():
    with open(GITHUB, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_templates_match_the_published_schemas():
    for schema, path in (("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)):
        rc, output = _run(os.path.join(BIN, "check-jsonschema"), "--builtin-schema", schema, path)
        assert rc == 0, output


def test_zizmor_finds_nothing():
    rc, output = _run(os.path.join(BIN, "zizmor"), "--offline", "--format", "json", GITHUB)
    findings = json.loads(output[output.index("["):output.rindex("]") + 1])
    assert rc == 0 and findings == [], output


def test_actions_pinned_by_commit_and_checkout_keeps_no_credentials():
    steps = [step for job in _workflow()["jobs"].values() for step in job["steps"] if "uses" in step]
    assert steps
    for step in steps:
        assert PINNED.match(step["uses"]), step["uses"]
        if step["uses"].startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_secrets_only_in_environment_jobs_and_plans_read_only():
    workflow = _workflow()
    assert not SECRET.search(json.dumps(workflow.get("env") or {}))
    for name, job in workflow["jobs"].items():
        if SECRET.search(json.dumps(job)):
            assert job.get("environment"), "%s uses secrets outside an environment" % name
    plan = workflow["jobs"]["plan"]
    keys = [v for v in plan["env"].values() if SECRET.search(v)]
    assert keys and all("_PLAN_API_KEY" in v for v in keys), keys


def test_one_deployment_per_environment_at_a_time():
    jobs = _workflow()["jobs"]
    groups = {}
    for name, job in jobs.items():
        if name != "plan":
            assert job["concurrency"]["cancel-in-progress"] is False, name
            groups[job["environment"]] = job["concurrency"]["group"]
    assert len(set(groups.values())) == len(groups) == 2, groups
    with open(GITLAB, encoding="utf-8") as fh:
        pipeline = yaml.safe_load(fh)
    deploys = [job for job in pipeline.values() if isinstance(job, dict) and "environment" in job]
    assert len({job["resource_group"] for job in deploys}) == len(deploys) == 2
