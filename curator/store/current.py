"""Make sure a DB exists at the current schema revision, cheaply when it already does.

Input: a DB path or PostgreSQL target (`--db`, else `$CURATOR_DB`, else `data/curator.db`).
Output: the path (or target), once the DB there is at `dbapi.SCHEMA_HEAD`. Config: none.
A DB at head costs one plain DBAPI query; only a new or older DB loads SQLAlchemy and
Alembic (connect.open_engine), so `curator check` stays lean. Kept apart from dbapi.py,
which connect.py and migrate.py build on, so that the lazy step up to connect.py closes
no import cycle.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from curator.store.dbapi import (
    BUSY_TIMEOUT_MS,
    SCHEMA_HEAD,
    Where,
    check_file,
    connect,
    fetch_all,
    resolve_db,
)
from curator.store.target import DbTarget


def open_current(db: str | Path | DbTarget | None) -> Where:
    """The DB's path (or PostgreSQL target), once it exists at `SCHEMA_HEAD` (a new or
    older DB goes through connect.open_engine, which creates or migrates it)."""
    where = resolve_db(db)
    if isinstance(where, DbTarget):
        return _open_current_pg(where)
    path = where
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


def _open_current_pg(target: DbTarget) -> DbTarget:
    conn = connect(target)
    try:
        # Looked up first: on PostgreSQL a failed SELECT would need a rollback.
        revision = fetch_all(
            conn,
            "SELECT version_num FROM alembic_version WHERE EXISTS (SELECT 1 FROM"
            " information_schema.tables WHERE table_schema = current_schema()"
            " AND table_name = 'alembic_version')",
        )
    finally:
        conn.close()
    if revision != [(SCHEMA_HEAD,)]:
        from curator.store.connect import open_engine

        open_engine(target).dispose()
    return target
