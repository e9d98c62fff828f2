"""`url_state.archived_url` written by the check's Wayback lookup.

Input: a DB (SQLite path or PostgreSQL target) and url id → snapshot URL ("" when the
archive has none, so the link is not asked about again). Output: the column updated in
one write transaction. Config: none. Plain SQL that PostgreSQL accepts too.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing

from curator.store.dbapi import Where, connect, transaction


def save_archived_urls(db: Where, found: Mapping[int, str]) -> None:
    if not found:
        return
    with closing(connect(db)) as conn, transaction(conn, write=True):
        conn.executemany(
            "UPDATE url_state SET archived_url = ? WHERE url_id = ?",
            [(url, uid) for uid, url in found.items()],
        )
