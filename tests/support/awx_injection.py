"""What AWX does with a custom credential type, reproduced for tests (no AWX here).

Mirrors awx/main/fields.py CredentialTypeInjectorField.validate (templates rendered with StrictUndefined against
every field, ANSIBLE_* and blocklisted env names refused) and awx/main/models/credential CredentialType
.inject_credential (sandboxed Jinja2; empty inputs left undefined; missing booleans injected as False; file
templates written first so env/extra_vars can reference tower.filename[.label])."""

import os

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.support.collection import ROOT

CREDENTIAL_TYPES_FILE = os.path.join(ROOT, "playbooks", "awx", "files", "credential_types.yml")
# A subset of awx/main/constants.py ENV_BLOCKLIST: names AWX itself sets for a job.
ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                 "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                 "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                 "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}


def credential_types():
    with open(CREDENTIAL_TYPES_FILE, encoding="utf-8") as fh:
        return {ct["name"]: ct for ct in yaml.safe_load(fh)["dss_awx_credential_types"]}


class _Namespace:
    pass


def validate(cred_type):
    """Raise like AWX would refuse the credential type on save."""
    fields = [f["id"] for f in cred_type["inputs"]["fields"]]
    namespace = {name: "EXAMPLE" for name in fields}
    tower = _Namespace()
    files = list(cred_type["injectors"].get("file", {}))
    if "template" in files:
        assert len(files) == 1, "must use multi-file syntax when injecting multiple files"
        tower.filename = "EXAMPLE_FILENAME"
    elif files:
        tower.filename = _Namespace()
        for label in files:
            setattr(tower.filename, label.split(".", 1)[1], "EXAMPLE_FILENAME")
    namespace["tower"] = tower
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, injector in cred_type["injectors"].items():
        assert kind in ("file", "env", "extra_vars"), kind
        for key, template in injector.items():
            if kind == "env":
                assert not key.startswith("ANSIBLE_") and key not in ENV_BLOCKLIST, key
            env.from_string(template).render(namespace)


def inject(cred_type, inputs, private_data_dir):
    """(env, extra_vars, files) that AWX would give a job using a credential with ``inputs``."""
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field in cred_type["inputs"]["fields"]:
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    tower = _Namespace()
    files = {}
    env_dir = os.path.join(str(private_data_dir), "env")
    os.makedirs(env_dir, exist_ok=True)
    for index, (label, template) in enumerate(cred_type["injectors"].get("file", {}).items()):
        path = os.path.join(env_dir, "tmp_cred_%d" % index)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(sandbox.from_string(template).render(tower=tower, **namespace))
        os.chmod(path, 0o600)
        files[label] = path
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    namespace["tower"] = tower
    env = {key: sandbox.from_string(tmpl).render(**namespace)
           for key, tmpl in cred_type["injectors"].get("env", {}).items()}
    extra_vars = {key: sandbox.from_string(tmpl).render(**namespace)
                  for key, tmpl in cred_type["injectors"].get("extra_vars", {}).items()}
    return env, extra_vars, files
