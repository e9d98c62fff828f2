"""The `entry` table and its links as the round-trip export needs them: what was edited.

Input: a `Db` and a source id or entry id. Output: `EditedEntry`s (live entries whose title
or any link differs from what the current source version says) and their `EditedLink`s.
Config: none.
"""

from __future__ import annotations

from typing import NamedTuple

from curator.store.dbapi import Db, fetch_all


class EditedEntry(NamedTuple):
    id: int
    title: str
    orig_title: str
    line_start: int  # 0-based, in the current source version
    line_end: int  # exclusive


class EditedLink(NamedTuple):
    line: int
    orig_href: str  # as written in the current source version
    href: str  # as it is now
    text: str


def edited_entries(db: Db, source_id: int) -> list[EditedEntry]:
    rows = fetch_all(
        db,
        "SELECT id, title, orig_title, line_start, line_end FROM entry"
        " WHERE source_id = ? AND removed_at IS NULL AND (title != orig_title"
        " OR id IN (SELECT entry_id FROM link WHERE href != orig_href)) ORDER BY id",
        (source_id,),
    )
    return [EditedEntry(*r) for r in rows]


def edited_links(db: Db, entry_id: int) -> list[EditedLink]:
    rows = fetch_all(
        db,
        "SELECT line, orig_href, href, text FROM link"
        " WHERE entry_id = ? AND href != orig_href ORDER BY id",
        (entry_id,),
    )
    return [EditedLink(*r) for r in rows]
