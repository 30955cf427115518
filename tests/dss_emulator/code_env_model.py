"""Code env definitions (the model behind routes/code_envs.py, also used when a bundle is activated)."""

import copy

from .errors import CODED_IO, DSSError
from .node import current_user, node_type, store

SPEC_KEYS = ("specPackageList", "specCondaEnvironment")


def no_messages():
    return {"anyMessage": False, "success": False, "warning": False, "error": False, "fatal": False, "messages": []}


def env_id(lang, name):
    return "%s/%s" % (lang.upper(), name)


def get_env(lang, name):
    env = store().get("code_env", "", env_id(lang, name))
    if env is None:
        # Real DSS answer for a missing env (seen on a live DSS by a third party).
        raise DSSError("%s env %s doesn't exist" % (lang.upper(), name), CODED_IO, 500)
    return env


def new_env(lang, name, params):
    automation = node_type() == "AUTOMATION"
    mode = params.get("deploymentMode") or ("AUTOMATION_SINGLE" if automation else "DESIGN_MANAGED")
    specs = {k: params.get(k, "") for k in SPEC_KEYS}
    desc = {k: v for k, v in params.items() if k not in SPEC_KEYS}
    desc.update({"deploymentMode": mode, "owner": current_user()})
    desc.setdefault("installCorePackages", True)
    desc.setdefault("installJupyterSupport", False)
    env = {"envLang": lang.upper(), "envName": name, "deploymentMode": mode, "owner": current_user(),
           "usableByAll": True, "permissions": [], "desc": desc}
    if not automation:
        env.update(specs)
        return env
    # Automation node: packages live in versions; `versions` must be non-null for dataikuapi.
    version = dict(specs, versionId="v1", desc=copy.deepcopy(desc))
    env["versions"] = [version] if mode == "AUTOMATION_VERSIONED" else []
    if mode != "AUTOMATION_VERSIONED":
        env["currentVersion"] = version
    return env
