"""How a guide's shell blocks become the script that make test-guides runs (tests/support/doc_commands.py)."""

import os
import signal
import subprocess

from tests.support import doc_commands

GUIDE = """
```console
$ ansible-playbook -i inventories/dev playbooks/promote.yml \\
    -e dss_commit=abc
PLAY RECAP
$ git status
```

```bash
.venv/bin/python tests/dss_emulator --node-type automation --port 11201 --data-dir /tmp/a --api-key k
python -B ~/x/tests/dss_emulator --node-type design --port 11202 --data-dir /tmp/b --api-key k   # installed
pip install -r tests/dss_emulator/requirements.txt
curl http://127.0.0.1:11201/__emulator__/stats
```
"""


def test_console_blocks_keep_continued_lines_and_drop_output():
    commands = doc_commands.document_commands(GUIDE)
    assert commands[0] == "ansible-playbook -i inventories/dev playbooks/promote.yml \\\n    -e dss_commit=abc"
    assert commands[1] == "git status"


def test_every_command_runs_as_written():
    commands = doc_commands.document_commands(GUIDE)
    lines = doc_commands.script(commands).splitlines()
    for command in commands:  # an emulator in the foreground too: no `&` added, no wait inserted
        assert command.splitlines()[0] in lines
    assert not [line for line in lines if line.rstrip().endswith("&")]


def test_a_command_that_does_not_return_fails_after_the_time_limit_and_is_named(tmp_path):
    path = tmp_path / "guide.sh"
    path.write_text(doc_commands.script(["true", "sleep 600", "echo never"]))
    returncode, stdout, stderr = doc_commands.run_script(str(path), str(tmp_path), None, timeout=1)
    assert returncode != 0
    assert stdout.splitlines()[-1] == doc_commands.MARK + "sleep 600"
    assert "timed out after 1 s" in stderr


def test_a_process_the_script_detaches_does_not_hold_the_runner(tmp_path):
    # what --daemon does: a session of its own, outside the group the runner stops; here it keeps the script's
    # stdout open for a minute, which a runner reading pipes to their end would wait for
    path = tmp_path / "guide.sh"
    path.write_text(doc_commands.script(["setsid sleep 60 & echo $! > %s" % (tmp_path / "pid"), "echo done"]))
    try:
        returncode, stdout, _stderr = doc_commands.run_script(str(path), str(tmp_path), None, timeout=30)
        assert returncode == 0 and stdout.splitlines()[-1] == "done"
    finally:
        os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)


def test_the_script_names_the_command_that_failed():
    proc = subprocess.run(["bash", "-c", doc_commands.script(["true", "false", "echo never"])], capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0
    assert proc.stdout.splitlines() == [doc_commands.MARK + "true", doc_commands.MARK + "false"]
