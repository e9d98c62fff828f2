"""Database access: engine set-up (WAL, busy timeout, foreign keys) and sessions.

Input: a DB path (`--db`, else `$CURATOR_DB`, else `data/curator.db`). Output: an
SQLAlchemy engine whose schema is current, and read/write session helpers. Writes run in
`BEGIN IMMEDIATE` transactions, so two curator processes on one DB queue on the write lock
(up to the busy timeout) instead of failing with `database is locked` half-way through.
The connection settings, path resolution and time conversions are shared with plain
sqlite3 users (`curator check`) and live in dbapi.py. Migrations (migrate.py) are loaded
only when a DB is opened with `migrate=True` or upgraded by `upgrade_database`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from curator.errors import DatabaseError
from curator.store import dbapi as plain
from curator.store.dbapi import check_file, locked_error, resolve_db_path, setup

if TYPE_CHECKING:
    from curator.store.migrate import UpgradeResult


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    setup(dbapi_conn)


def _on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("curator_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_engine(
    db: str | Path | None = None, *, migrate: bool = True, must_exist: bool = False
) -> Engine:
    """Open (creating if needed) the DB at `db` and bring its schema up to date;
    `must_exist` (read-only commands) refuses to create it: a mistyped `--db` would
    otherwise leave an empty database behind and print empty tables."""
    path = resolve_db_path(db)
    if must_exist and not path.exists():
        raise DatabaseError(f"no database at {path} (run curator import first)")
    check_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from exc
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": plain.BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    if migrate:
        from curator.store.migrate import ensure_schema

        ensure_schema(engine, path)
    return engine


def _db_error(engine: Engine, exc: OperationalError) -> DatabaseError:
    return locked_error(engine.url.database, str(exc.orig))


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except OperationalError as exc:
            raise _db_error(engine, exc) from exc


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any exception."""
    bound = engine.execution_options(curator_immediate=True)
    with Session(bound, expire_on_commit=False) as session:
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise _db_error(engine, exc) from exc


def upgrade_database(db: str | Path | None) -> UpgradeResult:
    """`curator db upgrade`: open the DB without auto-migrating, then migrate explicitly."""
    from curator.store.migrate import upgrade

    path = resolve_db_path(db)
    engine = open_engine(path, migrate=False)
    try:
        return upgrade(engine, path)
    finally:
        engine.dispose()
