# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which scenarios of a project dataiku_scenario_run runs, from the raw ``list_scenarios()`` items.

Items are read as dicts: ``DSSScenarioListItem.id`` returns the scenario *name* (client bug in dataikuapi/dss/scenario.py), so
the id is always ``item["id"]``.
"""

from __future__ import annotations

DEFAULT_PREFIX = "TEST_"


class Selection:
    """The scenarios to run (list items, in run order) and what the user asked for that does not exist."""

    def __init__(self, items, missing, existing, description):
        self.items = items
        self.missing = missing
        self.existing = existing
        self.description = description


def select(items, scenarios=None, prefix=None, only_marked_as_test=False, marked_as_test=None):
    """Pick the scenarios to run.

    ``scenarios`` (explicit ids) keeps the user's order, without duplicates, and reports unknown ids in
    ``missing``. Otherwise every scenario whose id starts with ``prefix`` (default ``TEST_``) runs, sorted by id
    so that a run order can be chosen by naming (``TEST_010_...``); ``only_marked_as_test`` then keeps only the
    scenarios DSS marks as tests. ``marked_as_test(item)`` answers for an item without ``markedAsTest`` (the
    key is not documented in list items [INF]).
    """
    items = [item for item in items if isinstance(item, dict) and item.get("id")]
    by_id = dict((item["id"], item) for item in items)
    existing = sorted(by_id)
    if scenarios is not None:
        wanted = list(dict.fromkeys(scenarios))
        missing = [sid for sid in wanted if sid not in by_id]
        chosen = [by_id[sid] for sid in wanted if sid in by_id]
        return Selection(chosen, missing, existing, "scenarios %s" % ", ".join(wanted))
    prefix = DEFAULT_PREFIX if prefix is None else prefix
    chosen = sorted((item for item in items if item["id"].startswith(prefix)), key=lambda item: item["id"])
    description = "ids starting with %r" % prefix
    if only_marked_as_test:
        chosen = [item for item in chosen if _is_test(item, marked_as_test)]
        description += " marked as test scenarios"
    return Selection(chosen, [], existing, description)


def _is_test(item, marked_as_test):
    if "markedAsTest" in item:
        return bool(item["markedAsTest"])
    return bool(marked_as_test(item)) if marked_as_test else False
