# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception: utilities raise it, the module's runner (``DssModule.run``) turns it into
``fail_json``. Nothing below a module's ``main`` calls ``fail_json`` itself.

``result`` carries what the failure must still report (a lock taken, the steps done, a rollback target): a caller
that holds such a fact catches the error, adds it with :meth:`DssError.add`, and raises it again.
"""

from __future__ import annotations


class DssError(Exception):
    """A failure to report as ``fail_json(msg=msg, **result)``."""

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.msg = msg
        self.result = result

    def add(self, **result):
        """Add keys the failure must report, without overwriting what a deeper caller already set."""
        for key, value in result.items():
            self.result.setdefault(key, value)
        return self
