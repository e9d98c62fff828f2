"""Names a user may type as a filter or argument, checked against what the DB knows.

Input: a `Db` and a name (tag, category text, source). Output: nothing when the name is
known; NotFoundError (exit 2) with the closest known name ("did you mean") when it is not,
so `list --tag nope` says so instead of printing an empty table. Reads only; plain DBAPI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from curator.errors import NotFoundError
from curator.store.dbapi import Db, fetch_all
from curator.util.words import did_you_mean


def tag_names(db: Db) -> set[str]:
    """Every tag name on a current entry (rule, manual, or vetoed by hand)."""
    rows = fetch_all(
        db,
        "SELECT DISTINCT tag.name FROM tag JOIN entry ON entry.id = tag.entry_id"
        " WHERE entry.removed_at IS NULL",
    )
    return {str(name) for (name,) in rows}


def require_tag(db: Db, tag: str, also: Iterable[str] = ()) -> None:
    """`tag` is on some entry, or one of `also` (e.g. the rules' tags)."""
    known = tag_names(db) | set(also)
    if tag not in known:
        hint = did_you_mean(tag, known) or (
            f" (known: {', '.join(sorted(known))})" if known else " (run `curator tag` first)"
        )
        raise NotFoundError(f"no tag named {tag!r}{hint}")


def category_names(db: Db) -> set[str]:
    """Every heading in the category paths of current entries."""
    names: set[str] = set()
    for (path,) in fetch_all(db, "SELECT DISTINCT category FROM entry WHERE removed_at IS NULL"):
        names.update(json.loads(path) if isinstance(path, str) else (path or ()))
    return names


def require_category(db: Db, needle: str) -> None:
    """Some heading contains `needle` (case-insensitive), as `list --category` filters."""
    known = category_names(db)
    folded = needle.casefold()
    if not any(folded in name.casefold() for name in known):
        raise NotFoundError(
            f"no category contains {needle!r}{did_you_mean(needle, known)} (see `curator stats`)"
        )


def source_hint(db: Db, name: str) -> str:
    """The "did you mean" part for a mistyped source name ("" when none is close)."""
    return did_you_mean(name, (str(n) for (n,) in fetch_all(db, "SELECT name FROM source")))
