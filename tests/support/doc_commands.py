"""The shell commands of a Markdown document, as a reader types them, and one bash script that runs them in order.

A reader runs a guide's commands in one shell, top to bottom, so a document becomes one script, each command as
written: exports and `source` carry over, and a command that does not return (an emulator node started without
`--daemon`) blocks the script as it would block the reader. Commands are read from ```bash (or sh/shell) blocks and
from the `$ ` lines of ```console blocks (with the lines a backslash continues them on); a backslash continues a
command on the next line and a heredoc belongs to the command that opens it.
"""

import contextlib
import os
import re
import shlex
import signal
import subprocess
import tempfile

FENCE = re.compile(r"^```(bash|sh|shell|console)[ \t]*\n(.*?)^```", re.S | re.M)
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
PORT = re.compile(r"--port[ =](\d+)")
# Printed before each command, so that the output says which one ran last.
MARK = "@@doc-command@@ "


def blocks(text):
    """The shell blocks of a Markdown text, console blocks reduced to their `$ ` lines."""
    found = []
    for match in FENCE.finditer(text):
        body = match.group(2)
        if match.group(1) == "console":
            body = console_input(body)
        found.append(body)
    return found


def console_input(body):
    """The typed lines of a console block: the `$ ` lines and the lines a backslash continues them on (the rest is
    output)."""
    typed, continued = [], False
    for line in body.splitlines():
        if line.startswith("$ ") or continued:
            typed.append((line[2:] if line.startswith("$ ") and not continued else line) + "\n")
            continued = line.endswith("\\")
    return "".join(typed)


def commands(block):
    """Logical commands of one block, in order (comment-only and blank lines dropped)."""
    result, lines, i = [], block.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command = line
        while command.endswith("\\") and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        heredoc = HEREDOC.search(command)
        if heredoc:
            while i < len(lines):
                command += "\n" + lines[i]
                i += 1
                if lines[i - 1].strip() == heredoc.group(1):
                    break
        result.append(command)
    return result


def document_commands(text):
    return [command for block in blocks(text) for command in commands(block)]


PRELUDE = "set -eo pipefail\n"


def script(command_list, preamble=""):
    """One bash script running ``command_list`` in order, each as written; each command's first line is echoed
    first, after MARK, so that the output names the command that failed (or did not return)."""
    parts = [PRELUDE, preamble]
    for command in command_list:
        parts.append("echo %s" % shlex.quote(MARK + command.splitlines()[0]))
        parts.append(command)
    return "\n".join(parts) + "\n"


def run_script(path, cwd, env, timeout):
    """bash ``path`` in a session of its own, stopped whole when it ends or after ``timeout`` seconds; returns
    (returncode, stdout, stderr). Output goes to files, not pipes: a node the script started with --daemon (in a
    session of its own, outside the group this stops) must not keep the harness reading a pipe it holds open."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(["bash", path], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                text=True, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # whatever the script left in its own session
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if timed_out:
        stderr += "\n(timed out after %d s: the last %sline did not return)" % (timeout, MARK)
    return proc.returncode, stdout, stderr
