"""Run a module's main() in-process, as Ansible would, and return its JSON result (every supported ansible-core)."""

import contextlib
import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 has no helper: AnsibleModule reads basic._ANSIBLE_ARGS when it is set
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


def execute(main, capsys, args, check_mode=False, diff=False, secrets=()):
    """Run ``main`` with the module arguments ``args``; returns (exit code, parsed result).

    Each of ``secrets`` must be absent from the module's output."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            main()
    out = capsys.readouterr().out
    for secret in secrets:
        assert secret not in out
    return exc.value.code, json.loads(out)
