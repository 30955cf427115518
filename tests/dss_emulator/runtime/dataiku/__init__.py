"""The emulator's `dataiku` package: what DSS's built-in Python environment gives scenario steps and recipes.

Covered (docs/emulator.md, "The dataiku package"): Dataset, Folder, pandasutils, get_custom_variables,
default_project_key, api_client(), dataiku.scenario.Scenario. Anything else fails with a message naming it.
pandas is imported only where a DataFrame is read or written.
"""

import importlib.abc
import os
import sys

from dataiku import _context
from dataiku._context import default_project_key


def api_client():
    """A dataikuapi client to the node that runs this code, as the user who started it."""
    import dataikuapi  # pylint: disable=import-outside-toplevel
    return dataikuapi.DSSClient(os.environ["DKU_EMULATOR_URL"], os.environ["DKU_EMULATOR_API_KEY"],
                                no_check_certificate=True)


def get_custom_variables(project_key=None, typed=False):
    """The project's variables as the run started (local ones winning over standard ones, as DSS resolves them),
    with the scenario variables set so far in the run. typed=False (DSS's default) gives every value as a string."""
    if project_key and project_key != default_project_key():
        variables = api_client().get_project(project_key).get_variables()
        resolved = dict(variables.get("standard") or {}, **(variables.get("local") or {}))
    else:
        resolved = dict(_context.project().get("variables") or {}, **_context.scenario_variables())
    return resolved if typed else {k: v if isinstance(v, str) else _as_text(v) for k, v in resolved.items()}


def _as_text(value):
    import json  # pylint: disable=import-outside-toplevel
    return json.dumps(value) if isinstance(value, (dict, list, bool)) or value is None else str(value)


from dataiku.dataset import Dataset  # noqa: E402  pylint: disable=wrong-import-position
from dataiku.folder import Folder  # noqa: E402  pylint: disable=wrong-import-position


def __getattr__(name):
    raise _context.unsupported("dataiku.%s" % name)


class _UnsupportedModules(importlib.abc.MetaPathFinder):
    """`import dataiku.<module>` of a module the emulator lacks fails naming it (last finder: real ones win)."""

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if fullname.startswith("dataiku.") and not fullname.startswith("dataiku._"):
            raise ModuleNotFoundError(str(_context.unsupported(fullname)), name=fullname)
        return None


sys.meta_path.append(_UnsupportedModules())
