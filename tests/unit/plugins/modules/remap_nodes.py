"""The automation node (and a design node as ``source``) the remap modules' tests run against, in-process."""

import pytest

from ansible_collections.dataiku_gitops.dss.tests.unit.plugins.modules.emulated_nodes import (
    archive_of, export_requiring, import_archive, run_module)

AUTO_URL = "https://dss-auto.example.com"
DESIGN_URL = "https://dss-design.example.com"
KEY = "P"
_ARCHIVES = {}  # (bundle id, connections, envs) -> archive bytes: exported once per test session


class Landscape:
    """An automation node with project P (owner admin, group ops, an export option set) and a design node."""

    def __init__(self, emulated):
        self.auto = emulated("automation", AUTO_URL)
        self.design = emulated("design", DESIGN_URL)

    def project(self):
        return self.auto.client().get_project(KEY)

    def connections(self, **types):
        client = self.auto.client()
        for name, conn_type in types.items():
            client.create_connection(name, conn_type)
        self.auto.forget_calls()

    def code_envs(self, *envs):
        client = self.auto.client()
        for lang, name in envs:
            client.create_code_env(lang, name, "AUTOMATION_SINGLE")
        self.auto.forget_calls()

    def imported(self, bundle_id, connections=None, envs=()):
        """Bundle ``bundle_id`` requiring these connections and code envs, imported into P (created if absent)."""
        wanted = (bundle_id, tuple(sorted((connections or {}).items())), tuple(envs))
        if wanted not in _ARCHIVES:
            export_requiring(self.design, bundle_id, connections, envs, key=KEY)
            _ARCHIVES[wanted] = archive_of(self.design, bundle_id, key=KEY)
            self.design.forget_calls()  # the set-up's download is no request of the module's (cached or not)
        import_archive(self.auto, _ARCHIVES[wanted], key=KEY)
        self._first_settings()

    def exported(self, bundle_id, connections=None, envs=()):
        """Bundle ``bundle_id`` exported on the design node only (not imported yet)."""
        export_requiring(self.design, bundle_id, connections, envs, key=KEY)

    def _first_settings(self):
        settings = self.project().get_settings()
        raw = settings.get_raw()
        if not any(p.get("group") == "ops" for p in raw.get("permissions") or []):
            raw["permissions"] = [{"group": "ops"}]
            raw["bundleExporterSettings"] = {"exportOptions": {"exportUploads": True}}
            settings.save()
        self.auto.forget_calls()

    def container(self, value):
        """Set bundleContainerSettings of P as a user (or an earlier run) left them."""
        settings = self.project().get_settings()
        settings.get_raw()["bundleContainerSettings"] = value
        settings.save()
        self.auto.forget_calls()

    def settings(self):
        return self.project().get_settings().get_raw()

    def remapping(self):
        return self.settings().get("bundleContainerSettings", {}).get("remapping", {})


@pytest.fixture
def landscape(emulated):
    return Landscape(emulated)


def run(module, capsys, node, check_mode=False, diff=False, **params):
    """Run ``module.main()`` against ``node`` with these options; returns (failed, result dict)."""
    return run_module(module.main, capsys, node, check_mode=check_mode, diff=diff, **params)
