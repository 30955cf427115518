"""`molecule test --all` (extensions/molecule) as part of the test suite: the roles end to end on emulator nodes.

Free ports are chosen here and passed through the environment (extensions/molecule/config.yml reads them), so a
concurrent run elsewhere on the machine does not collide with the fixed defaults.
"""

import os
import re
import socket
import subprocess
import sys

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _emulators_on(ports):
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "dss_emulator" in cmdline and any("--port %d" % port in cmdline for port in ports):
            found.append(proc.info["pid"])
    return found


def test_molecule_all_scenarios_pass_idempotent_and_leave_no_process():
    ports = (_free_port(), _free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAIKU_", "MOLECULE_"))}
    env.update(PATH=BIN + os.pathsep + env.get("PATH", ""), NO_COLOR="1", ANSIBLE_NOCOLOR="1", PY_COLORS="0",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               DSS_MOLECULE_DESIGN_PORT=str(ports[0]), DSS_MOLECULE_AUTOMATION_PORT=str(ports[1]),
               DSS_MOLECULE_API_KEY="molecule-pytest-key-" + os.urandom(8).hex())
    run = subprocess.run([os.path.join(BIN, "molecule"), "test", "--all"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    output = ANSI.sub("", run.stdout + run.stderr)
    assert run.returncode == 0, output[-6000:]
    for scenario in ("bundle_export", "bundle_deploy"):
        for step in ("converge", "idempotence", "verify"):
            assert re.search(r"%s\s+\S+\s+%s: Executed: Successful" % (scenario, step), output), (scenario, step, output[-4000:])
    assert "Idempotence test failed" not in output
    assert re.search(r"default\s+\S+\s+destroy: Executed: Successful", output), output[-4000:]
    assert _emulators_on(ports) == []
