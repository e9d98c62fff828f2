"""Make sure a DB exists at the current schema revision, cheaply when it already does.

Input: a DB path (`--db`, else `$CURATOR_DB`, else `data/curator.db`). Output: the path,
once the DB there is at `dbapi.SCHEMA_HEAD`. Config: none. A DB at head costs one plain
sqlite3 query; only a new or older DB loads SQLAlchemy and Alembic (connect.open_engine),
so `curator check` stays lean. Kept apart from dbapi.py, which connect.py and migrate.py
build on, so that the lazy step up to connect.py closes no import cycle.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from curator.store.dbapi import BUSY_TIMEOUT_MS, SCHEMA_HEAD, check_file, resolve_db_path


def open_current(db: str | Path | None) -> Path:
    """The DB's path, once it exists at `SCHEMA_HEAD` (a new or older DB goes through
    connect.open_engine, which creates or migrates it)."""
    path = resolve_db_path(db)
    check_file(path)
    revision: list[Any] = []
    if path.exists() and path.stat().st_size > 0:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.Error:
            revision = []
        finally:
            conn.close()
    if revision != [(SCHEMA_HEAD,)]:
        from curator.store.connect import open_engine

        open_engine(path).dispose()
    return path
