"""What the controller's plugins import: ansible-core looks one of this collection's filters up by loading every
filter file of the collection (plugins/filter/gitops.py, which imports them all), in the main process and in each
worker that uses one first. A filter that imports the official client (through a module_util) makes every such process
import dataikuapi, requests and urllib3 (about 0.2 s of CPU each), for filters that only compute on data."""

import json
import os
import subprocess
import sys

from ansible_collections.dataiku_gitops.dss.plugins.filter import gitops

# <collections>/ansible_collections/dataiku_gitops/dss/plugins/filter/gitops.py, as the tests import it
COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(gitops.__file__), *[os.pardir] * 5))
# A fresh interpreter (the test process has imported the client already) imports each controller plugin file and
# lists the client modules that came with that file.
PROBE = """
import importlib, json, os, sys
sys.path.insert(0, sys.argv[1])
root = os.path.join(sys.argv[1], "ansible_collections", "dataiku_gitops", "dss")
heavy = ("dataikuapi", "requests", "urllib3")
found = {}
for kind in ("filter", "inventory", "callback", "lookup", "action", "vars", "test"):
    folder = os.path.join(root, "plugins", kind)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if name.endswith(".py") and name != "__init__.py":
            before = set(sys.modules)
            importlib.import_module("ansible_collections.dataiku_gitops.dss.plugins.%s.%s" % (kind, name[:-3]))
            found["%s/%s" % (kind, name)] = [m for m in heavy if m in sys.modules and m not in before]
print(json.dumps(found))
"""


def test_no_controller_plugin_imports_the_official_client():
    out = subprocess.run([sys.executable, "-c", PROBE, COLLECTIONS], capture_output=True, text=True, check=True,
                         cwd="/").stdout
    found = json.loads(out)
    assert "filter/gitops.py" in found and "inventory/fleet.py" in found
    assert {name: modules for name, modules in found.items() if modules} == {}


def test_role_test_options_map_the_contract_keys_and_name_the_junit_report():
    role_test_options = gitops.FilterModule().filters()["test_options"]
    assert role_test_options({"prefix": "TEST_", "timeout": 60, "warning_is_failure": True, "scenarios": []}) == {
        "prefix": "TEST_", "scenario_timeout": 60, "scenarios": []}
    assert role_test_options(None, "/tmp/reports/", "CHURN-b2") == {"junit_xml": "/tmp/reports/CHURN-b2.xml"}
