"""The store-backed `scenario_engine.Lookup`: what a run or a build job reads of the node's current content."""

from scenario_engine import Lookup
from web import store


class StoreLookup(Lookup):
    def dataset(self, project_key, name):
        return store().get("dataset", project_key, name)

    def recipes(self, project_key):
        return [doc.get("recipe") or {} for doc in store().list("recipe", project_key)]

    def connection(self, name):
        return store().get("connection", "", name)
