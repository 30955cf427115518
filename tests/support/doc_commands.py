"""The shell commands of a Markdown document, as a reader types them, and one bash script that runs them in order.

A reader runs a guide's commands in one shell, top to bottom, so a document becomes one script: exports and
`source` carry over, `&` starts a background job that a later `kill %1` stops. Commands are read from ```bash
(or sh/shell) blocks and from the `$ ` lines of ```console blocks (with the lines a backslash continues them on); a
backslash continues a command on the next line and a heredoc belongs to the command that opens it.

One command is not run as written: a DSS emulator node started in the foreground (`python tests/dss_emulator ...
--port N`) serves until Ctrl-C, so a reader watches it print `listening on` and types the next commands in another
terminal. The script starts it in the background instead and waits until port N accepts connections; the harness
stops every node the script started when it ends.
"""

import re
import shlex

FENCE = re.compile(r"^```(bash|sh|shell|console)[ \t]*\n(.*?)^```", re.S | re.M)
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
# A command that starts a DSS emulator node and serves until it is stopped (interpreter options such as -B allowed).
EMULATOR_SERVER = re.compile(r"^(?!pip )\S*python\S*(\s+-[A-Za-z]+)*\s+\S*tests/dss_emulator(\s|$)")
PORT = re.compile(r"--port[ =](\d+)")
# Printed before each command, so that the output says which one ran last.
MARK = "@@doc-command@@ "
TRAILING_COMMENT = re.compile(r"\s+#\s.*$")


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


def without_comment(command):
    """The first line of a command without a trailing ` # comment` (docs put no ` #` inside their arguments)."""
    return TRAILING_COMMENT.sub("", command.splitlines()[0]).rstrip()


def is_emulator_server(command):
    return bool(EMULATOR_SERVER.search(command.strip()))


PRELUDE = r"""set -eo pipefail
__wait_port() {
  for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2; return 1
}
__stop_jobs() { local jobs_left; jobs_left=$(jobs -p); [ -z "$jobs_left" ] || { kill $jobs_left 2>/dev/null; wait; }; }
trap __stop_jobs EXIT
"""


def script(command_list, preamble=""):
    """One bash script running ``command_list`` in order; each command's first line is echoed first, after MARK, so
    a failure names it. An emulator started in the foreground goes to the background, and the script waits for its port, as
    a reader waits for its `listening on` line before typing the next command."""
    parts = [PRELUDE, preamble]
    for command in command_list:
        parts.append("echo %s" % shlex.quote(MARK + command.splitlines()[0]))
        if is_emulator_server(command):
            port = PORT.search(command)
            if not command.rstrip().endswith("&"):
                command = without_comment(command) + " &"
            parts.append(command)
            if port:
                parts.append("__wait_port %s" % port.group(1))
        else:
            parts.append(command)
    return "\n".join(parts) + "\n"
