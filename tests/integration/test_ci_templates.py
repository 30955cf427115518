"""docs/ci/ templates, exercised: the plan and promote steps' shell commands, taken verbatim from the YAML, run
against three emulator nodes with the CI-provided variables substituted (secrets, URLs, $GITHUB_STEP_SUMMARY,
commit sha), in a workspace that looks like a CI checkout of this repository (one per template).

Both templates go through one pull request on one landscape (a promotion costs about 10 CPU seconds): GitHub's plan
step plans it, then GitLab's staging job downloads the plan and applies it and GitHub's prod job applies the prod part
of it. The two templates' plan commands are the same command, and so are their apply commands (checked word for word,
with the same Ansible settings), so each runs once: GitLab's plan job is that command alone (`| tee plan.txt`), whose
files GitHub's plan step leaves too; the job that does not run an apply command is checked to give it the variables
it needs."""

import contextlib
import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import threading

import pytest
import yaml

from tests.support import landscape
from tests.support.collection import ROOT
from tests.support.promotion import ENVIRONMENTS

GITHUB = os.path.join(ROOT, "docs", "ci", "github-actions.yml")
GITLAB = os.path.join(ROOT, "docs", "ci", "gitlab-ci.yml")
VENV_BIN = os.path.dirname(sys.executable)  # the test venv: ansible-playbook as the install step provides it
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def run_shell(script, env, cwd):
    """What both CIs do with a bash step: bash -eo pipefail (GitHub `shell: bash`, GitLab's bash executor)."""
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def workspace(path):
    """A CI checkout: the repository's top-level entries (symlinked), without .build (the install steps create it)."""
    path.mkdir()
    for name in os.listdir(ROOT):
        if name not in (".build", ".git", ".venv"):
            os.symlink(os.path.join(ROOT, name), str(path / name))
    return str(path)


def install_lines(lines):
    """The install commands except pip (the test venv already has the pinned packages): the collection link."""
    return "\n".join(line for line in lines if not line.lstrip().startswith("python -m pip"))


def base_env(land):
    """The runner's environment: tools on PATH, no DSS settings of the developer's shell, and git pointed at the
    landscape's repository (its HEAD is the commit being promoted)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSS_", "DATAIKU_", "ANSIBLE_"))}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["GIT_DIR"] = os.path.join(land.git_dir, ".git")
    return env


def head(land):
    return land.git("rev-parse", "HEAD")


def leaked(land, *texts):
    return [key for key in land.api_keys() if any(key in text for text in texts)]


# -- GitHub Actions -------------------------------------------------------------------------------------------------

def github_context(land, workspace):
    values = {"github.workspace": workspace}
    for env, node in land.nodes.items():
        values["vars.DSS_%s_URL" % env.upper()] = node.url
        values["secrets.DSS_%s_API_KEY" % env.upper()] = node.api_key
        # the plan's read-only keys: the emulator has no read-only users, the same key stands in
        values["secrets.DSS_%s_PLAN_API_KEY" % env.upper()] = node.api_key
    return values


def github_env(workflow, job_name, step, context):
    """Workflow, job and step `env:` with their ${{ }} expressions resolved; any other expression fails the test
    (the templates must stay simple enough to run outside GitHub)."""
    def resolve(value):
        def one(match):
            assert match.group(1) in context, "unexpected expression in %s: %s" % (job_name, match.group(0))
            return context[match.group(1)]
        return GITHUB_EXPRESSION.sub(one, str(value))

    merged = {}
    for scope in (workflow, workflow["jobs"][job_name], step):
        merged.update({k: resolve(v) for k, v in (scope.get("env") or {}).items()})
    return merged


def github_step(workflow, job_name, step_id):
    steps = [s for s in workflow["jobs"][job_name]["steps"] if s.get("id") == step_id]
    assert len(steps) == 1, (job_name, step_id)
    return steps[0]


def run_github_step(land, workspace, workflow, job_name, step_id, **extra_env):
    step = github_step(workflow, job_name, step_id)
    env = dict(base_env(land), **github_env(workflow, job_name, step, github_context(land, workspace)))
    env.update(extra_env)
    return run_shell(step["run"], env, workspace)


# -- GitLab CI ------------------------------------------------------------------------------------------------------

def gitlab_env(land, workspace, pipeline, job_name):
    """Predefined variables, CI/CD settings variables (URLs and masked keys), then the file's `variables:`
    ($VAR references expanded like GitLab does)."""
    env = dict(base_env(land), CI_PROJECT_DIR=workspace, CI_COMMIT_SHA=head(land), CI_DEFAULT_BRANCH="main")
    env.update(land.env())
    for scope in (pipeline.get("variables") or {}, pipeline[job_name].get("variables") or {}):
        for name, value in scope.items():
            env[name] = re.sub(r"\$\{?(\w+)\}?", lambda m: env[m.group(1)], str(value))
    return env


def run_gitlab_job(land, workspace, pipeline, job_name, extra_env=None):
    env = dict(gitlab_env(land, workspace, pipeline, job_name), **(extra_env or {}))
    return run_shell("\n".join(pipeline[job_name]["script"]), env, workspace)


ARTIFACT_TOKEN = "job-token-%s" % os.urandom(4).hex()


@contextlib.contextmanager
def artifacts_api(text, ref):
    """GitLab's "download a single artifact file by reference name" route for the plan job's plan.json, answering
    only the job token; yields the API's base URL."""
    route = "/projects/42/jobs/artifacts/%s/raw/dss-plan/plan.json?job=plan" % ref

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # pylint: disable=invalid-name
            ok = self.path == route and self.headers.get("JOB-TOKEN") == ARTIFACT_TOKEN
            body = text.encode("utf-8") if ok else b"404 Not Found"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# -- Static: triggers, gates, the commands both templates share -----------------------------------------------------


