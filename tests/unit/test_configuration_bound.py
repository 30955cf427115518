"""Which served runs share a bound server (tests/support/configuration_bound.py): the matching of a request against
what a bound server's import read, and the kinds of standard streams that can be bound. The bound runs themselves
are compared with the real binary in tests/integration/test_playbook_server.py."""

import os
import types

import pytest

from tests.support import computed_once, configuration_bound
from tests.support.configuration_bound import Binding

SHAPE = ["/venv/bin/ansible-playbook", 18, None, ["null", "pipe", "pipe"], []]


def request(cwd, **env):
    return {"argv": [SHAPE[0]], "cwd": str(cwd), "env": env, "umask": 18}


def record(tmp_path, cwd=None, files=()):
    return {"reads": {"ANSIBLE_FORKS": "3", "ANSIBLE_CONFIG": None, "HOME": "/root"}, "cwd": cwd,
            "files": [[str(path), computed_once.file_identity_of(str(path))] for path in files]}


def test_a_request_matches_when_every_variable_the_import_read_is_the_same(tmp_path):
    binding = Binding(SHAPE, record(tmp_path))
    assert binding.matches(SHAPE, request(tmp_path, ANSIBLE_FORKS="3", HOME="/root", DSS_URL="http://x"))
    assert binding.matches(SHAPE, request(tmp_path / "elsewhere", ANSIBLE_FORKS="3", HOME="/root"))
    assert not binding.matches(SHAPE, request(tmp_path, ANSIBLE_FORKS="4", HOME="/root"))
    assert not binding.matches(SHAPE, request(tmp_path, ANSIBLE_FORKS="3", HOME="/root", ANSIBLE_CONFIG="/x.cfg"))
    assert not binding.matches(SHAPE, request(tmp_path, ANSIBLE_FORKS="3"))
    other_kinds = SHAPE[:3] + [["null", "file", "pipe"]] + SHAPE[4:]
    assert not binding.matches(other_kinds, request(tmp_path, ANSIBLE_FORKS="3", HOME="/root"))


def test_an_ansible_cfg_in_the_directory_or_a_directory_the_import_depended_on_rules_the_match_out(tmp_path):
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    inputs = {"ANSIBLE_FORKS": "3", "HOME": "/root"}
    assert not Binding(SHAPE, record(tmp_path)).matches(SHAPE, request(tmp_path, **inputs))
    bound_here = Binding(SHAPE, record(tmp_path, cwd=str(tmp_path)))
    assert bound_here.matches(SHAPE, request(tmp_path, **inputs))
    assert not bound_here.matches(SHAPE, request(tmp_path / "other", **inputs))


def test_a_changed_file_the_import_read_makes_the_binding_stale(tmp_path):
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\ntimeout = 17\n")
    binding = Binding(SHAPE, record(tmp_path, files=[config, tmp_path / "absent.cfg"]))
    assert binding.current()
    config.write_text("[defaults]\ntimeout = 23\n")  # the same size
    os.utime(config, ns=(1, 1))
    assert not binding.current()
    binding = Binding(SHAPE, record(tmp_path, files=[config, tmp_path / "absent.cfg"]))
    (tmp_path / "absent.cfg").write_text("[defaults]\n")  # a configuration file that appears
    assert not binding.current()


def test_the_configuration_files_ansible_looks_for_are_recorded_absent_too(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ANSIBLE_CONFIG", "~/site.cfg")
    candidates = configuration_bound._config_candidates()  # pylint: disable=protected-access
    assert str(tmp_path / ".ansible.cfg") in candidates and str(tmp_path / "site.cfg") in candidates
    assert "/etc/ansible/ansible.cfg" in candidates


def test_a_refused_configuration_matches_only_the_same_environment_and_directory(tmp_path):
    refused = Binding(SHAPE, {"reads": None, "env": {"ANSIBLE_LOG_PATH": "/tmp"}, "cwd": str(tmp_path)})
    assert refused.matches(SHAPE, request(tmp_path, ANSIBLE_LOG_PATH="/tmp"))
    assert not refused.matches(SHAPE, request(tmp_path, ANSIBLE_LOG_PATH="/tmp", OTHER="1"))
    assert not refused.matches(SHAPE, request(tmp_path / "other", ANSIBLE_LOG_PATH="/tmp"))


@pytest.mark.parametrize("reads, constants, expected", [
    ({"ANSIBLE_ROLES_PATH": "/abs/roles:~/roles"}, {"DEFAULT_ROLES_PATH": ["/abs/roles"]}, False),
    ({"ANSIBLE_ROLES_PATH": "/abs/roles:sub/roles"}, {}, True),  # resolved against the working directory
    ({"ANSIBLE_ROLES_PATH": "roles"}, {"DEFAULT_ROLES_PATH": ["{cwd}/roles"]}, True),  # a setting names it
    ({"ANSIBLE_FORKS": "3"}, {"DEFAULT_LOCAL_TMP": "{cwd}/tmp/ansible-local-1"}, False),  # renewed in each run
], ids=["absolute", "relative-with-slash", "names-the-directory", "local-tmp"])
def test_the_working_directory_joins_the_key_when_a_setting_can_depend_on_it(tmp_path, reads, constants, expected):
    cwd = str(tmp_path)
    module = types.SimpleNamespace(**{name: (value.format(cwd=cwd) if isinstance(value, str)
                                             else [v.format(cwd=cwd) for v in value])
                                      for name, value in constants.items()})
    assert configuration_bound._depends_on_directory(reads, module, cwd) is expected  # pylint: disable=W0212


def test_only_blocking_streams_that_are_not_terminals_can_be_bound(tmp_path):
    read_end, write_end = os.pipe()
    devnull = os.open(os.devnull, os.O_RDWR)
    log = os.open(str(tmp_path / "log"), os.O_WRONLY | os.O_CREAT)
    controller, terminal = os.openpty()
    try:
        assert configuration_bound.stream_kinds([devnull, write_end, log]) == ("null", "pipe", "file")
        assert configuration_bound.stream_kinds([devnull, terminal, log]) is None
        os.set_blocking(write_end, False)
        assert configuration_bound.stream_kinds([devnull, write_end, log]) is None
    finally:
        for fd in (read_end, write_end, devnull, log, controller, terminal):
            os.close(fd)
