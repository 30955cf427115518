"""Every shell command of README.md and docs/*.md runs as written, from a fresh copy of the repository.

Setup stands for the README's two commands (`make demo`, `make test`): the copy gets the virtualenv (`.venv`) and
the collection link (`make venv`'s step); nothing else is prepared. Then each document's commands run in one bash,
in order, exactly as a reader would type them (tests/support/doc_commands.py), with no ANSIBLE_* variable set: the
repository's ansible.cfg must find the collection. Nothing waits without a time limit: a command that does not
return (a node started in the foreground) fails the document after SCRIPT_TIMEOUT, naming it, and a document that
leaves a node listening on one of its ports fails (a guide says how to stop what it starts; the test then stops it).
Guides that start their own nodes, or use none, run as they are; the
other documents describe work on the nodes of the shipped inventories, so they run against three emulator nodes
seeded with the sample project (DSS_<ENV>_URL / DSS_<ENV>_API_KEY set, as the README says), promoted twice first for
a document that rolls back (so that prod has a bundle to go back to).
`~` is a throw-away home in which the collection is installed from its Galaxy artifact, standing in for the README's
`ansible-galaxy collection install`.

Commands that need a service this machine cannot offer are listed in SKIPPED with the reason; a listed command that
no document contains any more fails the test, so the list stays exact.
"""

import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import psutil
import pytest

from tests.support import doc_commands, landscape
from tests.support.collection import ROOT
from tests.support.galaxy_build import installed_collection
from tests.support.promotion import GIT_ENV, port_is_free

VENV = os.path.dirname(os.path.dirname(sys.executable))
# The demo and these guides bind the inventories' fixed ports: one at a time (the demo is run under the same lock).
PORT_LOCK = "/tmp/dss-demo.lock"
# The longest guide takes about 5 minutes on a busy 2-core machine.
SCRIPT_TIMEOUT = 900

# (document, first words of the command) -> why it does not run here.
SKIPPED = {
    ("README.md", "make demo"): "prerequisite: the test's setup stands for it",
    ("README.md", "make test"): "prerequisite: the test runs inside it",
    ("docs/getting-started.md", "make demo"): "prerequisite: the test's setup stands for it",
    ("docs/getting-started.md", "make demo-venv"): "prerequisite: the test's setup stands for it",
    ("README.md", "ansible-galaxy collection install git+https://"): "needs GitHub; the setup installs the "
                                                                     "collection from its Galaxy artifact instead",
    ("README.md", "pip install -r requirements.txt"): "needs PyPI; the test's virtualenv has them",
    ("docs/emulator.md", "pip install -r ~/.ansible/collections/"): "needs PyPI; the test's virtualenv has them",
    ("docs/awx.md", "ansible-galaxy collection install -r playbooks/awx/requirements.yml"): "needs Galaxy",
    ("docs/awx.md", "ansible-builder build"): "needs a container engine",
    ("docs/awx.md", "podman push"): "needs a container registry",
    ("docs/awx.md", "export CONTROLLER_HOST="): "needs an AWX controller",
    ("docs/awx.md", "export DSS_AWX_SCM_URL="): "needs an AWX controller",
    ("docs/awx.md", "export DSS_DEV_URL=..."): "needs an AWX controller",
    ("docs/awx.md", "ansible-playbook playbooks/awx/configure.yml"): "needs an AWX controller",
    ("docs/awx.md", "DSS_DEV_URL=... DSS_DEV_API_KEY=..."): "placeholders for a real design node's URL and key",
    ("docs/rollback.md", "ansible-playbook -i inventories/prod playbooks/rollback.yml -e dss_rollback_to=g3f2a9c1d0e4b"):
        "an example bundle id (a placeholder for one of yours)",
    ("docs/project-git.md", "ansible-playbook -i inventories/dev -i inventories/staging playbooks/promote.yml \\\n"
                            "    -e dss_commit=3f2a9c1b"):
        "an example commit (a placeholder for the one a pull request merged on the project's remote)",
}
# Guides that need no inventory nodes: they start their own emulator nodes (getting-started seeds them on the
# inventories' ports), or use none.
SELF_CONTAINED = {"docs/getting-started.md", "docs/emulator.md", "docs/deployer.md", "docs/awx.md"}
# Files a document tells the reader to save before running its commands: (document, file) -> the code block under
# this heading (the first yaml block after it).
SAVED_FILES = {("README.md", "site.yml"): "## A minimal playbook"}


