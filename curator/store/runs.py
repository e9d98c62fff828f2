"""Runs that share a run key (the shards of one sharded check), for `curator merge`.

Input: an open DBAPI connection inside the caller's transaction (curator/store/dbapi.py),
run keys, shard labels, normalized URLs. Output: url ids by normalized URL, the id of the
run row of one shard of a run (found or made), and the (url id, checked at) pairs a run key
already holds, so that merging a file twice adds nothing. Config: none. Plain SQL with `?`
parameters and no SQLite-only syntax, so PostgreSQL (through a paramstyle shim) accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from curator.store.dbapi import fetch_all, from_sql_time, sql_time

_IN_CHUNK = 500  # names per `IN (?, ...)` list, under SQLite's oldest parameter limit


def url_ids(conn: Any, normalized: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(normalized), _IN_CHUNK):
        chunk = normalized[i : i + _IN_CHUNK]
        sql = f"SELECT normalized, id FROM url WHERE normalized IN ({', '.join('?' * len(chunk))})"
        found.update((norm, int(uid)) for norm, uid in fetch_all(conn, sql, chunk))
    return found


def _as_time(value: Any) -> datetime | None:
    # SQLite hands back sql_time text; a PostgreSQL driver would hand back datetimes.
    return from_sql_time(value) if isinstance(value, str) else value


def results_of_key(conn: Any, run_key: str) -> set[tuple[int, datetime]]:
    """(url id, checked at) of every result stored under `run_key`, by any shard."""
    rows = fetch_all(
        conn,
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
    conn: Any,
    run_key: str,
    shard: str | None,
    *,
    started_at: datetime,
    finished_at: datetime | None,
    status: str,
    arguments: dict[str, Any],
    counts: dict[str, Any],
) -> tuple[int, bool]:
    """The id of the run row of `shard` of `run_key`, and whether it was made just now."""
    # No `? IS NULL` on a parameter: PostgreSQL cannot type it.
    where = " AND shard = ?" if shard is not None else " AND shard IS NULL"
    params: tuple[Any, ...] = (run_key, shard) if shard is not None else (run_key,)
    find = "SELECT id FROM run WHERE kind = 'check' AND run_key = ?" + where + " ORDER BY id"
    found = fetch_all(conn, find, params)
    if found:
        return int(found[0][0]), False
    conn.execute(
        "INSERT INTO run (kind, started_at, finished_at, arguments, counts, status, run_key,"
        " shard) VALUES ('check', ?, ?, ?, ?, ?, ?, ?)",
        (
            sql_time(started_at),
            sql_time(finished_at),
            json.dumps(arguments),
            json.dumps(counts),
            status,
            run_key,
            shard,
        ),
    )
    return int(fetch_all(conn, find, params)[0][0]), True
