"""The Project Deployer route records its preflight gates' decision on the automation node, as the direct route does
with its lock, so the status table shows it on both routes: one real ansible-playbook run of dataiku_deployment with
tests (the promotion's deployer route), then a re-run that writes nothing."""

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils._filters.status_table import status_table
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._bundle import state_read
from tests.integration.deployer_setup import deployer_ready
from tests.integration.test_preflight_gates import DEPLOYMENT, FAILING, KEY, scope_checks
from tests.support.playbook import run_cases
from tests.support.real_node import require_emulator


def test_the_deployer_route_records_its_gate_decision(design_node, automation_node, tmp_path):
    require_emulator(automation_node)
    design, auto = design_node, automation_node
    scope_checks(design.client())
    deployer_ready(design, auto, bundle_ids=("v1",))
    case = dict(url=design.url, api_key=design.api_key, published_project_key=KEY, infra_id="prod", bundle_id="v1",
                deployment_id="d-record", gates={"project_standards": "warn"}, tests={"prefix": "TEST_"},
                automation={"url": auto.url, "api_key": auto.api_key})
    first = run_cases(tmp_path, "deployment", DEPLOYMENT, {"record": case}, name="first", diff=True)
    assert first.rc == 0, first.output[-3000:]
    record = first.task("deployment", host="record")
    assert record["status"] == "changed" and record["result"]["gates"]["decision"] == "warn"
    assert FAILING in " ".join(record["result"].get("warnings") or [])

    state = state_read.project_state(auto.client(), KEY, True)
    assert state["gates"] == {"bundle_id": "v1", "decision": "warn", "warned": ["project_standards"]}
    table = status_table([{"project": KEY, "env": "prod", "state": state}])
    assert table[0].split()[-1] == "GATES" and table[1].endswith("warn (project_standards)"), table

    writes = (design.writes(), auto.writes())
    again = run_cases(tmp_path, "deployment", DEPLOYMENT, {"record": case}, name="again")
    assert again.rc == 0 and again.task("deployment", host="record")["status"] == "ok", again.output[-3000:]
    assert (design.writes(), auto.writes()) == writes
