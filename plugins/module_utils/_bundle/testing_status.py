# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-bundle test record: DSS's testing status of a bundle (``GET /projects/K/scenarios/testing-status``),
the latest run of each test scenario made while that bundle was active. A bundle is certified when that record
exists and passes; "changed" or "activated" never certifies anything."""

from __future__ import annotations

PASSING = ("SUCCESS",)


def testing_status(client, project_key, bundle_id):
    """The raw testing status of ``bundle_id`` (raises as dataikuapi does)."""
    raw = client.get_project(project_key).get_testing_status(bundle_id).get_raw()
    return raw if isinstance(raw, dict) else {}


def summary(raw):
    """{nb_ran, outcomes}: how many test scenarios ran while the bundle was active, and their outcomes."""
    outcomes = raw.get("nbScenariosPerOutcome") if isinstance(raw.get("nbScenariosPerOutcome"), dict) else {}
    try:
        nb_ran = int(raw.get("nbTotalRanScenarios") or 0)
    except (TypeError, ValueError):
        nb_ran = 0
    return {"nb_ran": nb_ran, "outcomes": dict((str(k), v) for k, v in outcomes.items() if v)}


def passes(raw, warning_is_failure=False):
    """Whether the record certifies the bundle: at least one test scenario ran and none ended otherwise than
    SUCCESS (or WARNING, unless ``warning_is_failure``)."""
    view = summary(raw)
    allowed = PASSING if warning_is_failure else PASSING + ("WARNING",)
    return view["nb_ran"] > 0 and bool(view["outcomes"]) and all(k in allowed for k in view["outcomes"])


def problem(raw, bundle_id, warning_is_failure=False):
    """Why the record does not certify ``bundle_id`` (one sentence), or None when it does."""
    if passes(raw, warning_is_failure):
        return None
    view = summary(raw)
    if view["nb_ran"] == 0:
        return "no test scenario has run while bundle %s was active" % bundle_id
    return "the test scenarios run while bundle %s was active ended %s" % (
        bundle_id, ", ".join("%s x%s" % (k, v) for k, v in sorted(view["outcomes"].items())))
