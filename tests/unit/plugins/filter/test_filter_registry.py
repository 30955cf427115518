"""The collection's filters live in one file (plugins/filter/gitops.py): ansible-core looks a collection filter up by
loading every Python file of plugins/filter, in each worker process that templates one, so each file more costs every
lookup. Each filter is documented in its own <name>.yml beside it, and a lookup through the plugin loader finds it."""

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.dataiku_gitops.dss.plugins.filter import gitops
from tests.support.collection import ensure_collection_link

FOLDER = os.path.dirname(gitops.__file__)


def test_one_filter_file_and_one_documentation_file_per_filter():
    files = [name for name in os.listdir(FOLDER) if not name.startswith((".", "__"))]
    assert [name for name in files if name.endswith(".py")] == ["gitops.py"]
    documented = {name[:-4] for name in files if name.endswith(".yml")}
    filters = set(gitops.FilterModule().filters())
    assert documented == filters, (documented ^ filters)
    for name in sorted(filters):
        with open(os.path.join(FOLDER, name + ".yml"), encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        assert doc["DOCUMENTATION"]["name"] == name and doc["DOCUMENTATION"]["short_description"], name
        assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"} and "dataiku_gitops.dss.%s" % name in doc["EXAMPLES"]


def test_the_plugin_loader_finds_each_filter_by_its_fully_qualified_name():
    """As a playbook's worker does (a fresh interpreter: the plugin loader's collection finder is process-wide)."""
    probe = """
import json, sys
from ansible.plugins.loader import filter_loader, init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.dataiku_gitops.dss.plugins.filter import gitops
print(json.dumps(sorted(name for name, function in gitops.FilterModule().filters().items()
                        if filter_loader.get("dataiku_gitops.dss." + name).j2_function is function)))
"""
    out = subprocess.run([sys.executable, "-c", probe, ensure_collection_link()], capture_output=True, text=True,
                         check=True, cwd="/").stdout
    assert json.loads(out) == sorted(gitops.FilterModule().filters())
