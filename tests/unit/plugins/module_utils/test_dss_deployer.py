"""Unit tests of the Project Deployer helpers (plugins/module_utils/_deployer/reads.py) and of the settings logic of
dataiku_deployment and dataiku_deployer_infra."""

import socket
from contextlib import contextmanager

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import reads as dd
from ansible_collections.dataiku_gitops.dss.plugins.modules import dataiku_deployer_infra as infra_module
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._deployer import deployment as deployment_module
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError


class FakeDeployment:
    def __init__(self, raw):
        self.raw = raw
        self.asked = []

    def get_governance_status(self, bundle_id):
        self.asked.append(bundle_id)
        return self.raw


class FakeModule:
    """Just what the helpers use: dss_errors and client.get_projectdeployer().get_deployment()."""

    def __init__(self, governance_raw):
        self.deployment = FakeDeployment(governance_raw)
        outer = self

        class Deployer:
            def get_deployment(self, _id):
                return outer.deployment

        class Client:
            def get_projectdeployer(self):
                return Deployer()

        self.client = Client()

    @contextmanager
    def dss_errors(self, _what, url=None):  # pylint: disable=unused-argument
        yield


def message(severity, text, fatal=False):
    return {"severity": severity, "isFatal": fatal, "code": "X", "title": "t", "message": text}


@pytest.mark.parametrize("messages,expected", [
    ([message("SUCCESS", "signed off")], dict(severity="SUCCESS", approved=True, blocked=False, warning=False)),
    ([message("ERROR", "not approved (governance status: PENDING)", fatal=True)],
     dict(severity="ERROR", approved=False, blocked=True, warning=False)),
    ([message("WARNING", "not approved")], dict(severity="WARNING", approved=False, blocked=False, warning=True)),
    ([message("INFO", "not checked")], dict(severity="INFO", approved=False, blocked=False, warning=False)),
    ([], dict(severity="INFO", approved=False, blocked=False, warning=False, summary="no Govern message")),
    ([message("SUCCESS", "a"), message("WARNING", "b")], dict(severity="WARNING", summary="a; b")),
])
def test_governance_reads_only_severities_and_texts(messages, expected):
    module = FakeModule({"messages": messages, "anyMessage": bool(messages)})
    gov = dd.governance(module, "dep", "v2")
    assert module.deployment.asked == ["v2"] and gov["bundle_id"] == "v2"
    for key, value in expected.items():
        assert gov[key] == value, (key, gov)


def test_remap_round_trip_is_sorted_and_skips_entries_without_source():
    assert dd.remap_list({"b": "B", "a": "A"}) == [{"source": "a", "target": "A"}, {"source": "b", "target": "B"}]
    assert dd.remap_table([{"source": "a", "target": "A"}, {"target": "orphan"}, "junk"]) == {"a": "A"}
    assert dd.remap_list(None) == [] and dd.remap_table(None) == {}


@pytest.mark.parametrize("value,ok", [("prod", True), ("CHURN-on-prod.v2_x", True), ("a/b", False),
                                      ("x#y", False), ("", False), ("..", False), (None, False)])
def test_id_error(value, ok):
    assert (dd.id_error(value, "infra_id") is None) is ok


def test_probe_tells_an_unreachable_node_apart():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert dd.probe("http://127.0.0.1:%d" % port, timeout=2) == "ConnectionError"


def deployment_params(**overrides):
    params = dict(infra_id=None, bundle_id=None, deployed_project_key=None, connections=None, code_envs=None,
                  scenarios_to_activate=None)
    params.update(overrides)
    return params


def test_deployment_settings_only_manage_options_that_are_set():
    current = {"id": "d", "publishedProjectKey": "CHURN", "infraId": "prod", "bundleId": "v1",
               "bundleContainerSettings": {"remapping": {"connections": [{"source": "a", "target": "A"}]},
                                           "codeEnvsBehavior": {"importTimeMode": "INSTALL_IF_MISS"}},
               "localVariables": {"keep": 1}}
    same = deployment_module.desired_raw(deployment_params(), current)
    assert same == current and same is not current
    new = deployment_module.desired_raw(deployment_params(bundle_id="v2", connections={}), current)
    assert new["bundleId"] == "v2" and new["localVariables"] == {"keep": 1}
    assert new["bundleContainerSettings"]["remapping"]["connections"] == []
    assert new["bundleContainerSettings"]["codeEnvsBehavior"] == {"importTimeMode": "INSTALL_IF_MISS"}
    view = deployment_module.view(new)
    assert view["deployed_project_key"] == "CHURN" and view["connections"] == {} and view["bundle_id"] == "v2"


