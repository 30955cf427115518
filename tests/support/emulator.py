"""Start and inspect emulated DSS nodes (tests/dss_emulator) as real processes, for tests, demo and benchmarks."""

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from tests.support import processes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(ROOT, "tests", "dss_emulator")
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def _memory_tmp():
    """Where a node without a data dir of its own keeps its throw-away state: memory (/dev/shm) where there is one.
    A node syncs every write to disk (the emulator's durability); on a busy disk that wait was a good part of the
    suite's time. Memory keeps what a test can observe: a killed node finds its state again, only a power cut
    would lose it. DSS_TEST_NODE_TMP chooses another place."""
    chosen = os.environ.get("DSS_TEST_NODE_TMP")
    if chosen:
        return chosen
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


NODE_TMP = _memory_tmp()


class EmulatorNode:
    """One emulator process. ``with EmulatorNode("automation") as node: node.url, node.api_key, node.stats()``."""

    is_emulator = True

    def __init__(self, node_type="design", data_dir=None, api_key=None, port=0, extra_keys=(), tls=None,
                 latency_scale=0):
        self.node_type = node_type
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dss-%s-" % node_type, dir=NODE_TMP)
            data_dir = self._tmp.name
        self.data_dir = data_dir
        # Long and random: Ansible's no_log masks every occurrence of a secret, so a short one would mask noise.
        self.api_key = api_key or "emu-%s-key-%s" % (node_type, os.urandom(12).hex())
        self.extra_keys = list(extra_keys)
        self.port = port
        self.tls = tls  # (cert_path, key_path): serve HTTPS
        self.latency_scale = latency_scale  # emulator --latency-scale (docs/emulator.md)
        self.proc = None
        self.url = None

    def start(self, timeout=30):
        cmd = [sys.executable, EMULATOR, "--node-type", self.node_type, "--port", str(self.port),
               "--data-dir", self.data_dir, "--api-key", self.api_key]
        for key in self.extra_keys:
            cmd += ["--api-key", key]
        if self.latency_scale:
            cmd += ["--latency-scale", str(self.latency_scale)]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        self.proc = processes.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
                self.port = int(self.url.rsplit(":", 1)[1])
                return self
            if not line and self.proc.poll() is not None:
                break
        rest = self.proc.stdout.read() if self.proc.poll() is not None else ""
        self.stop()
        raise RuntimeError("DSS emulator did not start: %s%s" % (line, rest))

    def stop(self):
        if self.proc:
            processes.stop(self.proc)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def kill(self):
        """kill -9, to prove durability."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            processes.forget(self.proc)
            self.proc.stdout.close()
            self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        self.stop()
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- inspection -----------------------------------------------------------------------------------------

    def _control(self, path, method="GET", body=None, timeout=10):
        # The test harness reads its own node; a TLS node here has a throw-away self-signed certificate.
        context = ssl._create_unverified_context() if self.tls else None  # pylint: disable=protected-access
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            return json.load(resp)

    def stats(self):
        return self._control("/__emulator__/stats")

    def reset(self):
        """Back to a fresh node without a new process (the emulator's Node.reset: documents, blobs, files, request
        counters); a scenario or recipe process of the old state is killed."""
        self._control("/__emulator__/reset", method="POST")
        return self

    def snapshot(self, folder):
        """Save the node's whole state into the new or empty directory ``folder`` (POST /__emulator__/snapshot);
        returns its state digest."""
        return self._control("/__emulator__/snapshot", method="POST", body={"dir": os.path.abspath(folder)},
                             timeout=120)["state_digest"]

    def restore(self, folder, replace=None):
        """Put the node into the state of a snapshot (POST /__emulator__/restore), each key of ``replace`` rewritten
        to its value in the stored documents (docs/emulator.md); returns the state digest."""
        body = {"dir": os.path.abspath(folder), "replace": replace or {}}
        return self._control("/__emulator__/restore", method="POST", body=body, timeout=120)["state_digest"]

    def set_latency(self, scale):
        """The latency profile from now on (0: none), without a restart: a request already waiting keeps its
        delay."""
        self._control("/__emulator__/latency", method="POST", body={"scale": scale})
        self.latency_scale = scale
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def digest(self):
        return self.stats()["state_digest"]

    def writes(self, stats=None):
        """Number of write requests (POST/PUT/DELETE) received since start."""
        stats = stats or self.stats()
        return sum(stats["requests"].get(m, 0) for m in WRITE_METHODS)

    def client(self):
        import dataikuapi  # pylint: disable=import-outside-toplevel
        return dataikuapi.DSSClient(self.url, self.api_key)


class NodePool:
    """One emulator process per node type, reused by test after test: each ``checkout`` gives the node back reset to
    a fresh one (state, files, request counters), so a test sees only its own traffic. A node its last test stopped,
    killed or left dead is replaced by a new process. Starting a node costs about 0.2 CPU seconds (about 0.04 from the
    tests' node server, tests/support/node_server.py); a reset a few milliseconds."""

    def __init__(self):
        self._nodes = {}

    def checkout(self, node_type, name=None, reset=True):
        """The pool's node of ``node_type`` (one per ``name`` when given: several nodes of a type), reset unless
        ``reset=False`` (its caller replaces the state, e.g. a restore)."""
        key = name or node_type
        node = self._nodes.get(key)
        if node is not None and (not node.running() or node.node_type != node_type):
            node.close()
            node = None
        if node is None:
            node = self._nodes[key] = EmulatorNode(node_type).start()
            return node
        if node.latency_scale:  # a test slowed it down
            node.set_latency(0)
        return node.reset() if reset else node

    def close(self):
        for node in self._nodes.values():
            node.close()
        self._nodes.clear()
