"""Plain sqlite3 access, shared by the SQLAlchemy layer (db.py) and `curator check`.

Input: a DB path (`--db`, else `$CURATOR_DB`, else `data/curator.db`). Output: sqlite3
connections set up like db.py's engine (WAL, busy timeout, foreign keys, transactions we
begin ourselves), `transaction()`, time conversions matching what SQLAlchemy stores,
`insert_rows()` and `in_chunks()` for bulk writes and long id lists, and `open_current()`,
which makes sure a DB exists at the current schema revision. Config:
`BUSY_TIMEOUT_MS`, `SCHEMA_HEAD`.

Why not SQLAlchemy here: `curator check` keeps its parent process lean. SQLAlchemy and
SQLModel cost it 25 MiB and half a second at start-up, for a handful of queries. The
schema still has one home, models.py; only a DB that is new or behind is handed to db.py
(and Alembic).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curator.errors import DatabaseError

DEFAULT_DB = Path("data") / "curator.db"
BUSY_TIMEOUT_MS = 60_000
SCHEMA_HEAD = "0003"  # migrate.HEAD, the newest Alembic revision (a test keeps them in step)
_MAGIC = b"SQLite format 3\x00"


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


def check_file(path: Path) -> None:
    """Refuse what cannot be a curator DB before SQLite touches it."""
    if path.exists() and path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != _MAGIC:
                raise DatabaseError(f"{path} is not a curator database (not SQLite)")


def setup(conn: sqlite3.Connection) -> None:
    """The connection settings every curator connection gets (db.py's engine too)."""
    conn.isolation_level = None  # we emit BEGIN ourselves (see transaction())
    cur = conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def locked_error(path: str | Path | None, text: str) -> DatabaseError:
    if "locked" in text or "busy" in text:
        return DatabaseError(
            f"{path} is locked by another curator process "
            f"(waited {BUSY_TIMEOUT_MS / 1000:g} s); try again when it has finished"
        )
    return DatabaseError(f"database error in {path}: {text}")


def connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        setup(conn)
    except sqlite3.Error as exc:
        raise locked_error(path, str(exc)) from exc
    return conn


def open_current(db: str | Path | None) -> Path:
    """The DB's path, once it exists at `SCHEMA_HEAD` (a new or older DB goes through
    db.open_engine, which creates or migrates it)."""
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


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction: `BEGIN IMMEDIATE` for writes (queue on the write lock up front),
    committed on success, rolled back on any exception."""
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.OperationalError as exc:
        raise locked_error(_name(conn), str(exc)) from exc
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        conn.rollback()
        raise locked_error(_name(conn), str(exc)) from exc
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.commit()
    except sqlite3.OperationalError as exc:
        conn.rollback()
        raise locked_error(_name(conn), str(exc)) from exc


def _name(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else "the database"


def fetch_all(db: Any, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows as plain tuples straight from sqlite3, from a connection or a SQLAlchemy
    session (in its transaction). For bulk reads (tag, export, check: tens of thousands
    of rows), where building a SQLAlchemy Row per row costs as much as the query."""
    cursor = dbapi(db).cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


# Rows per multi-row INSERT: 4 columns stay under SQLite's oldest limit of 999 parameters.
INSERT_CHUNK = 200
# Ids per `IN (?, ...)` list, under that same limit.
IN_CHUNK = 500


def in_chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """`ids` in slices short enough for one `IN (?, ...)` list each."""
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i : i + IN_CHUNK]


def insert_rows(db: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT `rows` in order, many rows per statement (`VALUES (...), (...), ...`).

    For bulk writes (tags: ~50,000 rows): one statement per row, even through
    `executemany`, costs SQLite and sqlite3 about half again as many instructions."""
    if not rows:
        return
    per = max(1, min(INSERT_CHUNK, 999 // len(columns)))
    one = f"({', '.join('?' * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    cursor = dbapi(db).cursor()
    try:
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            cursor.execute(head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])
    finally:
        cursor.close()


def dbapi(db: Any) -> Any:
    """The DBAPI connection behind `db`: a sqlite3 connection as is, or a SQLAlchemy
    session's (inside the session's transaction)."""
    if isinstance(db, sqlite3.Connection):
        return db
    return db.connection().connection


def path_of(db: Any) -> Path:
    """A DB given as a path, or as an SQLAlchemy engine by a caller that holds one."""
    url = getattr(db, "url", None)
    return Path(url.database) if url is not None else Path(db)
