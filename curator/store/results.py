"""The `check_result` table: one row per check of one URL, written in bulk, read back.

Input: a connection of our own (dbapi.connect) in a write transaction and `ResultRow`s;
a `Db`, url ids, run ids and times for reads. Output: committed rows; each URL's last
check time in ms and last error; check histories; which URLs a run or a period checked;
outcome counts. Config: none. Plain DBAPI `executemany`: SQLAlchemy's bulk insert cost
more CPU than the rest of the parent process's share of a 20,000-URL run. The column list
is `ResultRow`'s fields, which a test holds to the `CheckResult` table in schema.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from curator.store.dbapi import Connection, Db, fetch_all, from_sql_time, in_chunks, sql_time


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
    reason: str | None = None  # soft-404, parked, fragment-missing


COLUMNS: tuple[str, ...] = ResultRow._fields
_INSERT = (
    f"INSERT INTO check_result ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)


def insert_results(conn: Connection, rows: Sequence[ResultRow]) -> None:
    """Append `rows` (in the caller's transaction)."""
    conn.executemany(
        _INSERT,
        [
            (
                r.url_id, r.run_id, sql_time(r.checked_at), r.status, r.outcome, r.final_url,
                json.dumps(r.redirects) if r.redirects else "[]", r.elapsed_ms, r.attempts,
                r.error, r.title, r.description, r.reason,
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


class HistoryRow(NamedTuple):
    url_id: int
    run_id: int | None
    checked_at: datetime
    outcome: str  # an Outcome
    status: int | None


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def history_before(db: Db, url_ids: Sequence[int], before: datetime) -> list[HistoryRow]:
    """Every check of `url_ids` strictly before `before`, per URL in the order made."""
    out: list[HistoryRow] = []
    for chunk in in_chunks(list(url_ids)):
        rows = fetch_all(
            db,
            "SELECT url_id, run_id, checked_at, outcome, status FROM check_result"
            f" WHERE url_id IN ({_marks(len(chunk))}) AND checked_at < ?"
            " ORDER BY url_id, checked_at, id",
            (*chunk, sql_time(before)),
        )
        for uid, run_id, at, outcome, status in rows:
            when = from_sql_time(at)
            assert when is not None
            out.append(HistoryRow(uid, run_id, when, outcome, status))
    return out


def checked_before(
    db: Db, url_ids: Sequence[int], before: datetime, outcomes: Collection[str] | None = None
) -> set[int]:
    """Those of `url_ids` checked before `before` (with one of `outcomes`, if given)."""
    found: set[int] = set()
    only = list(outcomes) if outcomes is not None else []
    extra = f" AND outcome IN ({_marks(len(only))})" if outcomes is not None else ""
    for chunk in in_chunks(list(url_ids)):
        rows = fetch_all(
            db,
            "SELECT DISTINCT url_id FROM check_result"
            f" WHERE url_id IN ({_marks(len(chunk))}) AND checked_at < ?" + extra,
            (*chunk, sql_time(before), *only),
        )
        found.update(uid for (uid,) in rows)
    return found


def last_errors(db: Db, url_ids: Sequence[int]) -> dict[int, str | None]:
    """The error of each URL's latest check (URLs never checked are left out)."""
    found: dict[int, str | None] = {}
    for chunk in in_chunks(list(url_ids)):
        found.update(
            fetch_all(
                db,
                "SELECT url_id, error FROM check_result WHERE id IN (SELECT max(id)"
                f" FROM check_result WHERE url_id IN ({_marks(len(chunk))}) GROUP BY url_id)",
                chunk,
            )
        )
    return found


def outcome_counts(db: Db, run_ids: Sequence[int]) -> dict[str, int]:
    """Results by outcome over `run_ids` (one run, or the shards of one run)."""
    rows = fetch_all(
        db,
        f"SELECT outcome, count(*) FROM check_result WHERE run_id IN ({_marks(len(run_ids))})"
        " GROUP BY outcome",
        tuple(run_ids),
    )
    return {str(o): int(n) for o, n in rows}


def urls_of_run(
    db: Db, run_ids: Sequence[int], outcomes: Collection[str] | None = None
) -> set[int]:
    """The URLs a run (its shards: `run_ids`) checked (only those with one of `outcomes`,
    if given)."""
    only = list(outcomes) if outcomes is not None else []
    extra = f" AND outcome IN ({_marks(len(only))})" if outcomes is not None else ""
    rows = fetch_all(
        db,
        f"SELECT url_id FROM check_result WHERE run_id IN ({_marks(len(run_ids))})" + extra,
        (*run_ids, *only),
    )
    return {uid for (uid,) in rows}
