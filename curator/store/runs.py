"""The `run` table: start a run, finish it, list the runs of one kind; the shards of a run.

Input: a DB path (writes) or a `Db` (reads), a `RunKind`, the run's arguments and counts
(JSON-able dicts), a `RunStatus`, the time, and for sharded checks a run key (shared by
the shards of one run) and a shard label ("I/N"). Output: the run's id; committed rows;
`RunRow`s; for `curator merge`, url ids by normalized URL, the run row of one shard of a
run (found or made) and the (url id, checked at) pairs a run key already holds. Config:
none. `start_run`/`finish_run` each have their own short transaction on their own
connection, so a run's row is visible (and its end recorded) whatever happens to the long
transaction-free work between; the others run in the caller's transaction. Plain SQL with
`?` parameters and no SQLite-only syntax, so PostgreSQL (through a paramstyle shim)
accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from curator.store.dbapi import (
    IN_CHUNK,
    Db,
    Where,
    connect,
    dbapi,
    fetch_all,
    from_sql_time,
    insert_returning_id,
    sql_time,
    transaction,
)
from curator.store.kinds import RunKind, RunStatus


def start_run(
    path: Where,
    kind: RunKind,
    arguments: dict[str, Any],
    now: datetime,
    run_key: str | None = None,
    shard: str | None = None,
) -> int:
    with closing(connect(path)) as conn, transaction(conn, write=True):
        return insert_returning_id(
            conn,
            "INSERT INTO run (kind, started_at, arguments, counts, status, run_key, shard)"
            " VALUES (?, ?, ?, '{}', ?, ?, ?)",
            (
                kind.value,
                sql_time(now),
                json.dumps(arguments),
                RunStatus.RUNNING.value,
                run_key,
                shard,
            ),
        )


def finish_run(
    path: Where, run_id: int, counts: dict[str, Any], status: RunStatus, now: datetime
) -> None:
    with closing(connect(path)) as conn, transaction(conn, write=True):
        conn.execute(
            "UPDATE run SET finished_at = ?, counts = ?, status = ? WHERE id = ?",
            (sql_time(now), json.dumps(counts), status.value, run_id),
        )


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    kind: RunKind
    started_at: datetime
    finished_at: datetime | None
    arguments: dict[str, Any]
    counts: dict[str, Any]
    status: RunStatus
    run_key: str | None = None  # shared by the shards of one sharded check
    shard: str | None = None  # "I/N" for a sharded check


def runs_of_kind(db: Db, kind: RunKind) -> list[RunRow]:
    """Every run of `kind`, oldest first."""
    rows = fetch_all(
        db,
        "SELECT id, started_at, finished_at, arguments, counts, status, run_key, shard"
        " FROM run WHERE kind = ? ORDER BY started_at, id",
        (kind.value,),
    )
    out = []
    for rid, started, finished, arguments, counts, status, run_key, shard in rows:
        at = from_sql_time(started)
        assert at is not None
        out.append(
            RunRow(
                rid,
                kind,
                at,
                from_sql_time(finished),
                json.loads(arguments) if arguments else {},
                json.loads(counts) if counts else {},
                RunStatus(status),
                run_key,
                shard,
            )
        )
    return out


def record_run(
    db: Db,
    kind: RunKind,
    started_at: datetime,
    finished_at: datetime,
    arguments: dict[str, Any],
    counts: dict[str, Any],
    status: RunStatus,
) -> None:
    """A finished run's row, in the caller's transaction (runs that are one transaction)."""
    dbapi(db).execute(
        "INSERT INTO run (kind, started_at, finished_at, arguments, counts, status)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            kind.value,
            sql_time(started_at),
            sql_time(finished_at),
            json.dumps(arguments),
            json.dumps(counts),
            status.value,
        ),
    )


def last_finished(db: Db, kind: RunKind, status: RunStatus = RunStatus.DONE) -> datetime | None:
    """When the latest run of `kind` that ended with `status` finished."""
    [(text,)] = fetch_all(
        db,
        "SELECT max(finished_at) FROM run WHERE kind = ? AND status = ?",
        (kind.value, status.value),
    )
    return from_sql_time(text)


# --- the shards of one run (`curator merge`) ----------------------------------------------


def url_ids(db: Db, normalized: Sequence[str]) -> dict[str, int]:
    """url.id by normalized URL, for those of `normalized` the DB has (inserts nothing)."""
    found: dict[str, int] = {}
    for i in range(0, len(normalized), IN_CHUNK):
        chunk = normalized[i : i + IN_CHUNK]
        sql = f"SELECT normalized, id FROM url WHERE normalized IN ({', '.join('?' * len(chunk))})"
        found.update((norm, int(uid)) for norm, uid in fetch_all(db, sql, chunk))
    return found


def _as_time(value: Any) -> datetime | None:
    # SQLite hands back sql_time text; a PostgreSQL driver would hand back datetimes.
    return from_sql_time(value) if isinstance(value, str) else value


def results_of_key(db: Db, run_key: str) -> set[tuple[int, datetime]]:
    """(url id, checked at) of every result stored under `run_key`, by any shard."""
    rows = fetch_all(
        db,
        "SELECT check_result.url_id, check_result.checked_at FROM check_result"
        " JOIN run ON run.id = check_result.run_id WHERE run.run_key = ?",
        (run_key,),
    )
    out: set[tuple[int, datetime]] = set()
    for uid, at in rows:
        t = _as_time(at)
        if t is not None:
            out.add((int(uid), t))
    return out


def shard_run(
    db: Db,
    run_key: str,
    shard: str | None,
    *,
    started_at: datetime,
    finished_at: datetime | None,
    status: RunStatus,
    arguments: dict[str, Any],
    counts: dict[str, Any],
) -> tuple[int, bool]:
    """The id of the run row of `shard` of `run_key`, and whether it was made just now."""
    # No `? IS NULL` on a parameter: PostgreSQL cannot type it.
    where = " AND shard = ?" if shard is not None else " AND shard IS NULL"
    params: tuple[Any, ...] = (run_key, shard) if shard is not None else (run_key,)
    params = (RunKind.CHECK.value, *params)
    find = "SELECT id FROM run WHERE kind = ? AND run_key = ?" + where + " ORDER BY id"
    found = fetch_all(db, find, params)
    if found:
        return int(found[0][0]), False
    dbapi(db).execute(
        "INSERT INTO run (kind, started_at, finished_at, arguments, counts, status, run_key,"
        " shard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            RunKind.CHECK.value,
            sql_time(started_at),
            sql_time(finished_at),
            json.dumps(arguments),
            json.dumps(counts),
            status.value,
            run_key,
            shard,
        ),
    )
    return int(fetch_all(db, find, params)[0][0]), True
