"""No API key in any output when options are wrongly typed or misspelt, or when the key is in URL userinfo.

ansible-core echoes a module's arguments in ``invocation.module_args`` of every result; ``no_log`` only masks a
value that reaches its option. Each case below puts the automation node's key where ansible-core would echo it and
checks, through a real ansible-playbook run at -vvvv (and through ansible-runner), that the key appears nowhere:
not in the registered result, not in a debug of it, not in the output, not in the runner's artifacts; and that
nothing was written (state digest). The output and the messages are those of one -vvvv run (``leak_run``), which two
tests read; ansible-runner runs the playbook once more, as AWX would.
"""

# pylint: disable=redefined-outer-name
import os
import shutil
import sys

import ansible_runner
import pytest

from tests.support import playbook_server
from tests.support.collection import ensure_collection_link
from tests.support.playbook import ansible_env, run_playbook
from tests.support.real_node import real_node_or_none, require_emulator

BUNDLE = "dataiku_gitops.dss.dataiku_bundle"
PROJECT = "dataiku_gitops.dss.dataiku_project"
REMAP = "dataiku_gitops.dss.dataiku_connection_remap"


def leak_cases(node):
    """(task title, module, args): each puts ``node.api_key`` where only the collection's masking hides it."""
    key, url = node.api_key, node.url
    base = {"url": url, "api_key": key}
    source = {"url": url, "api_key": key}
    return [
        ("source given as a list", BUNDLE, dict(base, project_key="P", bundle_id="b1", state="imported",
                                                source=[url, key])),
        ("source given as a string", BUNDLE, dict(base, project_key="P", bundle_id="b1", state="imported",
                                                  source="%s %s" % (url, key))),
        ("source with a misspelt apikey", BUNDLE, dict(base, project_key="P", bundle_id="b1", state="imported",
                                                       source={"url": url, "apikey": key})),
        ("misspelt apikey", PROJECT, {"url": url, "apikey": key, "project_key": "P"}),
        ("variables given a string", PROJECT, dict(base, project_key="P", variables="token=%s" % key)),
        ("permissions given a list", PROJECT, dict(base, project_key="P", permissions=[key])),
        ("code_envs_behavior given a list", REMAP, dict(base, project_key="P", code_envs_behavior=[key])),
        ("connections given a string", REMAP, dict(base, project_key="P", connections=key)),
        ("key in URL userinfo", PROJECT, {"url": url.replace("://", "://%s:@" % key), "api_key": "x" * 20,
                                          "project_key": "P"}),
        ("source key in URL userinfo", BUNDLE, dict(base, project_key="P", bundle_id="b1", state="imported",
                                                    source=dict(source, url=url.replace("://", "://%s:@" % key)))),
    ]


def leak_playbook(node):
    """Each case registered (its failure ignored), then one debug task that shows every registered result."""
    cases = leak_cases(node)
    tasks = [{"name": title, module: args, "register": "case%d" % index, "ignore_errors": True}
             for index, (title, module, args) in enumerate(cases)]
    shown = "[%s]" % ", ".join("case%d" % index for index in range(len(cases)))
    return tasks + [{"name": "show every case", "ansible.builtin.debug": {"var": shown}}]


@pytest.fixture(scope="module")
def leak_run(node_pool, tmp_path_factory):
    """The leak playbook run once at -vvvv on the automation node of this process. Gives (node, result, state digest
    unchanged by the run, writes the node received during it)."""
    node = real_node_or_none("automation") or node_pool.checkout("automation")
    require_emulator(node)
    digest = node.digest()
    result = run_playbook(tmp_path_factory.mktemp("leaks"), tasks=leak_playbook(node), args=["-vvvv"])
    return node, result, node.digest() == digest, node.writes()


def test_key_is_nowhere_for_mistyped_misspelt_options_and_userinfo(leak_run):
    node, result, digest_unchanged, writes = leak_run
    assert result.rc == 0, result  # every case failed but was ignored
    failed = [t for t in result.tasks if t["status"] in ("failed", "ignored")]
    assert [t["task"] for t in failed] == [case[0] for case in leak_cases(node)], result
    for task in failed:
        assert task["result"]["msg"] and "Traceback" not in task["result"]["msg"], task
    assert node.api_key not in result.output
    assert all(node.api_key not in str(t["result"]) for t in result.tasks)
    assert digest_unchanged and writes == 0


def test_messages_say_what_is_wrong_without_the_value(leak_run):
    result = leak_run[1]
    msgs = {t["task"]: t["result"]["msg"] for t in result.tasks if t["status"] in ("failed", "ignored")}
    assert msgs["misspelt apikey"] == ("missing required arguments: api_key. Set api_key (or the environment variable "
                                       "DATAIKU_API_KEY). Unsupported parameters: apikey (did you mean api_key?).")
    assert "source.apikey (did you mean source.api_key?)" in msgs["source with a misspelt apikey"]
    assert "url must not contain credentials" in msgs["key in URL userinfo"]
    assert "********@127.0.0.1" in msgs["key in URL userinfo"]
    assert "source.url must not contain credentials" in msgs["source key in URL userinfo"]
    assert "variables" in msgs["variables given a string"]


@pytest.fixture
def runner_dir(tmp_path):
    private = tmp_path / "private"
    (private / "project").mkdir(parents=True)
    yield private
    shutil.rmtree(private, ignore_errors=True)


def test_key_is_nowhere_in_ansible_runner_artifacts(automation_node, runner_dir, monkeypatch):
    require_emulator(automation_node)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    import yaml  # pylint: disable=import-outside-toplevel
    play = [{"name": "leaks", "hosts": "localhost", "gather_facts": False, "tasks": leak_playbook(automation_node)}]
    (runner_dir / "project" / "leaks.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = ansible_env()
    env["ANSIBLE_PIPELINING"] = "0"  # AWX's default: the modules' files written to a temporary directory, at -vvvv
    env["ANSIBLE_COLLECTIONS_PATH"] = ensure_collection_link()
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    env["ANSIBLE_PYTHON_INTERPRETER"] = playbook_server.module_python(env)  # its modules start as served runs' do
    run = ansible_runner.run(private_data_dir=str(runner_dir), playbook="leaks.yml",
                             inventory="localhost ansible_connection=local",
                             envvars={k: v for k, v in env.items() if k.startswith("ANSIBLE_")}, verbosity=4,
                             quiet=True)
    assert run.status == "successful", run.stdout.read()
    events = list(run.events)
    assert sum(1 for e in events if e.get("event") == "runner_on_failed") == len(leak_cases(automation_node))
    artifacts = runner_dir / "artifacts"
    leaked = []
    for folder, _dirs, files in os.walk(artifacts):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                if automation_node.api_key.encode() in handle.read():
                    leaked.append(os.path.relpath(os.path.join(folder, name), artifacts))
    assert leaked == []
