"""DSS object version tags, and writes that only happen when something really changed.

DSS stamps objects with `creationTag` / `versionTag` {versionNumber, lastModifiedBy{login}, lastModifiedOn}.
The emulator bumps `versionTag` only when a save changes the content, so saving back an unmodified GET leaves
the node's state digest untouched (what idempotency tests compare).
"""

from .node import current_user, now_ms, store

TAG_KEYS = ("versionTag", "creationTag")


def new_tag(number=0):
    return {"versionNumber": number, "lastModifiedBy": {"login": current_user()}, "lastModifiedOn": now_ms()}


def stamp_new(obj):
    """Add creation and version tags to a freshly created object."""
    obj["creationTag"] = new_tag(0)
    obj["versionTag"] = new_tag(0)
    return obj


def save_if_changed(kind, scope, id_, old, new, tagged=lambda doc: doc):
    """Store `new` in place of `old` unless they differ only by their tags; the stored tags win over the
    client's copy and the version number goes up on a real change. `tagged(doc)` is the part of a doc that
    carries the tags (a recipe doc keeps them under "recipe"). Returns (changed, stored doc)."""
    if old is not None:
        old_t, new_t = tagged(old), tagged(new)
        for key in TAG_KEYS:
            if key in old_t:
                new_t[key] = old_t[key]
            else:
                new_t.pop(key, None)
        if old == new:
            return False, old
        number = (old_t.get("versionTag") or {}).get("versionNumber", 0) + 1
        new_t["versionTag"] = new_tag(number)
    store().put(kind, scope, id_, new)
    return True, new
