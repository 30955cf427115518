"""Connections of a node (the model behind routes/connections.py): definitions, the seed of a fresh node, secrets
shown encrypted as DSS shows them."""

import copy
import hashlib
import re

from .errors import ILLEGAL_ARGUMENT, DSSError
from .node import store


def missing(name):
    # Exact string Dataiku's own Ansible modules match on.
    return DSSError("Connection '%s' does not exist" % name, ILLEGAL_ARGUMENT, 500)


def new_connection(name, type_, params=None, description=None, usable_by="ALL", allowed_groups=None):
    return {
        "name": name,
        "type": type_,
        "description": description,
        "params": params or {},
        "allowWrite": True,
        "allowManagedDatasets": True,
        "allowManagedFolders": True,
        "allowKnowledgeBanks": True,
        "usableBy": usable_by or "ALL",
        "allowedGroups": list(allowed_groups or []),
        "detailsReadability": {"readableBy": "NONE", "allowedGroups": []},
        "credentialsMode": "GLOBAL",
        "owner": "admin",
        "maxActivities": 0,
    }


def seed_default_connection():
    st = store()
    # Only on the node's first start (or after a reset): a connection deleted later stays deleted.
    if st.first_time("seed.connections"):
        st.put("connection", "", "filesystem_managed",
               new_connection("filesystem_managed", "Filesystem", {"root": "${dip.home}/managed_datasets"}))


# [INF] DSS never returns secrets in clear: it returns them encrypted ("e:AES:..."), and saving back the encrypted
# value keeps the secret. Which keys are secret is decided by name here.
SECRET_KEY_RE = re.compile(r"password|secret|token|privatekey", re.IGNORECASE)
ENCRYPTED_PREFIX = "e:AES:"


def _encrypted(name, key, value):
    return ENCRYPTED_PREFIX + hashlib.sha256(("%s/%s/%s" % (name, key, value)).encode()).hexdigest()[:32]


def redacted(conn):
    """A connection as the API shows it: secret params encrypted."""
    shown = copy.deepcopy(conn)
    for key, value in (shown.get("params") or {}).items():
        if SECRET_KEY_RE.search(key) and isinstance(value, str) and value:
            shown["params"][key] = _encrypted(conn["name"], key, value)
    return shown


def _keep_unchanged_secrets(old, new):
    """A saved definition that carries a secret back in its encrypted form keeps the stored secret."""
    old_params, new_params = old.get("params") or {}, new.get("params") or {}
    for key, value in list(new_params.items()):
        if key in old_params and isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX) \
                and value == _encrypted(old["name"], key, old_params[key]):
            new_params[key] = old_params[key]


def get_connection(name):
    conn = store().get("connection", "", name)
    if conn is None:
        raise missing(name)
    return conn


def create(body):
    """A new connection from a client's definition (`name` and `type` required; other keys round-trip)."""
    if not isinstance(body, dict) or not body.get("name") or not body.get("type"):
        raise DSSError("A connection needs a name and a type", ILLEGAL_ARGUMENT, 400)
    name = body["name"]
    st = store()
    with st.transaction():
        if st.get("connection", "", name) is not None:
            raise DSSError("Connection '%s' already exists" % name, ILLEGAL_ARGUMENT, 400)
        conn = new_connection(name, body["type"], body.get("params"), body.get("description"),
                              body.get("usableBy"), body.get("allowedGroups"))
        for key, value in body.items():  # anything else the caller set round-trips
            if key not in conn:
                conn[key] = value
        st.put("connection", "", name, conn)
    return conn


def save(name, body):
    """Save a definition read (and maybe changed) by a client; an unchanged one writes nothing."""
    if not isinstance(body, dict):
        raise DSSError("A connection definition must be a JSON object", ILLEGAL_ARGUMENT, 400)
    st = store()
    with st.transaction():
        old = get_connection(name)
        new = copy.deepcopy(body)
        new["name"] = name  # the path names the connection; renaming is not a save
        new.setdefault("type", old["type"])
        _keep_unchanged_secrets(old, new)
        if new != old:
            st.put("connection", "", name, new)
    return new


def delete(name):
    st = store()
    with st.transaction():
        get_connection(name)
        st.delete("connection", "", name)


def names(wanted="all"):
    return [c["name"] for c in store().list("connection") if wanted.lower() == "all" or c.get("type") == wanted]
