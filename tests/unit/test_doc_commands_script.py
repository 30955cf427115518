"""How a guide's shell blocks become the script that make test-guides runs (tests/support/doc_commands.py)."""

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


def test_a_foreground_emulator_runs_in_the_background_and_the_next_command_waits_for_its_port():
    commands = doc_commands.document_commands(GUIDE)
    assert [doc_commands.is_emulator_server(c) for c in commands[2:]] == [True, True, False, False]
    lines = doc_commands.script(commands[2:]).splitlines()
    first = lines.index(commands[2] + " &")
    assert lines[first + 1] == "__wait_port 11201"
    second = lines.index("python -B ~/x/tests/dss_emulator --node-type design --port 11202 --data-dir /tmp/b "
                         "--api-key k &")  # the comment dropped, so that `&` is not commented out
    assert lines[second + 1] == "__wait_port 11202"
    assert "pip install -r tests/dss_emulator/requirements.txt" in lines


def test_the_script_names_the_command_that_failed():
    proc = subprocess.run(["bash", "-c", doc_commands.script(["true", "false", "echo never"])], capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0
    assert proc.stdout.splitlines() == [doc_commands.MARK + "true", doc_commands.MARK + "false"]
