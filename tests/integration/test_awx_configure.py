"""playbooks/awx/configure.yml: valid, lint-clean, and the workflow it declares is the promotion the roles implement.

There is no AWX here: the graph, the job templates and the other objects are checked on what the playbook sends
(the filter dataiku_gitops.dss.awx_objects on its variables), one real run proves the wiring up to the controller,
the bundle-id hand-over is checked on the roles' own set_stats tasks."""

import os
import re
import shutil
import socket
import subprocess
import sys

import yaml

from tests.support import awx_injection
from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils import awx_objects
from tests.support.collection import COLLECTIONS_ROOT, ROOT, ensure_collection_link

CONFIGURE = os.path.join(ROOT, "playbooks", "awx", "configure.yml")
BIN = os.path.dirname(sys.executable)
ENVIRON = {"DSS_AWX_SCM_URL": "https://git.example.com/data/dss-gitops.git",
           "DSS_DEV_URL": "https://dss-dev.example.com", "DSS_DEV_API_KEY": "dev-key-4f1c9a",
           "DSS_STAGING_URL": "https://dss-staging.example.com", "DSS_STAGING_API_KEY": "staging-key-7d2e0b",
           "DSS_PROD_URL": "https://dss-prod.example.com", "DSS_PROD_API_KEY": "prod-key-93ab51"}


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _play():
    return _load(CONFIGURE)[0]


def _objects():
    """What the playbook's tasks send to AWX: the filter applied to the play's variables (those of an AWX-less
    run: the credential types file as the play loads it) and a complete DSS_* environment."""
    return awx_objects.build({"dss_awx_credential_types": list(awx_injection.credential_types().values())}, ENVIRON)


def _env():
    ensure_collection_link()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, PATH=BIN + os.pathsep + os.environ["PATH"])
    return env


def test_syntax_check_and_production_lint():
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", CONFIGURE], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The production lint of these files is `make lint` (part of `make test`: ansible-lint of the whole repository
    # with .ansible-lint): not run a second time here, but nothing may take them out of it.
    config = _load(os.path.join(ROOT, ".ansible-lint"))
    assert config["profile"] == "production"
    excluded = [p.rstrip("/") for p in config.get("exclude_paths", [])]
    for path in ("playbooks/awx", "extensions"):
        assert not [e for e in excluded if path == e or path.startswith(e + "/") or e.startswith(path + "/")], path


def test_no_secret_in_clear():
    play = _play()
    credential_tasks = [t for t in play["tasks"] if "awx.awx.credential" in t]
    assert len(credential_tasks) == 1 and credential_tasks[0].get("no_log") is True
    # the keys reach AWX from the environment only: what the credential task sends holds them, the playbook does not
    credentials = {c["name"]: c for c in _objects()["credentials"]}
    for env in ("dev", "staging", "prod"):
        assert credentials["DSS %s node" % env]["inputs"]["api_key"] == ENVIRON["DSS_%s_API_KEY" % env.upper()]
    assert credentials["DSS bundle source"]["inputs"]["api_key"] == ENVIRON["DSS_DEV_API_KEY"]
    text = open(CONFIGURE, encoding="utf-8").read()
    assert "api_key" not in text and "API_KEY=..." in text


def _workflow_chain(nodes):
    by_id = {n["identifier"]: n for n in nodes}
    children = {c["identifier"] for n in nodes for c in n.get("related", {}).get("success_nodes", [])}
    roots = [n for n in nodes if n["identifier"] not in children]
    assert len(roots) == 1
    chain, node = [], roots[0]
    while node:
        chain.append(node)
        nxt = node.get("related", {}).get("success_nodes", [])
        assert len(nxt) <= 1 and not node.get("related", {}).get("failure_nodes") and not node.get("related", {}).get("always_nodes")
        node = by_id[nxt[0]["identifier"]] if nxt else None
    assert len(chain) == len(nodes)
    return chain


