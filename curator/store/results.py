"""The `check_result` table: one row per check of one URL, written in bulk.

Input: a sqlite3 connection in a write transaction and `ResultRow`s; url ids for reads.
Output: committed rows; each URL's last check time in ms. Config: none. Plain DBAPI
`executemany`: SQLAlchemy's bulk insert cost more CPU than the rest of the parent
process's share of a 20,000-URL run. The column list is `ResultRow`'s fields, which a test
holds to the `CheckResult` table in schema.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from curator.store.dbapi import Db, fetch_all, in_chunks, sql_time


class ResultRow(NamedTuple):
    """A `check_result` row but its id."""

    url_id: int
    run_id: int | None
    checked_at: datetime
    status: int | None
    outcome: str  # an Outcome
    final_url: str | None
    redirects: list[dict[str, Any]]
    elapsed_ms: int
    attempts: int
    error: str | None
    title: str | None
    description: str | None


COLUMNS: tuple[str, ...] = ResultRow._fields
_INSERT = (
    f"INSERT INTO check_result ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)


def insert_results(conn: sqlite3.Connection, rows: Sequence[ResultRow]) -> None:
    """Append `rows` (in the caller's transaction)."""
    conn.executemany(
        _INSERT,
        [
            (
                r.url_id, r.run_id, sql_time(r.checked_at), r.status, r.outcome, r.final_url,
                json.dumps(r.redirects) if r.redirects else "[]", r.elapsed_ms, r.attempts,
                r.error, r.title, r.description,
            )
            for r in rows
        ],
    )  # fmt: skip


def last_elapsed_ms(db: Db, url_ids: Sequence[int]) -> dict[int, int]:
    """Each URL's time taken at its latest check (URLs never checked are left out)."""
    elapsed: dict[int, int] = {}
    for chunk in in_chunks(url_ids):
        elapsed.update(
            fetch_all(
                db,
                "SELECT url_id, elapsed_ms FROM check_result WHERE id IN (SELECT max(id)"
                f" FROM check_result WHERE url_id IN ({', '.join('?' * len(chunk))})"
                " GROUP BY url_id)",
                chunk,
            )
        )
    return elapsed
