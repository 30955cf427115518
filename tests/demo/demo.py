"""`make demo`: start a local emulated DSS design node, plan a project with --check --diff, apply it, re-run it
unchanged, and stop the node. Everything runs through the real ansible-playbook and the collection's modules."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.support.emulator import EmulatorNode  # noqa: E402
from tests.support.playbook import ANSIBLE_PLAYBOOK, ansible_env  # noqa: E402


def banner(text):
    print("\n\033[1m==> %s\033[0m" % text, flush=True)


def play(node, playbook, *flags):
    env = ansible_env({"ANSIBLE_CALLBACKS_ENABLED": ""})
    cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", os.path.join(HERE, playbook),
           "-e", "dss_url=%s" % node.url, "-e", "dss_api_key=%s" % node.api_key] + list(flags)
    print("$ ansible-playbook %s %s" % (playbook, " ".join(flags)), flush=True)
    proc = subprocess.run(cmd, env=env, check=False)
    if proc.returncode != 0:
        sys.exit("demo step failed (rc=%d)" % proc.returncode)


def main():
    banner("Starting a local emulated DSS design node")
    with EmulatorNode("design") as node:
        print("design node at %s" % node.url)
        banner("Plan: ansible-playbook --check --diff (nothing is written)")
        before = node.digest()
        play(node, "project.yml", "--check", "--diff")
        assert node.digest() == before, "check mode changed the node"
        print("state digest unchanged: %s" % before[:16])
        banner("Apply")
        play(node, "project.yml", "--diff")
        banner("Re-run: converged, nothing to change")
        writes = node.writes()
        play(node, "project.yml")
        print("write requests during the re-run: %d" % (node.writes() - writes))
        banner("Stopping the node")
    print("done")


if __name__ == "__main__":
    main()
