"""Database access: engine set-up (WAL, busy timeout, foreign keys) and sessions.

Input: a DB path (`--db`, else `$CURATOR_DB`, else `data/curator.db`). Output: an
SQLAlchemy engine whose schema is current, and read/write session helpers. Writes run in
`BEGIN IMMEDIATE` transactions, so two curator processes on one DB queue on the write lock
(up to the busy timeout) instead of failing with `database is locked` half-way through.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from curator.errors import DatabaseError

DEFAULT_DB = Path("data") / "curator.db"
BUSY_TIMEOUT_MS = 60_000


def sql_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC text), for plain DBAPI
    `executemany` writes that skip SQLAlchemy's per-row type processing."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def from_sql_time(text: str | None) -> datetime | None:
    """`sql_time`'s text back as an aware UTC datetime (for plain DBAPI reads)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def resolve_db_path(db: str | Path | None) -> Path:
    if db:
        return Path(db)
    env = os.environ.get("CURATOR_DB")
    return Path(env) if env else DEFAULT_DB


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get("curator_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_engine(db: str | Path | None = None, *, migrate: bool = True) -> Engine:
    """Open (creating if needed) the DB at `db` and bring its schema up to date."""
    path = resolve_db_path(db)
    if path.exists() and path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from exc
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise DatabaseError(f"{path} is not a curator database (not SQLite)")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    if migrate:
        from curator.migrate import ensure_schema

        ensure_schema(engine, path)
    return engine


def _db_error(engine: Engine, exc: OperationalError) -> DatabaseError:
    text = str(exc.orig)
    if "locked" in text or "busy" in text:
        return DatabaseError(
            f"{engine.url.database} is locked by another curator process "
            f"(waited {BUSY_TIMEOUT_MS / 1000:g} s); try again when it has finished"
        )
    return DatabaseError(f"database error in {engine.url.database}: {text}")


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


def fetch_all(session: Session, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows as plain tuples straight from sqlite3, in the session's transaction.

    For bulk reads (tag, export and check selection: tens of thousands of rows): building
    a SQLAlchemy Row per row costs about as much as the query itself."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()
