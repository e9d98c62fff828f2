"""The `run` table: start a run, finish it, list the runs of one kind.

Input: a DB path (writes) or a `Db` (reads), a `RunKind`, the run's arguments and counts
(JSON-able dicts), a `RunStatus`, the time. Output: the run's id; committed rows;
`RunRow`s. Config: none. Each write has its own short transaction on its own
connection, so a run's row is visible (and its end recorded) whatever happens to the long
transaction-free work between.
"""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from curator.store.dbapi import (
    Db,
    connect,
    dbapi,
    fetch_all,
    from_sql_time,
    sql_time,
    transaction,
)
from curator.store.kinds import RunKind, RunStatus


def start_run(path: Path, kind: RunKind, arguments: dict[str, Any], now: datetime) -> int:
    with closing(connect(path)) as conn, transaction(conn, write=True):
        cursor = conn.execute(
            "INSERT INTO run (kind, started_at, arguments, counts, status)"
            " VALUES (?, ?, ?, '{}', ?)",
            (kind.value, sql_time(now), json.dumps(arguments), RunStatus.RUNNING.value),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def finish_run(
    path: Path, run_id: int, counts: dict[str, Any], status: RunStatus, now: datetime
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


def runs_of_kind(db: Db, kind: RunKind) -> list[RunRow]:
    """Every run of `kind`, oldest first."""
    rows = fetch_all(
        db,
        "SELECT id, started_at, finished_at, arguments, counts, status FROM run"
        " WHERE kind = ? ORDER BY started_at, id",
        (kind.value,),
    )
    out = []
    for rid, started, finished, arguments, counts, status in rows:
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
