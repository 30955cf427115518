# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generic comparison helpers for modules that manage part of a DSS object.

The pattern (community.general keycloak_* style): build the desired state from the options that were set, check
whether it is a subset of what DSS returns, merge it over the current object to write the whole object back, and
show a diff of the managed fields only. Nothing here knows about a particular DSS object.
"""

from __future__ import annotations

import copy
import json
import re


def equal(left, right):
    """Deep equality that, unlike ``==``, keeps ``True`` apart from ``1`` and ``False`` from ``0``/``0.0``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right))
    return left == right


def is_subset(desired, current):
    """True when every key of ``desired`` (recursively, for dicts) has the same value in ``current``.

    Lists must have the same length and each desired item must be a subset of the item at the same position;
    scalars are compared with :func:`equal`. Keys the server adds to ``current`` are ignored.
    """
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(
            key in current and is_subset(value, current[key]) for key, value in desired.items())
    if isinstance(desired, (list, tuple)):
        return (isinstance(current, (list, tuple)) and len(desired) == len(current)
                and all(is_subset(d, c) for d, c in zip(desired, current)))
    return equal(desired, current)


def deep_merge(base, overlay):
    """A new dict: ``base`` with ``overlay`` merged in; nested dicts are merged, anything else is replaced."""
    merged = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in (overlay or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _sort_key(item):
    return json.dumps(item, sort_keys=True, default=str)


def same_items(left, right):
    """Order- and duplicate-insensitive comparison of two lists (for values a server may reorder, such as tags)."""
    return sorted({_sort_key(x) for x in left or []}) == sorted({_sort_key(x) for x in right or []})


def sorted_unique(items):
    """The distinct items of a list in a stable order, for a diff view that does not depend on server order."""
    seen = {}
    for item in items or []:
        seen.setdefault(_sort_key(item), item)
    return [seen[k] for k in sorted(seen)]


def keep_order(current, desired):
    """The distinct items of ``desired``: those already in ``current`` in their current order, then the new ones
    in the order given. Writing this keeps a list the server reordered stable and the write minimal."""
    wanted = {_sort_key(x): x for x in desired or []}
    result = []
    for item in list(current or []) + list(desired or []):
        key = _sort_key(item)
        if key in wanted:
            result.append(wanted.pop(key))
    return result


_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel_to_snake(name):
    """``readProjectContent`` -> ``read_project_content`` (for keys shown in diffs and results)."""
    return _CAMEL_RE.sub(r"_\1", name).lower()


def rename_keys(data, mapping, keep_unknown=True):
    """A copy of ``data`` with keys renamed through ``mapping``; unknown keys kept (converted to snake_case when
    ``keep_unknown == "snake"``) or dropped (``keep_unknown=False``)."""
    result = {}
    for key, value in data.items():
        if key in mapping:
            result[mapping[key]] = value
        elif keep_unknown == "snake":
            result[camel_to_snake(key)] = value
        elif keep_unknown:
            result[key] = value
    return result


def prune(view):
    """A copy of a diff view without ``None`` values (recursively), so an unset field is absent, not ``null``."""
    if isinstance(view, dict):
        return {k: prune(v) for k, v in view.items() if v is not None}
    if isinstance(view, list):
        return [prune(v) for v in view]
    return view


def changed_keys(before, after):
    """Sorted top-level keys whose values differ between two views (for messages such as "DSS did not keep ...")."""
    keys = set(before or {}) | set(after or {})
    return sorted(k for k in keys if not equal((before or {}).get(k), (after or {}).get(k)))