def test_workflow_is_export_approval_staging_approval_prod():
    objects = _objects()
    templates = {jt["name"]: jt for jt in objects["job_templates"]}
    workflow = objects["workflow"]
    chain = _workflow_chain(workflow["workflow_nodes"])
    assert [n["identifier"] for n in chain] == ["export-dev", "approve-staging", "deploy-staging", "approve-prod",
                                                "deploy-prod"]
    kinds = [n["unified_job_template"]["type"] for n in chain]
    assert kinds == ["job_template", "workflow_approval", "job_template", "workflow_approval", "job_template"]
    for node in chain[1::2]:
        assert node["unified_job_template"]["timeout"]
    jobs = [templates[n["unified_job_template"]["name"]] for n in chain[0::2]]
    assert [(j["inventory"], j["job_type"]) for j in jobs] == [("DSS dev", "run"), ("DSS staging", "run"),
                                                               ("DSS prod", "run")]
    assert jobs[0]["playbook"] == jobs[1]["playbook"] == jobs[2]["playbook"] == "playbooks/promote.yml"
    assert os.path.isfile(os.path.join(ROOT, jobs[0]["playbook"]))
    # deploy jobs stream the bundle from the design node: they carry the bundle-source credential too
    for job in jobs[1:]:
        assert job["credentials"] == ["DSS %s node" % job["inventory"].split(" ", 1)[1], "DSS bundle source"]


def test_plans_run_in_check_mode_with_diff():
    templates = {jt["name"]: jt for jt in _objects()["job_templates"]}
    for name in ("DSS plan export dev", "DSS plan deploy staging", "DSS plan deploy prod"):
        plan = templates[name]
        run = templates[name.replace("plan ", "")]
        assert plan["job_type"] == "check" and plan["diff_mode"] is True
        assert {k: v for k, v in plan.items() if k not in ("name", "job_type", "diff_mode", "description")} == \
            {k: v for k, v in run.items() if k not in ("name", "job_type", "diff_mode", "description")}
    for env in ("staging", "prod"):
        assert templates["DSS rollback %s" % env]["playbook"] == "playbooks/rollback.yml"
    assert os.path.isfile(os.path.join(ROOT, "playbooks", "rollback.yml"))
    assert {t["ask_variables_on_launch"] for t in templates.values()} == {True}


def test_one_credential_and_inventory_per_environment():
    objects = _objects()
    envs = [inventory["name"].split(" ", 1)[1] for inventory in objects["inventories"]]
    assert envs == ["dev", "staging", "prod"]
    for env, source in zip(envs, objects["inventory_sources"]):
        assert os.path.isfile(os.path.join(ROOT, "inventories", env, "hosts.yml"))
        assert source["source"] == "scm" and source["source_path"] == "inventories/%s/hosts.yml" % env
        assert source["inventory"] == "DSS %s" % env
    used_types = {c["credential_type"] for c in objects["credentials"]}
    assert used_types == set(awx_injection.credential_types())


def _set_stats_keys(tasks_file):
    keys = set()
    for task in _load(tasks_file) or []:
        for nested in task.get("block", []) + task.get("rescue", []) + task.get("always", []) + [task]:
            stats = nested.get("ansible.builtin.set_stats")
            if stats:
                assert not stats.get("per_host", False), "AWX only keeps set_stats with per_host: false"
                keys.update(stats["data"])
    return keys


