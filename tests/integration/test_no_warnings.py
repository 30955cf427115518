"""A clean run prints no warning that is not about the user's own input: the pinned ansible-core and its
dependencies (cryptography 51 deprecates the DSA support ansible-core imports: a CryptographyDeprecationWarning on
every command) and the collection itself, run from a clone as the README says (no ANSIBLE_* variable: ansible.cfg)."""

import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PLAY = """\
- name: A clean run
  hosts: dss
  gather_facts: false
  tasks:
    - name: Plan a project
      dataiku_gitops.dss.dataiku_project:
        project_key: CLEAN_RUN
        name: Clean run
    - name: Read it
      dataiku_gitops.dss.dataiku_project_info:
        project_key: CLEAN_RUN
"""


def reader_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "DATAIKU_", "PYTHONWARNINGS"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def assert_no_warning(proc):
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "warning" not in output.lower(), output[-4000:]


def test_a_clean_playbook_run_and_ansible_doc_print_no_warning(tmp_path, design_node):
    (tmp_path / "site.yml").write_text(PLAY)
    (tmp_path / "hosts.ini").write_text(
        "[dss]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    env = reader_env(DATAIKU_URL=design_node.url, DATAIKU_API_KEY=design_node.api_key)
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.ini"),
                          str(tmp_path / "site.yml"), "--check", "--diff"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert_no_warning(run)
    assert "changed=1" in run.stdout, run.stdout
    doc = subprocess.run([os.path.join(BIN, "ansible-doc"), "dataiku_gitops.dss.dataiku_project"], cwd=ROOT,
                         env=reader_env(), capture_output=True, text=True, timeout=120, check=False)
    assert_no_warning(doc)
    assert "dataiku_gitops.dss.dataiku_project" in doc.stdout
