"""Route modules of the emulator, one per area of the DSS API. Each module defines `bp`, a Flask Blueprint whose
paths are relative to the DSS API prefix (app.API_PREFIX), or to the module's own `URL_PREFIX` when it serves
paths outside the public API; `register_all` mounts every module of this package."""

import importlib
import pkgutil

from ..app import API_PREFIX


def modules():
    """Every route module of this package, imported, in name order."""
    return [importlib.import_module("." + info.name, __name__)
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)]


def register_all(app):
    for module in modules():
        app.register_blueprint(module.bp, url_prefix=getattr(module, "URL_PREFIX", API_PREFIX))