def test_bundle_id_flows_from_export_to_deploy():
    exported = _set_stats_keys(os.path.join(ROOT, "roles", "bundle_export", "tasks", "export.yml"))
    assert "dss_bundle_id" in exported
    # promote.yml's planning plays hand it on once for the play, also when every project is converged (a re-run of
    # the workflow): the design one and each automation one end with tasks/plan_output.yml, which has no end_host
    plays = _load(os.path.join(ROOT, "playbooks", "promote.yml"))
    planning = [p for p in plays if p["name"].startswith("Plan the ")]
    assert [p["hosts"] for p in planning] == ["dss_design", "staging:&dss_automation", "prod:&dss_automation"]
    output = _load(os.path.join(ROOT, "playbooks", "tasks", "plan_output.yml"))
    handed_on = [t for t in output if "ansible.builtin.set_stats" in t][0]
    assert "dss_bundle_id" in handed_on["ansible.builtin.set_stats"]["data"] and handed_on["run_once"]
    assert not any("ansible.builtin.meta" in t for t in output)
    assert "plan_output.yml" in str(planning[0]["tasks"])
    assert "plan_output.yml" in open(os.path.join(ROOT, "playbooks", "tasks", "plan_deploy.yml"), encoding="utf-8").read()
    # the deploy plays take the id from extra vars when the design host is not part of the run (AWX deploy jobs)
    deploy_tasks = open(os.path.join(ROOT, "playbooks", "tasks", "plan_deploy.yml"), encoding="utf-8").read()
    assert "dss_bundle_id | default(" in deploy_tasks
    assert "dss_bundle_id" in _set_stats_keys(os.path.join(ROOT, "roles", "bundle_deploy", "tasks", "main.yml"))


def test_self_contained_and_declares_the_collections_it_uses():
    # an installed collection keeps playbooks/, not necessarily extensions/: read nothing outside playbooks/awx
    text = open(CONFIGURE, encoding="utf-8").read()
    reads = re.findall(r"lookup\('ansible\.builtin\.file', ([^)]+)\)", text)
    assert reads == ["playbook_dir ~ '/files/credential_types.yml'"], reads
    # the filter reads one file: the CA certificate a DSS_<ENV>_CA_FILE names
    read = []
    awx_objects.build({}, dict(ENVIRON, DSS_PROD_CA_FILE="/etc/pki/dss-ca.pem"),
                      read_text=lambda path: read.append(path) or "PEM")
    assert read == ["/etc/pki/dss-ca.pem"]
    assert "vars_files" not in text and "include_vars" not in text
    used = {name.rsplit(".", 1)[0] for task in _play()["tasks"] for name in task if name.count(".") == 2}
    used |= {group.split("/", 1)[1].rsplit(".", 1)[0] for group in _play()["module_defaults"]}
    declared = {c["name"] for c in _load(os.path.join(ROOT, "playbooks", "awx", "requirements.yml"))["collections"]}
    assert used - {"ansible.builtin"} == declared == {"awx.awx"}
    galaxy = _load(os.path.join(ROOT, "galaxy.yml"))
    assert not galaxy.get("dependencies"), "awx.awx is for this optional playbook only, not for every install"


def test_job_templates_never_run_twice_at_once():
    objects = _objects()
    assert len(objects["job_templates"]) == 8
    assert {t["allow_simultaneous"] for t in objects["job_templates"]} == {False}
    assert objects["workflow"]["allow_simultaneous"] is False


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_run_checks_the_inputs_then_talks_to_the_controller_it_is_given(tmp_path, playbook):
    """The playbook as ansible-playbook runs it, AWX unreachable: the inputs check passes, the controller options of
    the variables reach the awx.awx modules, the injector templates reach them unrendered, no secret is printed."""
    shutil.copytree(os.path.join(ROOT, "playbooks", "awx", "files"), tmp_path / "files")
    port, token = _closed_port(), "controller-token-5be7c1"
    env = dict(ENVIRON, CONTROLLER_HOST="", CONTROLLER_OAUTH_TOKEN="")
    with open(CONFIGURE, encoding="utf-8") as fh:
        result = playbook(playbook=fh.read(), env=env, args=("-vvv",), extra_vars={
            "dss_awx_controller_host": "http://127.0.0.1:%d" % port, "dss_awx_controller_token": token})
    assert result.rc != 0
    assert [t["status"] for t in result.tasks] == ["ok", "failed"], result
    created = result.tasks[1]["result"]["results"]
    assert [r["item"] for r in created] == list(awx_injection.credential_types().values())
    for item in created:
        assert "http://127.0.0.1:%d/api/v2/credential_types/?name=" % port in item["msg"]
    for secret in [token] + [v for k, v in ENVIRON.items() if k.endswith("_API_KEY")]:
        assert secret not in result.output
