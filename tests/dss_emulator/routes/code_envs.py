"""Code envs: list, get, create, save, update packages, delete under /admin/code-envs (client: dataikuapi/dss/admin.py).

Nothing is installed: an env is its definition. The shape follows the node type because dataikuapi picks its
settings class from it: on an automation node a definition always has a non-null `versions`.
"""

import copy

from flask import Blueprint, jsonify, request

from ..code_env_model import env_id, get_env, new_env, no_messages
from ..errors import CODED_IO, ILLEGAL_ARGUMENT, DSSError
from ..future_store import record_done
from ..web import body_json, node_type, qbool, store

bp = Blueprint("code_envs", __name__)


@bp.get("/admin/code-envs")
def list_envs():
    return jsonify([{"envLang": e["envLang"], "envName": e["envName"], "deploymentMode": e["deploymentMode"],
                     "owner": e.get("owner")} for e in store().list("code_env")])


@bp.get("/admin/code-envs/<lang>/<name>")
def get_definition(lang, name):
    return jsonify(get_env(lang, name))


def _answer(payload, result):
    """Synchronous answer, or with wait=False a finished future (its jobId can be polled)."""
    if qbool("wait", True):
        return jsonify(result)
    return jsonify(record_done(payload, result))


@bp.post("/admin/code-envs/<lang>/<name>")
def create_env(lang, name):
    params = body_json({})
    if not isinstance(params, dict):
        raise DSSError("Code env parameters must be a JSON object", ILLEGAL_ARGUMENT, 400)
    if lang.upper() not in ("PYTHON", "R"):
        raise DSSError("Unknown code env language %s (PYTHON or R)" % lang, ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        if st.get("code_env", "", env_id(lang, name)) is not None:
            raise DSSError("%s env %s already exists" % (lang.upper(), name), CODED_IO, 500)
        env = new_env(lang, name, params)
        st.put("code_env", "", env_id(lang, name), env)
        return _answer({"type": "code_env_creation", "envLang": env["envLang"], "envName": name},
                       {"envLang": env["envLang"], "envName": name, "messages": no_messages()})


@bp.put("/admin/code-envs/<lang>/<name>")
def save_definition(lang, name):
    body = body_json({})
    if not isinstance(body, dict):
        raise DSSError("A code env definition must be a JSON object", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        old = get_env(lang, name)
        new = copy.deepcopy(body)
        new["envLang"], new["envName"] = old["envLang"], old["envName"]
        if node_type() == "AUTOMATION" and new.get("versions") is None:
            new["versions"] = old.get("versions") or []
        if new != old:
            st.put("code_env", "", env_id(lang, name), new)
    return jsonify(new)


def _spec_holder(env, version_id):
    """Where an env keeps its package spec: itself (design), its current version, or the named version."""
    if env.get("deploymentMode") == "AUTOMATION_VERSIONED":
        for version in env.get("versions") or []:
            if version.get("versionId") == version_id:
                return version
        raise DSSError("Version %s not found in %s env %s" % (version_id, env["envLang"], env["envName"]),
                       ILLEGAL_ARGUMENT, 400)
    return env.get("currentVersion") or env.get("noVersion") or env


@bp.post("/admin/code-envs/<lang>/<name>/packages")
def update_packages(lang, name):
    """codeenv.update_packages(): install what the spec lists. [INF] Recorded as `actualPackageList` (the list DSS
    shows as installed), so a test can tell an updated env from one whose spec was only saved."""
    st = store()
    with st.transaction():
        env = copy.deepcopy(get_env(lang, name))
        holder = _spec_holder(env, request.args.get("versionToUpdate"))
        if holder.get("actualPackageList") != holder.get("specPackageList", ""):
            holder["actualPackageList"] = holder.get("specPackageList", "")
            st.put("code_env", "", env_id(lang, name), env)
        # The client reads result["messages"]["error"], so the messages object is nested as in creation answers.
        return _answer({"type": "code_env_update", "envLang": env["envLang"], "envName": name},
                       {"envLang": env["envLang"], "envName": name, "messages": no_messages()})


@bp.delete("/admin/code-envs/<lang>/<name>")
def delete_env(lang, name):
    st = store()
    with st.transaction():
        env = get_env(lang, name)
        st.delete("code_env", "", env_id(lang, name))
        return _answer({"type": "code_env_deletion", "envLang": env["envLang"], "envName": name},
                       {"messages": no_messages()})
