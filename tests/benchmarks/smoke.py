"""How the benchmark smoke tests run a benchmark: its ``main`` in the pytest process, whose ``ansible-playbook`` runs
go to the test fork servers (tests/support/processes.py routes them: about half the CPU of the real binaries that a
run as documented in tests/benchmarks/README.md measures), and the script itself as users start it (``--help``, so
that what only a script run does, its imports and ``sys.path``, cannot rot either). A test may pass ``main`` keyword
arguments, e.g. the landscape to run on (tests/benchmarks/README.md)."""

import subprocess
import sys


def run_benchmark(bench, argv, capsys, **kwargs):
    """(the script's ``--help`` run, the exit status of ``bench.main(argv, **kwargs)``, its captured output)."""
    usage = subprocess.run([sys.executable, bench.__file__, "--help"], capture_output=True, text=True, timeout=120,
                           check=False)
    code = bench.main(argv, **kwargs)
    return usage, code, capsys.readouterr()
