"""The `export_state` table: what each export contained, for CHANGES.md's comparison.

Input: a `Db` (a session's transaction when saving), an export's entry items and broken
URLs, the time. Output: `ExportSnapshot`s, newest first. Config: none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from curator.store.dbapi import Db, dbapi, fetch_all, from_sql_time, sql_time


@dataclass(frozen=True, slots=True)
class ExportSnapshot:
    exported_at: datetime
    entries: tuple[str, ...]  # "id\tsource\ttitle" per entry
    broken: tuple[str, ...]  # normalized URLs


def latest_snapshots(db: Db, limit: int) -> list[ExportSnapshot]:
    rows = fetch_all(
        db,
        "SELECT exported_at, entries, broken FROM export_state ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    out = []
    for at, entries, broken in rows:
        when = from_sql_time(at)
        assert when is not None
        out.append(ExportSnapshot(when, tuple(json.loads(entries)), tuple(json.loads(broken))))
    return out


def save_snapshot(db: Db, entries: Sequence[str], broken: Sequence[str], now: datetime) -> None:
    # json.dumps as SQLAlchemy's JSON column writes it, so rows read the same either way.
    dbapi(db).execute(
        "INSERT INTO export_state (exported_at, entries, broken) VALUES (?, ?, ?)",
        (sql_time(now), json.dumps(list(entries)), json.dumps(list(broken))),
    )
