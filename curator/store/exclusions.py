"""The `exclusion` table: URL patterns the checker skips, with a reason and an expiry.

Input: a `Db` (a session's transaction for the edits), patterns, reasons, times.
Output: `ExclusionRow`s by pattern; whether an upsert created a row; whether a delete found
one. Config: none. Validating patterns is the checker's business (check/exclusions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from curator.store.dbapi import Db, dbapi, fetch_all, from_sql_time, sql_time


class ExclusionRow(NamedTuple):
    pattern: str
    reason: str
    expires_at: datetime | None
    created_at: datetime


def exclusion_rows(db: Db) -> list[ExclusionRow]:
    rows = fetch_all(
        db, "SELECT pattern, reason, expires_at, created_at FROM exclusion ORDER BY pattern"
    )
    out = []
    for pattern, reason, expires, created in rows:
        created_at = from_sql_time(created)
        assert created_at is not None
        out.append(ExclusionRow(pattern, reason, from_sql_time(expires), created_at))
    return out


def save_exclusion(
    db: Db, pattern: str, reason: str, expires_at: datetime | None, now: datetime
) -> bool:
    """Add `pattern` (True) or update its reason and expiry (False)."""
    conn = dbapi(db)
    found = conn.execute("SELECT id FROM exclusion WHERE pattern = ?", (pattern,)).fetchone()
    if found is None:
        conn.execute(
            "INSERT INTO exclusion (pattern, reason, expires_at, created_at) VALUES (?, ?, ?, ?)",
            (pattern, reason, sql_time(expires_at), sql_time(now)),
        )
        return True
    conn.execute(
        "UPDATE exclusion SET reason = ?, expires_at = ? WHERE id = ?",
        (reason, sql_time(expires_at), found[0]),
    )
    return False


def delete_exclusion(db: Db, pattern: str) -> bool:
    """Remove `pattern`; False when there was no such exclusion."""
    cursor = dbapi(db).execute("DELETE FROM exclusion WHERE pattern = ?", (pattern,))
    return cursor.rowcount > 0
