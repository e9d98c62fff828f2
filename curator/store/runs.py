"""The `run` table on the plain DBAPI path: start a run, finish it.

Input: a DB path, a `RunKind`, the run's arguments and counts (JSON-able dicts), a
`RunStatus`, the time. Output: the run's id; committed rows. Config: none. Each call has
its own short write transaction on its own connection, so a run's row is visible (and
its end recorded) whatever happens to the long transaction-free work between.
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from curator.store.dbapi import connect, sql_time, transaction
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