def apply_command(script):
    """The ansible-playbook command of a job's script or a step's run block, as words."""
    lines = [line for line in script.replace("\\\n", " ").splitlines() if line.strip().startswith("ansible-playbook")]
    assert len(lines) == 1, script
    return shlex.split(lines[0])


def plan_command(script):
    """The plan's ansible-playbook command of a job's script or a step's run block, up to its `| tee plan.txt`."""
    words = apply_command(script)
    return words[:words.index("|") + 3]


def ansible_settings(variables, workspace_reference):
    """The ANSIBLE_* variables of a template's `env:` or `variables:`, its workspace reference made one name."""
    return {k: str(v).replace(workspace_reference, "<workspace>") for k, v in variables.items()
            if k.startswith("ANSIBLE_")}


def test_ci_templates_triggers_gates_and_shared_apply_commands():
    workflow, pipeline = load(GITHUB), load(GITLAB)
    triggers = workflow["on"]
    assert set(triggers) == {"pull_request", "push"} and triggers["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert "pull_request" in jobs["plan"]["if"] and "push" in jobs["promote-staging"]["if"]
    assert jobs["promote-prod"]["needs"] == "promote-staging" and jobs["promote-prod"]["environment"] == "prod"
    # One concurrency group per environment, deployments never cancelled; a newer plan replaces the older one.
    assert [(jobs[j]["concurrency"]["group"], jobs[j]["concurrency"]["cancel-in-progress"])
            for j in ("promote-staging", "promote-prod")] == [("dss-staging", False), ("dss-prod", False)]
    assert jobs["plan"]["concurrency"]["cancel-in-progress"] is True
    assert workflow["defaults"]["run"]["shell"] == "bash"
    upload = [s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")][0]
    assert upload["with"]["path"].split() == ["dss-plan/plan.json", "dss-plan/plan.md"]
    assert [s["with"]["path"] for j in ("promote-staging", "promote-prod") for s in jobs[j]["steps"]
            if s.get("uses", "").startswith("actions/download-artifact@")] == ["dss-plan", "dss-plan"]

    assert pipeline["stages"] == ["plan", "staging", "prod"]
    assert pipeline["plan"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    prod = pipeline["promote-prod"]
    assert prod["rules"][0]["when"] == "manual" and prod["allow_failure"] is False
    assert prod["needs"] == ["promote-staging"] and prod["environment"]["name"] == "prod"
    assert (pipeline["promote-staging"]["resource_group"], prod["resource_group"]) == ("dss-staging", "dss-prod")
    assert pipeline["plan"]["artifacts"]["paths"] == ["plan.txt", "dss-plan/plan.json", "dss-plan/plan.md"]
    assert pipeline["promote-staging"]["artifacts"]["paths"] == ["dss-plan/plan.json"]

    # GitLab's plan job is GitHub's plan command alone, with the same Ansible settings: the run below runs it once
    # (GitHub's plan step, which also tees it to plan.txt).
    assert len(pipeline["plan"]["script"]) == 1 and plan_command(pipeline["plan"]["script"][0]) == apply_command(
        pipeline["plan"]["script"][0]), pipeline["plan"]["script"]
    assert plan_command(github_step(workflow, "plan", "plan")["run"]) == plan_command(pipeline["plan"]["script"][0])
    assert ansible_settings(workflow["env"], "${{ github.workspace }}") == ansible_settings(
        pipeline["variables"], "$CI_PROJECT_DIR") != {}

    # The apply commands are the same in both templates: the run below runs each once (GitLab's staging job,
    # GitHub's prod step); the other template's job must give it the URL and key of every environment it names.
    context = {name: "x" for name in ["github.workspace"] + ["%s.DSS_%s_%s" % (kind, env.upper(), what)
                                                             for kind, what in (("vars", "URL"),
                                                                                ("secrets", "API_KEY"),
                                                                                ("secrets", "PLAN_API_KEY"))
                                                             for env in ENVIRONMENTS]}
    for job, gitlab_job in (("promote-staging", "promote-staging"), ("promote-prod", "promote-prod")):
        step = github_step(workflow, job, "promote")
        command = apply_command(step["run"])
        assert command == apply_command("\n".join(pipeline[gitlab_job]["script"])), job
        inventories = [command[i + 1].split("/")[-1] for i, word in enumerate(command) if word == "-i"]
        env = github_env(workflow, job, step, context)
        assert inventories and all("DSS_%s_URL" % e.upper() in env and "DSS_%s_API_KEY" % e.upper() in env
                                   for e in inventories + ["dev"]), (job, sorted(env))


# -- One pull request through both templates ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def land(tmp_path_factory):
    """The seeded landscape (the session's, restored on this process's nodes: no seeding run of its own)."""
    return landscape.restored(landscape.SEEDED, tmp_path_factory.mktemp("ci-templates") / "landscape",
                              tmp_path_factory)


def test_github_actions_and_gitlab_ci_templates_run_as_written(tmp_path, land):
    workflow, pipeline = load(GITHUB), load(GITLAB)
    jobs = workflow["jobs"]
    github_ws, gitlab_ws = workspace(tmp_path / "github"), workspace(tmp_path / "gitlab")

    # GitHub: the install step's collection link, then the plan: it lands in the job summary, nothing is written to
    # the nodes.
    install = [s for s in jobs["plan"]["steps"] if s.get("name", "").startswith("Install")][0]
    env = dict(base_env(land), **github_env(workflow, "plan", install, github_context(land, github_ws)))
    rc, output = run_shell(install_lines(install["run"].splitlines()), env, github_ws)
    assert rc == 0, output
    summary = tmp_path / "step-summary.md"
    digests = land.digests()
    rc, output = run_github_step(land, github_ws, workflow, "plan", "plan", GITHUB_STEP_SUMMARY=str(summary))
    assert rc == 0, output[-4000:]
    assert land.digests() == digests
    text = summary.read_text(encoding="utf-8")
    # The saved plan's Markdown summary first, then the tasks; plan.json and plan.md are what the upload step takes.
    plan = json.loads(open(os.path.join(github_ws, "dss-plan", "plan.json"), encoding="utf-8").read())
    assert text.startswith("### DSS promotion plan `%s`" % plan["plan_id"][7:19]), text[:3000]
    assert text.startswith(open(os.path.join(github_ws, "dss-plan", "plan.md"), encoding="utf-8").read())
    assert "### What each task would change" in text
    for host in ("staging-CHURN", "prod-CHURN"):
        assert re.search(r"^\| %s \| Deploy, test and certify the bundle on CHURN \|$" % host, text, re.M), text[:3000]
        assert re.search(r"^%s\s+: ok=\d+\s+changed=[1-9]" % host, text, re.M), text[:3000]
    assert "Full plan with diffs" in text and "PLAY RECAP" in text
    assert not leaked(land, text, output)
    # The files GitLab's plan job keeps as its artifacts (the same command): the plan's output, and the plan.
    assert all(os.path.isfile(os.path.join(github_ws, path)) for path in pipeline["plan"]["artifacts"]["paths"])
    with open(os.path.join(github_ws, "plan.txt"), encoding="utf-8") as fh:
        plan_txt = fh.read()
    assert "PLAY RECAP" in plan_txt and re.search(r"^changed: \[prod-CHURN\]", plan_txt, re.M)
    assert plan_txt in text  # the summary's full plan
    with open(os.path.join(github_ws, "dss-plan", "plan.json"), encoding="utf-8") as fh:
        plan_text = fh.read()

    # A failing plan fails the step although its output is piped through tee, and the summary says why. The design
    # node refuses the key: the run stops at its first read (a later failure would only cost more planning first).
    failed_summary = tmp_path / "failed-summary.md"
    rc, output = run_github_step(land, github_ws, workflow, "plan", "plan", GITHUB_STEP_SUMMARY=str(failed_summary),
                                 DSS_DEV_API_KEY="not-the-dev-key")
    assert rc != 0, output[-2000:]
    text = failed_summary.read_text(encoding="utf-8")
    assert "The plan failed" in text and re.search(r"^    fatal: \[dev-CHURN\]", text, re.M), text[:3000]
    assert not leaked(land, text, output)

    # GitLab: before_script's collection link (its default branch pipeline starts from a fresh checkout). The merge
    # request's plan is the one above: its plan job runs the same command.
    rc, output = run_shell(install_lines(pipeline["default"]["before_script"]), base_env(land), gitlab_ws)
    assert rc == 0, output
    assert not leaked(land, plan_txt, output)

    # The merge (GitHub's push to main, GitLab's default branch): the plan names the pull request's bundle, not the
    # merge commit's. GitLab's staging job downloads the merge request's plan (a stand-in for GitLab's job artifacts
    # API) and applies its dev and staging part.
    bundle_id = plan["bundle_id"]
    assert bundle_id == "g" + head(land)[:12]
    land.commit("Merge branch 'churn' into 'main'\n\nSee merge request data/dss-fleet!7")
    with artifacts_api(plan_text, "refs%2Fmerge-requests%2F7%2Fhead") as api_url:
        env = {"CI_API_V4_URL": api_url, "CI_PROJECT_ID": "42", "CI_JOB_TOKEN": ARTIFACT_TOKEN,
               "CI_COMMIT_MESSAGE": land.git("log", "-1", "--format=%B")}
        rc, output = run_gitlab_job(land, gitlab_ws, pipeline, "promote-staging", env)
    assert rc == 0, output[-4000:]
    assert "Every node holds the state of plan %s" % plan["plan_id"] in output
    assert (land.active_bundle("staging"), land.active_bundle("prod")) == (bundle_id, None)

    # Then GitHub's prod job applies the prod part of its plan (the same plan).
    rc, output2 = run_github_step(land, github_ws, workflow, "promote-prod", "promote")
    assert rc == 0, output2[-4000:]
    assert land.active_bundle("prod") == bundle_id
    assert {env: land.active_bundle(env) for env in ENVIRONMENTS if env != "dev"} == {"staging": bundle_id,
                                                                                      "prod": bundle_id}
    assert not leaked(land, output, output2)
