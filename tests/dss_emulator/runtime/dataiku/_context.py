"""What the emulator tells the code it runs (python_process.py sets these variables), and the checks DSS makes
before a recipe touches a dataset or a managed folder."""

import json
import os

DATASETS_DIR = "DKU_EMULATOR_DATASETS_DIR"  # <data-dir>/datasets: <PROJECT>/<name>.csv (+ <name>.schema.json)
FOLDERS_DIR = "DKU_EMULATOR_FOLDERS_DIR"  # <data-dir>/managed_folders: <PROJECT>/<folder id>/...
RECIPE_FLOW = "DKU_EMULATOR_RECIPE_FLOW"  # JSON {"inputs": [P.name], "outputs": [P.name]}; absent outside recipes
PROJECT = "DKU_EMULATOR_PROJECT"  # JSON {"datasets": [P.name], "folders": [{projectKey, id, name, type}],
#                                         "variables": {...}} as the code started
SCENARIO_VARIABLES_IN = "DKU_EMULATOR_SCENARIO_VARIABLES"  # JSON: variables set by earlier steps of the run
SCENARIO_VARIABLES_OUT = "DKU_EMULATOR_SCENARIO_VARIABLES_OUT"  # file this step's set_scenario_variables writes
PROJECT_KEY = "DKU_CURRENT_PROJECT_KEY"


class UnsupportedAPIError(AttributeError):
    """A `dataiku` API the emulator does not provide: the run fails naming it, never silently."""


def unsupported(name):
    return UnsupportedAPIError("%s is not provided by the DSS emulator's dataiku package (docs/emulator.md, "
                               "\"The dataiku package\", lists what is)" % name)


def default_project_key():
    return os.environ[PROJECT_KEY]


def project():
    return json.loads(os.environ.get(PROJECT) or "{}")


def scenario_variables():
    return json.loads(os.environ.get(SCENARIO_VARIABLES_IN) or "{}")


def full_name(name, project_key=None):
    if project_key:
        return "%s.%s" % (project_key, name)
    return name if "." in name else "%s.%s" % (default_project_key(), name)


def check_declared(kind, full, short, ignore_flow):
    """In a recipe, DSS lets the code use only the datasets and folders declared as its inputs or outputs."""
    flow = os.environ.get(RECIPE_FLOW)
    if flow is None or ignore_flow:
        return
    declared = json.loads(flow)
    if full not in declared.get("inputs", []) + declared.get("outputs", []):
        raise Exception("%s %s cannot be used: declare it as input or output of your recipe"  # pylint: disable=broad-exception-raised
                        % (kind, short))
