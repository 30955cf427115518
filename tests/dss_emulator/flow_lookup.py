"""The store-backed `scenario_engine.Lookup`: what a run or a build job reads of the node's current content, and
how it runs Python (python_process, with the node context of the request that started the run or job)."""

from . import python_process
from .scenario_engine import Lookup
from .node import store


class StoreLookup(Lookup):
    def __init__(self, context):
        self.context = context  # python_process.NodeContext

    def dataset(self, project_key, name):
        return store().get("dataset", project_key, name)

    def recipes(self, project_key):
        return [doc.get("recipe") or {} for doc in store().list("recipe", project_key)]

    def recipe_code(self, project_key, name):
        return (store().get("recipe", project_key, name) or {}).get("payload") or ""

    def connection(self, name):
        return store().get("connection", "", name)

    def run_python(self, project_key, script, flow):
        st = store()
        owners = {project_key} | {ref.split(".", 1)[0] for ref in (flow or {}).get("inputs", [])
                                  + (flow or {}).get("outputs", [])}
        variables = st.get("variables", project_key, "variables") or {}
        project = {"datasets": ["%s.%s" % (key, name) for key in sorted(owners) for name in st.ids("dataset", key)],
                   "folders": [dict(f, projectKey=key) for key in sorted(owners) for f in st.list("managed_folder", key)],
                   "variables": dict(variables.get("standard") or {}, **(variables.get("local") or {})),
                   "codeEnvs": [i.split("/", 1)[1] for i in st.ids("code_env", "") if i.startswith("PYTHON/")]}
        return python_process.run(self.context, project_key, script, flow, project)
