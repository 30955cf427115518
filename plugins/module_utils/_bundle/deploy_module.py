# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DssModule of the two deploy modules (dataiku_bundle_deploy, dataiku_deployment) and of the lock module.

Inside ``run(...)`` every failure becomes a :class:`DssError`, also the ``fail_json`` of DssModule's own helpers
(``dss_errors``, the node checks) that do not raise yet: the deploy path must catch any failure after its first
write, roll back as ``on_failure`` says and report, before the task fails. The runner turns the error into the one
``fail_json`` of the task."""

from __future__ import annotations

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule


class DeployModule(DssModule):
    _raising = False

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        if self._raising:
            raise DssError(msg, **kwargs)
        super().fail_json(msg, **kwargs)

    def run(self, body, *args, **kwargs):
        self._raising = True
        try:
            return body(*args, **kwargs)
        except DssError as exc:
            self._raising = False
            return self.fail_json(msg=exc.msg, **exc.result)


class OnNode:
    """``module`` as seen from another node (the automation node of a Project Deployer deployment): the same
    options, retries and error handling, with that node's client and URL in every call and message."""

    def __init__(self, module, client, url):
        self.module = module
        self.client = client
        self.url = url

    def __getattr__(self, name):
        return getattr(self.module, name)

    def dss_errors(self, what, url=None):
        return self.module.dss_errors(what, url=url or self.url)

    def write_once(self, what, write, happened, url=None):
        return self.module.write_once(what, write, happened, url=url or self.url)

    def find_project(self, project_key, client=None, url=None):
        return self.module.find_project(project_key, client or self.client, url or self.url)
