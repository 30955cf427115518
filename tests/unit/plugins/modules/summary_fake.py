"""Fakes answer ``DssModule.find_project`` from their project list: the module logic under test only needs the
summary or None; the HTTP-status reading of ``project_summary`` itself is tested in test_dss_project_summary.py."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils import dss_module


def summary_from_list(client, project_key):
    for item in client.list_projects() or []:
        if isinstance(item, dict) and item.get("projectKey") == project_key:
            return item
    return None


def answer_from_list(monkeypatch):
    monkeypatch.setattr(dss_module, "project_summary", summary_from_list)
