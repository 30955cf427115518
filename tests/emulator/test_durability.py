"""The node survives kill -9 (every acknowledged write is on disk) and exits cleanly on SIGTERM."""

import signal

from tests.support.emulator import EmulatorNode


def test_kill_9_then_restart_on_same_data_dir_keeps_everything():
    with EmulatorNode("automation") as node:
        client = node.client()
        project = client.create_project("DURABLE", "durable", "admin", tags=["x"])
        project.set_variables({"standard": {"a": 1}, "local": {"b": 2}})
        settings = project.get_settings()
        settings.get_raw()["bundleContainerSettings"] = {"remapping": {"connections": [{"source": "s",
                                                                                        "target": "t"}]}}
        settings.save()
        project.create_scenario("Smoke", "step_based")
        client.create_connection("pg", "PostgreSQL", params={"host": "db"})
        client.create_code_env("PYTHON", "env1", "AUTOMATION_SINGLE")
        digest = node.digest()
        node.kill()
        node.start()
        client = node.client()
        assert node.digest() == digest
        project = client.get_project("DURABLE")
        assert project.get_variables() == {"standard": {"a": 1}, "local": {"b": 2}}
        assert project.get_settings().get_raw()["bundleContainerSettings"]["remapping"]["connections"][0]["target"] == "t"
        assert [s["id"] for s in project.list_scenarios()] == ["SMOKE"]
        assert client.get_connection("pg").get_settings().get_raw()["params"] == {"host": "db"}
        assert client.get_code_env("PYTHON", "env1").get_settings().get_raw()["deploymentMode"] == "AUTOMATION_SINGLE"
        assert "filesystem_managed" in client.list_connections()


def test_sigterm_exits_with_rc_0():
    node = EmulatorNode("design")
    node.start()
    try:
        node.client().create_project("BYE", "bye", "admin")
        node.proc.send_signal(signal.SIGTERM)
        assert node.proc.wait(timeout=10) == 0
        node.proc.stdout.close()
        node.proc = None
        node.start()
        assert node.client().list_project_keys() == ["BYE"]
    finally:
        node.close()
