"""Not collected by default (no test_ prefix): tests/benchmarks/test_no_orphans.py runs it in a pytest of its own and
stops that pytest with a signal while this test holds a pooled emulator node."""

import time


def test_holds_a_node_until_stopped(design_node):
    print("NODE UP %s" % design_node.url, flush=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(1)


def test_after_the_signal_never_starts():
    raise AssertionError("the run went on after the signal")
