"""The `url_state` table: each URL's standing after its checks, read and written in bulk.

Input: a `Db` and url ids, or `StateRow`s to store. Output: `StateRow`s (times as aware
UTC datetimes). Config: none. Plain DBAPI: a check reads every checked URL's row twice
(to select it, to store its result) and the ORM costs ~50 µs a row. The column list is
`StateRow`'s fields, which a test holds to the `UrlState` table in schema.py (importing
the schema here would load SQLAlchemy on the check path).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from curator.store.dbapi import Connection, Db, fetch_all, from_sql_time, in_chunks, sql_time
from curator.store.kinds import Outcome


class StateRow(NamedTuple):
    """A `url_state` row, every column but `archived_url` (set by the check's Wayback
    lookup, store/snapshots.py; read with `archive_lookups`)."""

    url_id: int
    state: str  # a LinkState
    last_outcome: str | None  # an Outcome
    last_status: int | None
    first_failure_at: datetime | None
    consecutive_failures: int
    flips: int
    last_ok_at: datetime | None
    last_checked_at: datetime | None
    final_url: str | None
    title: str | None
    description: str | None
    title_drift: bool
    reason: str | None = None  # of the last result: soft-404, parked, fragment-missing


COLUMNS: tuple[str, ...] = StateRow._fields
NOT_WRITTEN_HERE = ("archived_url",)  # columns of url_state an upsert leaves alone
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM url_state WHERE url_id IN "
_SET = COLUMNS[1:]
_UPSERT = (
    f"INSERT INTO url_state ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    f"ON CONFLICT (url_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _SET)}"
)


def states_of(db: Db, url_ids: Sequence[int]) -> dict[int, StateRow]:
    rows: dict[int, StateRow] = {}
    t = from_sql_time
    for chunk in in_chunks(url_ids):
        sql = _SELECT + f"({', '.join('?' * len(chunk))})"
        for r in fetch_all(db, sql, chunk):
            uid, state, outcome, status, first_failure, failures, flips = r[:7]
            ok_at, checked_at, final_url, title, description, drift, reason = r[7:]
            rows[uid] = StateRow(
                uid, state, outcome, status, t(first_failure), failures, flips, t(ok_at),
                t(checked_at), final_url, title, description, bool(drift), reason,
            )  # fmt: skip
    return rows


def upsert_states(conn: Connection, rows: Sequence[StateRow]) -> None:
    """Insert or replace each row's state (in the caller's transaction)."""
    t = sql_time
    conn.executemany(
        _UPSERT,
        [
            (
                r.url_id, r.state, r.last_outcome, r.last_status, t(r.first_failure_at),
                r.consecutive_failures, r.flips, t(r.last_ok_at), t(r.last_checked_at),
                r.final_url, r.title, r.description, r.title_drift, r.reason,
            )
            for r in rows
        ],
    )  # fmt: skip


class Redirected(NamedTuple):
    url: str
    normalized: str
    final_url: str


def redirected_urls(db: Db) -> list[Redirected]:
    """URLs whose last check was a permanent redirect with a known target, by normalized."""
    rows = fetch_all(
        db,
        "SELECT url.url, url.normalized, url_state.final_url FROM url"
        " JOIN url_state ON url_state.url_id = url.id"
        " WHERE url_state.last_outcome = ? AND url_state.final_url IS NOT NULL"
        " ORDER BY url.normalized",
        (Outcome.REDIRECTED.value,),
    )
    return [Redirected(*r) for r in rows]


def redirect_of(db: Db, normalized: str) -> Redirected | None:
    """`normalized`'s URL if its last check was a permanent redirect with a known target."""
    rows = fetch_all(
        db,
        "SELECT url.url, url.normalized, url_state.final_url FROM url"
        " JOIN url_state ON url_state.url_id = url.id"
        " WHERE url.normalized = ? AND url_state.last_outcome = ?"
        " AND url_state.final_url IS NOT NULL",
        (normalized, Outcome.REDIRECTED.value),
    )
    return Redirected(*rows[0]) if rows else None


def archived_urls(db: Db, url_ids: Sequence[int]) -> dict[int, str]:
    """`url_state.archived_url` where one is set (a lookup that found a copy)."""
    return {k: v for k, v in archive_lookups(db, url_ids).items() if v}


def archive_lookups(db: Db, url_ids: Sequence[int]) -> dict[int, str]:
    """`url_state.archived_url` of those of `url_ids` looked up already: a copy's URL, or
    "" when the lookup found none (a URL never looked up is left out)."""
    found: dict[int, str] = {}
    for chunk in in_chunks(url_ids):
        found.update(
            fetch_all(
                db,
                "SELECT url_id, archived_url FROM url_state WHERE archived_url IS NOT NULL"
                f" AND url_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        )
    return found


# (url_id, state, last_outcome, final_url, archived_url, title, reason)
StateSummary = tuple[int, str, str | None, str | None, str | None, str | None, str | None]


def state_summaries(db: Db) -> list[StateSummary]:
    """What exports show of every URL's state, as plain tuples."""
    return fetch_all(
        db,
        "SELECT url_id, state, last_outcome, final_url, archived_url, title, reason FROM url_state",
    )


def last_checked_at(db: Db) -> datetime | None:
    [(text,)] = fetch_all(db, "SELECT max(last_checked_at) FROM url_state")
    return from_sql_time(text)
