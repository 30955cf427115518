"""Not collected by default (no test_ prefix): tests/integration/test_playbook_server.py runs it in a pytest of its
own and kills that pytest with SIGKILL while this test's ansible-playbook runs in the playbook server."""

import os
import subprocess
import time

from tests.support import processes
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env

PAUSED = "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.pause:\n        seconds: 600\n"


def test_runs_a_playbook_until_killed():
    workdir = os.environ["PROBE_WORKDIR"]
    path = os.path.join(workdir, "paused.yml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(PAUSED)
    proc = processes.popen([ANSIBLE_PLAYBOOK, path, "-i", "localhost,", "-c", "local"], cwd=workdir,
                           env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "TASK" in line:
            print("RUNNING %d" % proc.pid, flush=True)
            break
    time.sleep(600)
