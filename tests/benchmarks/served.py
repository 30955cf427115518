"""The benchmark smoke tests' switch: a benchmark started with ``DSS_BENCH_SERVED=1`` runs its playbooks through the
test suite's playbook and module fork servers (tests/support/playbook_server.py, module_server.py) instead of the
real ``ansible-playbook`` and interpreter. Only the smoke tests set it: they check that a script runs and reports,
not what the real binaries cost, and a served run costs about half the CPU. Run as documented (without it), a
benchmark measures the real binaries.

The CPU of a playbook run is what the processes that ran it used. A real run is a child this process waits for
(``RUSAGE_CHILDREN``); a served run is a child of a fork server, which reaps it, so its CPU (with its workers and
modules) is in that server's children times: the sum of both measures either kind of run.
"""

import os
import resource

import psutil

SWITCH = "DSS_BENCH_SERVED"
SERVER_SCRIPTS = ("playbook_server.py", "module_server.py")


def serve_if_asked():
    """Route this process's ansible-playbook runs to the fork servers when the smoke test asked for it."""
    if os.environ.get(SWITCH) == "1":
        from tests.support import playbook_server  # pylint: disable=import-outside-toplevel
        playbook_server.enable()


def _is_server(proc):
    cmdline = proc.cmdline()
    return len(cmdline) > 1 and os.path.basename(cmdline[1]) in SERVER_SCRIPTS


def playbooks_cpu():
    """CPU seconds used so far by the playbook runs of this process: the children it reaped (real runs, with their
    workers and modules; a fork server counts there once it ended) and its live fork servers with the runs they
    reaped (served runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    for child in psutil.Process().children():
        try:
            if _is_server(child):
                times = child.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue  # ended meanwhile: RUSAGE_CHILDREN has it once reaped
    return total
