"""Entries' category paths and the `category_override` table (pinned canonical categories).

Input: a `Db` (a session's transaction for writes), entry kinds, entry ids, categories.
Output: `EntryPath`s of live entries, overrides by entry id, `EntryBrief`s. Config: none.
What a path maps to is the taxonomy's business (curate/taxonomy.py), not the store's.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import NamedTuple

from curator.store.dbapi import Db, dbapi, fetch_all


class EntryPath(NamedTuple):
    entry_id: int
    source_id: int
    category: tuple[str, ...]  # the heading path in its source
    title: str


class EntryBrief(NamedTuple):
    entry_id: int
    title: str
    category: tuple[str, ...]


def category_overrides(db: Db) -> dict[int, str]:
    return {
        int(e): str(c)
        for e, c in fetch_all(db, "SELECT entry_id, canonical FROM category_override")
    }


def live_entry_paths(db: Db, kinds: Collection[str]) -> list[EntryPath]:
    """Live entries of the given kinds, by source id, then position in the source."""
    marks = ", ".join("?" * len(kinds))
    rows = fetch_all(
        db,
        "SELECT id, source_id, category, title FROM entry"
        f" WHERE removed_at IS NULL AND kind IN ({marks}) ORDER BY source_id, position",
        list(kinds),
    )
    return [EntryPath(i, s, tuple(json.loads(c) or ()) if c else (), t) for i, s, c, t in rows]


def live_entry(db: Db, entry_id: int) -> EntryBrief | None:
    rows = fetch_all(
        db,
        "SELECT id, title, category FROM entry WHERE id = ? AND removed_at IS NULL",
        (entry_id,),
    )
    if not rows:
        return None
    i, title, c = rows[0]
    return EntryBrief(i, title, tuple(json.loads(c) or ()) if c else ())


def set_category_override(db: Db, entry_id: int, category: str | None) -> None:
    """Pin `entry_id` to `category`, or unpin it (None)."""
    conn = dbapi(db)
    if category is None:
        conn.execute("DELETE FROM category_override WHERE entry_id = ?", (entry_id,))
        return
    conn.execute(
        "INSERT INTO category_override (entry_id, canonical) VALUES (?, ?)"
        " ON CONFLICT (entry_id) DO UPDATE SET canonical = excluded.canonical",
        (entry_id, category),
    )
