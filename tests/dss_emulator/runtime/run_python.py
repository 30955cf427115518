"""Runs one user script for the emulator: `python run_python.py SCRIPT RESULT_JSON`.

The script runs as `__main__`; an uncaught exception (a failed assert included) or a non-zero `sys.exit` is
written to RESULT_JSON as {"clazz", "message", "line"[, "exitCode"]} (line: the script's deepest frame) after its traceback is
printed on stderr, and the process exits 1. A clean end writes nothing and exits 0.
"""

import json
import sys
import traceback


def _script_line(tb, script):
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == script:
            line = lineno
    return line


def main(script, result_path):
    with open(script, encoding="utf-8") as fp:
        code = fp.read()
    try:
        exec(compile(code, script, "exec"), {"__name__": "__main__", "__file__": script})  # pylint: disable=exec-used
    except SystemExit as exc:
        if exc.code in (None, 0):
            return 0
        if not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)  # what Python prints for sys.exit("message")
        report = {"clazz": "SystemExit", "message": str(exc.code), "line": _script_line(exc.__traceback__, script),
                  "exitCode": exc.code if isinstance(exc.code, int) else 1}
    except BaseException as exc:  # pylint: disable=broad-exception-caught
        # The traceback from the script's frames on (this runner's own frame left out).
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        line = exc.lineno if isinstance(exc, SyntaxError) and exc.filename == script else None
        report = {"clazz": type(exc).__name__, "message": str(exc),
                  "line": line or _script_line(exc.__traceback__, script)}
    else:
        return 0
    with open(result_path, "w", encoding="utf-8") as fp:
        json.dump(report, fp)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