class InfraParams:
    """A module stand-in whose params are those of dataiku_deployer_infra."""

    def __init__(self, **overrides):
        self.params = dict(stage=None, govern_check_policy=None, automation_node_url=None, automation_api_key=None,
                           update_api_key="always", trust_all_ssl_certificates=None, connections=None,
                           code_envs=None, permissions=None)
        self.params.update(overrides)


@pytest.mark.parametrize("stored,policy,creating,changes", [
    ("old-key", "always", False, True),
    ("new-key", "always", False, False),
    ("old-key", "on_create", False, False),
    ("", "on_create", False, True),
    ("old-key", "on_create", True, True),
])
def test_infra_admin_key_is_written_per_update_api_key(stored, policy, creating, changes):
    module = InfraParams(automation_api_key="new-key", update_api_key=policy)
    raw, key_changes = infra_module.desired_raw(module, {"id": "prod", "adminApiKey": stored}, creating)
    assert key_changes is changes
    assert raw["adminApiKey"] == ("new-key" if changes else stored)
    assert "new-key" not in repr(infra_module.view(raw))


def test_infra_view_and_url_normalisation():
    module = InfraParams(automation_node_url="https://auto.example.com/", permissions=[
        {"group": "ops", "read": True, "deploy": True, "admin": False}], connections={"pg_dev": "pg_prod"})
    raw, key_changes = infra_module.desired_raw(module, {"id": "prod", "stage": "Production",
                                                         "governCheckPolicy": "WARN"}, True)
    view = infra_module.view(raw)
    assert key_changes is False
    assert view["automation_node_url"] == "https://auto.example.com"
    assert view["connections"] == {"pg_dev": "pg_prod"} and view["automation_api_key_set"] is False
    assert view["permissions"] == [{"group": "ops", "read": True, "deploy": True, "admin": False}]


class GateModule:
    def __init__(self, timeout, check_mode=False):
        self.params = dict(govern_timeout=timeout, govern_poll_interval=1, ignore_warnings=False)
        self.check_mode = check_mode


def gate(monkeypatch, answers, module):
    """Run dataiku_deployment's Govern gate with Govern answering `answers` in turn; returns the reads made."""
    reads = []

    def governance(_module, _dep, bundle_id):
        blocked = answers[min(len(reads), len(answers) - 1)]
        reads.append(bundle_id)
        return dict(blocked=blocked, warning=False, summary="Bundle %s: governance status %s"
                    % (bundle_id, "PENDING" if blocked else "APPROVED"))

    monkeypatch.setattr(deployment_module.dd, "governance", governance)
    monkeypatch.setattr(deployment_module.time, "sleep", lambda _s: None)
    deployment_module.check_governance(module, "dep", "v2")
    return reads


def test_govern_gate_waits_for_the_sign_off(monkeypatch):
    assert gate(monkeypatch, [True, True, False], GateModule(timeout=60)) == ["v2", "v2", "v2"]


def test_govern_gate_fails_at_once_without_timeout_and_in_check_mode(monkeypatch):
    for module in (GateModule(timeout=0), GateModule(timeout=60, check_mode=True)):
        with pytest.raises(DssError) as info:
            gate(monkeypatch, [True, False], module)
        msg = info.value.msg
        assert "Govern refuses bundle v2 for deployment dep" in msg and "governance status PENDING" in msg
        assert "after waiting" not in msg


def test_govern_gate_gives_up_after_the_timeout(monkeypatch):
    clock = iter(range(0, 1000, 30))
    monkeypatch.setattr(deployment_module.time, "time", lambda: next(clock))
    with pytest.raises(DssError) as info:
        gate(monkeypatch, [True], GateModule(timeout=60))
    assert "after waiting 60 seconds for a sign-off" in info.value.msg
