# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tests`` option of a deploy module from the promotion contract's ``dss_tests``, for the controller (filter
dataiku_gitops.dss.test_options, plugin_utils/role_inputs.py).

Kept apart from module_utils/_bundle/deploy_tests.py, which runs the tests: that one imports the official client, and
a controller process that loads any of this collection's filters loads them all (ansible-core looks a collection's
filter up through every filter file), so one import of dataikuapi there costs every such process about 0.2 s.
"""

from __future__ import annotations

ROLE_TEST_KEYS = {"scenarios": "scenarios", "prefix": "prefix", "timeout": "scenario_timeout",
                  "if_no_scenarios": "if_no_scenarios"}


def role_test_options(tests, junit_dir=None, report_name=None):
    """The ``tests`` option of a deploy module from the promotion contract's ``dss_tests`` ({prefix, scenarios,
    timeout, if_no_scenarios, warning_is_failure}): unset entries left to the module's defaults, and the JUnit report
    ``<junit_dir>/<report_name>.xml`` when ``junit_dir`` is set."""
    tests = tests if isinstance(tests, dict) else {}
    options = dict((option, tests[key]) for key, option in ROLE_TEST_KEYS.items() if tests.get(key) not in (None, ""))
    if junit_dir:
        options["junit_xml"] = "%s/%s.xml" % (str(junit_dir).rstrip("/"), report_name)
    return options