def documents():
    return ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))


def read(document):
    with open(os.path.join(ROOT, document), encoding="utf-8") as fh:
        return fh.read()


def skip_reason(document, command):
    for (doc, prefix), reason in SKIPPED.items():
        if doc == document and command.startswith(prefix):
            return reason
    return None


def runnable(document):
    return [c for c in doc_commands.document_commands(read(document)) if skip_reason(document, c) is None]


def saved_block(text, heading):
    after = text.split(heading, 1)[1]
    return re.search(r"^```ya?ml\n(.*?)^```", after, re.S | re.M).group(1)


def test_every_skipped_command_is_still_in_its_document():
    for (document, prefix), reason in SKIPPED.items():
        found = [c for c in doc_commands.document_commands(read(document)) if c.startswith(prefix)]
        assert found, "%s no longer has %r (%s): drop it from SKIPPED" % (document, prefix, reason)


def test_documents_have_commands_to_run():
    # the extraction itself: README and the getting-started guide are command-heavy
    assert len(runnable("README.md")) >= 6
    assert len(runnable("docs/getting-started.md")) >= 10


@pytest.fixture(scope="module")
def installed_home(tmp_path_factory):
    """A home with the collection installed from its Galaxy artifact: a copy of the run's installed one (the
    documents' commands may replace it)."""
    home = tmp_path_factory.mktemp("home")
    installed = installed_collection(tmp_path_factory.mktemp("install"))
    shutil.copytree(os.path.join(installed, "ansible_collections"),
                    home / ".ansible" / "collections" / "ansible_collections", symlinks=True)
    return home


def fresh_copy(dest):
    """The repository's files (tracked and new, not ignored) in ``dest``, committed in a new git repository, with
    the virtualenv and the collection link that `make venv` leaves."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True, timeout=120).stdout.decode().split("\0")
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if os.path.lexists(source) and not os.path.isdir(source):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name), follow_symlinks=False)
    os.symlink(VENV, os.path.join(dest, ".venv"))
    env = dict(os.environ, **GIT_ENV)
    for args in (["init", "--quiet", "--initial-branch=main"], ["add", "-A"], ["commit", "--quiet", "-m", "copy"]):
        subprocess.run(["git"] + args, cwd=dest, env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([os.path.join(VENV, "bin", "python"), "-c", "import sys; sys.path.insert(0, '.'); "
                    "from tests.support.collection import ensure_collection_link; ensure_collection_link()"],
                   cwd=dest, check=True, timeout=120)
    return dest


def reader_env(home, extra):
    """A shell as a reader has it: no Ansible, DSS or virtualenv variable, the virtualenv not on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "DATAIKU_", "DSS_", "VIRTUAL_ENV", "PYTEST_", "PYTHON"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if os.path.abspath(p) != os.path.join(VENV, "bin"))
    env.update(GIT_ENV)
    env.update(HOME=str(home), **extra)
    return env


def run_document(document, copy, env):
    commands = runnable(document)
    text = read(document)
    for (doc, name), heading in SAVED_FILES.items():
        if doc == document:
            with open(os.path.join(copy, name), "w", encoding="utf-8") as out:
                out.write(saved_block(text, heading))
    preamble = "" if "source .venv/bin/activate" in text else "source .venv/bin/activate\n"
    path = os.path.join(copy, ".doc-commands.sh")
    with open(path, "w", encoding="utf-8") as out:
        out.write(doc_commands.script(commands, preamble))
    ports = sorted({int(p) for c in commands for p in doc_commands.PORT.findall(c)})
    with fixed_ports(ports):
        returncode, stdout, stderr = doc_commands.run_script(path, copy, env, SCRIPT_TIMEOUT)
        left_running = stop_listeners(ports)
    output = stdout + stderr
    assert not left_running, "%s leaves nodes listening on ports %s: it must say how to stop them\n%s" % (
        document, left_running, output[-4000:])
    assert returncode == 0, "%s: a command failed (the last %s line)\n%s" % (document, doc_commands.MARK, output[-8000:])
    ran = [line[len(doc_commands.MARK):] for line in stdout.splitlines() if line.startswith(doc_commands.MARK)]
    assert ran == [c.splitlines()[0] for c in commands], output[-4000:]
    return output


