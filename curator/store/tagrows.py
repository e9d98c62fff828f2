"""Read the tag rows of one entry (for `curator tag --explain`).

Input: an open session and an entry id. Output: (name, origin, reason) tuples ordered by
tag name, then origin. Config: none. Plain SQL that PostgreSQL accepts too.
"""

from __future__ import annotations

from sqlmodel import Session

from curator.store.dbapi import fetch_all


def tag_rows_of(session: Session, entry_id: int) -> list[tuple[str, str, str]]:
    rows = fetch_all(
        session,
        "SELECT name, origin, reason FROM tag WHERE entry_id = ? ORDER BY name, origin",
        (entry_id,),
    )
    return [(str(n), str(o), str(r or "")) for n, o, r in rows]
