"""The Galaxy artifact: what `ansible-galaxy collection build` ships, and that the installed copy works on its own."""

import os
import tarfile

from tests.support.galaxy_build import build_collection, install_collection

MAX_TARBALL_BYTES = 1024 * 1024


def test_tarball_content_and_size(tmp_path):
    tarball = build_collection(tmp_path)
    assert os.path.getsize(tarball) < MAX_TARBALL_BYTES
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for required in ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml", "meta/execution-environment.yml",
                     "requirements.txt", "bindep.txt", "plugins/modules/dataiku_project.py",
                     "plugins/module_utils/dss_module.py", "plugins/doc_fragments/dss.py",
                     "roles/bundle_export/meta/argument_specs.yml", "playbooks/promote.yml",
                     "playbooks/awx/files/credential_types.yml", "playbooks/awx/requirements.yml", "extensions/ee/execution-environment.yml"):
        assert required in names, required
    for name in names:
        top = name.split("/", 1)[0]
        assert top not in (".venv", ".build", ".git", ".cache", ".ci"), name
        assert not name.startswith("tests/output"), name
        assert not name.endswith((".tar.gz", ".pyc")) and "__pycache__" not in name, name


def test_installed_collection_runs_without_the_repository(tmp_path, design_node, playbook):
    tarball = build_collection(tmp_path / "dist")
    collections = install_collection(tarball, tmp_path / "collections")
    installed = os.path.join(collections, "ansible_collections", "dataiku_gitops", "dss")
    assert os.path.isfile(os.path.join(installed, "MANIFEST.json")) and not os.path.islink(installed)
    tasks = [{"name": "create", "dataiku_gitops.dss.dataiku_project": {"project_key": "GALAXY_CHECK", "name": "Galaxy"},
              "module_defaults": {"group/dataiku_gitops.dss.dss": {"url": "{{ dss_url }}", "api_key": "{{ dss_key }}"}}}]
    extra = {"dss_url": design_node.url, "dss_key": design_node.api_key}
    # only the installed copy on the collections path: the repository link must not be what runs
    env = {"ANSIBLE_COLLECTIONS_PATH": collections, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0"}
    first = playbook(tasks=tasks, extra_vars=extra, env=env, args=("-vvv",))
    assert first.rc == 0, first
    assert first.task("create")["status"] == "changed"
    assert os.path.join(installed, "plugins", "modules", "dataiku_project.py") in first.output
    again = playbook(tasks=tasks, extra_vars=extra, env=env)
    assert again.rc == 0, again
    assert again.task("create")["status"] == "ok"