def stop_listeners(ports):
    """The ports (of ``ports``) on which something still listens, after killing whatever does."""
    listening = {c.laddr.port: c.pid for c in psutil.net_connections(kind="tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port in ports}
    for pid in set(filter(None, listening.values())):
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()
    return sorted(listening)


@contextlib.contextmanager
def fixed_ports(ports):
    """A document that binds fixed ports runs alone on this machine (the demo takes the same lock), once they are free."""
    if not ports:
        yield
        return
    with open(PORT_LOCK, "a", encoding="utf-8") as lock:
        deadline = time.time() + 2 * SCRIPT_TIMEOUT  # the holder runs one document (or the demo)
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.time() < deadline, "%s stayed locked for %d s" % (PORT_LOCK, 2 * SCRIPT_TIMEOUT)
                time.sleep(2)
        wait_for_free_ports(ports)
        yield


def wait_for_free_ports(ports, timeout=300):
    """Something outside the lock (a test of someone else) may hold a port for a while."""
    deadline = time.time() + timeout
    while [p for p in ports if not port_is_free(p)] and time.time() < deadline:
        time.sleep(2)
    busy = [p for p in ports if not port_is_free(p)]
    assert not busy, "ports %s stayed in use for %d s: stop what holds them and re-run" % (busy, timeout)


def _guide(document):
    """The README runs in `make test`; the guides (several promotions each) in `make test-guides`, before a release
    (too long for CI)."""
    return document if document == "README.md" else pytest.param(document, marks=pytest.mark.guides)


@pytest.mark.parametrize("document", [_guide(d) for d in documents() if d in SELF_CONTAINED])
def test_self_contained_guide_runs_as_written(document, tmp_path, installed_home):
    copy = fresh_copy(tmp_path / "clone")
    output = run_document(document, copy, reader_env(installed_home, {}))
    assert "FAILED!" not in output, output[-4000:]
    if "PLAY RECAP" in output:
        assert "failed=0" in output, output[-4000:]


def run_on_inventory_nodes(document, tmp_path, home, tmp_path_factory):
    """Run ``document`` in a fresh copy against three seeded emulator nodes (the session's seeded landscape,
    restored on this process's nodes); returns its output."""
    copy = fresh_copy(tmp_path / "clone")
    land = landscape.restored(landscape.SEEDED, tmp_path / "nodes", tmp_path_factory)
    if any("playbooks/rollback.yml" in c for c in runnable(document)):  # a history: two bundles on prod
        assert land.run("promote.yml").rc == 0
        land.commit("CHURN: a second version")
        assert land.run("promote.yml").rc == 0
    dev = land.nodes["dev"]
    env = reader_env(home, dict(land.env(), DATAIKU_URL=dev.url, DATAIKU_API_KEY=dev.api_key))
    output = run_document(document, copy, env)
    assert land.leaked_keys() == []
    return output


def installed_manifest(home):
    return home / ".ansible" / "collections" / "ansible_collections" / "dataiku_gitops" / "dss" / "MANIFEST.json"


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory, installed_home):
    """The README run once for both tests that read it (its commands include the Galaxy build and install): its
    output, and whether a file left in the installed copy before the run is gone (the install replaced the copy)."""
    marker = installed_manifest(installed_home).parent / "left-before-the-readme-run"
    marker.write_text("the README's install replaces the installed copy\n", encoding="utf-8")
    output = run_on_inventory_nodes("README.md", tmp_path_factory.mktemp("readme"), installed_home, tmp_path_factory)
    return {"output": output, "home": installed_home, "replaced": not marker.exists()}


@pytest.mark.parametrize("document", [_guide(d) for d in documents() if d not in SELF_CONTAINED and runnable(d)])
def test_document_runs_as_written_on_the_inventory_nodes(document, tmp_path, tmp_path_factory, request):
    if document == "README.md":
        assert "PLAY RECAP" in request.getfixturevalue("readme_run")["output"]
        return
    run_on_inventory_nodes(document, tmp_path, request.getfixturevalue("installed_home"), tmp_path_factory)


def test_reference_commands_of_the_docs_index_work_from_the_repository(tmp_path):
    # docs/README.md: `ansible-doc dataiku_gitops.dss.<module>`, `ansible-doc -t role dataiku_gitops.dss.bundle_deploy`
    index = read("docs/README.md")
    spans = re.findall(r"`(ansible-doc [^`]+)`", index)
    assert "ansible-doc dataiku_gitops.dss.<module>" in spans
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
    env = reader_env(tmp_path, {"PATH": os.path.join(VENV, "bin") + os.pathsep + os.environ.get("PATH", "")})
    for span in spans:
        commands = [span.replace("<module>", m) for m in modules] if "<module>" in span else [span]
        # One ansible-doc for the commands of a span (each start costs about a second): they differ only in the
        # plugin named last, and --json answers with one entry per plugin (a plugin not found has none).
        words = [command.split() for command in commands]
        assert all(w[:-1] == words[0][:-1] for w in words), commands
        proc = subprocess.run(words[0][:-1] + [w[-1] for w in words] + ["--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, span + proc.stderr
        docs = json.loads(proc.stdout)
        for command, plugin in zip(commands, (w[-1] for w in words)):
            assert "maintainers (@dataiku-gitops)" in json.dumps(docs.get(plugin)), command + proc.stderr


def test_the_readme_installs_a_built_artifact_from_inside_the_clone(readme_run):
    # The clone's ansible.cfg puts the clone first on the collections path: an install there finds the clone's link
    # ("Nothing to do"; with --force, "Cannot call rmtree on a symbolic link"). The README's commands must install:
    # the README run (which runs them in its clone) replaced the copy installed in its home.
    commands = [c for c in runnable("README.md") if c.startswith("ansible-galaxy collection ")]
    assert [c.split()[2] for c in commands] == ["build", "install"], commands
    output = readme_run["output"]
    installed = installed_manifest(readme_run["home"])
    assert installed.is_file() and not installed.parent.is_symlink(), output[-4000:]
    assert readme_run["replaced"], output[-4000:]
    assert "was installed successfully" in output, output[-4000:]


EMULATOR_COMMAND = re.compile(r"^\S*python\S*(\s+-[A-Za-z]+)*\s+(\S*tests/dss_emulator)(\s|$)")


def _option(command, name):
    found = re.search(r"%s[ =](\S+)" % name, command)
    return found.group(1) if found else None


def test_every_node_a_guide_starts_returns_at_once_and_is_stopped_further_down():
    # Read top to bottom in one shell, a guide must not stop at a node serving in the foreground, and must stop
    # the nodes it starts (by their pid file, or the data dir holding the default one).
    for document in documents():
        started = []
        for command in doc_commands.document_commands(read(document)):
            match = EMULATOR_COMMAND.search(command.strip())
            if not match:
                continue
            rest = command.strip()[match.end(2):].split()
            if rest[:1] == ["stop"]:
                stopped = _option(command, "--pid-file") or os.path.join(_option(command, "--data-dir") or "?",
                                                                         "emulator.pid")
                started = [s for s in started if s != stopped]
                continue
            assert "--daemon" in rest, "%s starts a node in the foreground: %s" % (document, command)
            started.append(_option(command, "--pid-file") or os.path.join(_option(command, "--data-dir"),
                                                                          "emulator.pid"))
        assert not started, "%s never stops the nodes of %s" % (document, started)
