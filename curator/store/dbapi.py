"""Plain DBAPI access, shared by the SQLAlchemy layer (connect.py) and `curator check`.

Input: a DB path or PostgreSQL target (`--db`, else `$CURATOR_DB`, else `data/curator.db`).
Output: sqlite3 connections set up like connect.py's engine (WAL, busy timeout, foreign
keys, transactions we begin ourselves), or psycopg ones wrapped (`PgConnection`) to take the
same `?` SQL, with curator's advisory write lock; `transaction()`, time conversions
matching what SQLAlchemy stores, `insert_rows()` and `in_chunks()` for bulk writes and long
id lists, `stream()` for reads too big to hold at once. Config: `BUSY_TIMEOUT_MS`,
`WRITE_LOCK_KEY`, `SCHEMA_HEAD` (the one place the schema revision is written; migrate.py
and the Alembic scripts follow it, a test keeps them in step).

Why not SQLAlchemy here: `curator check` keeps its parent process lean. SQLAlchemy and
SQLModel cost it 25 MiB and half a second at start-up, for a handful of queries. The
schema still has one home, schema.py; only a DB that is new or behind is handed to
connect.py (and Alembic), by current.py.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from curator.errors import DatabaseError
from curator.store.target import DEFAULT_DB, DbKind, DbTarget, parse_db_target

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# What the store's query functions accept: a plain sqlite3 connection (the check path), or
# an SQLAlchemy session whose transaction they then join. Never a bare path or engine.
Db: TypeAlias = "sqlite3.Connection | PgConnection | Session"
# A connection of our own (connect()): what transaction() takes.
Connection: TypeAlias = "sqlite3.Connection | PgConnection"
# Where the DB is: a SQLite file, or a target that may be a PostgreSQL server.
Where: TypeAlias = "Path | DbTarget"

__all__ = ["DEFAULT_DB", "Db"]
BUSY_TIMEOUT_MS = 60_000
# Every curator writer on one PostgreSQL DB takes this transaction-scoped advisory lock, as
# every SQLite writer takes the write lock with BEGIN IMMEDIATE: imports, tagging, checks
# and upgrades then queue instead of interleaving their max(id)+1 allocations.
WRITE_LOCK_KEY = 0x637572  # "cur"
SCHEMA_HEAD = "0005"  # the newest Alembic revision in migrations/versions/
_MAGIC = b"SQLite format 3\x00"
_CURSOR_NAMES = itertools.count(1)


def sql_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC text), for plain DBAPI
    `executemany` writes that skip SQLAlchemy's per-row type processing."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def from_sql_time(text: str | datetime | None) -> datetime | None:
    """`sql_time`'s text back as an aware UTC datetime (for plain DBAPI reads); psycopg
    hands back datetimes already."""
    if isinstance(text, datetime):
        return text.replace(tzinfo=UTC) if text.tzinfo is None else text.astimezone(UTC)
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def resolve_db(db: str | Path | DbTarget | None) -> Where:
    """The SQLite file or PostgreSQL target `db` names (see target.py)."""
    if isinstance(db, DbTarget):
        return db.path if db.path is not None else db
    target = parse_db_target(db)
    return target.path if target.path is not None else target


def pg_connect_options() -> str:
    """libpq `options` for every PostgreSQL connection: naive timestamps read back as UTC
    (like SQLite's), and a writer gives up waiting for the write lock after the same
    `BUSY_TIMEOUT_MS` as on SQLite instead of waiting forever."""
    return f"-c timezone=UTC -c lock_timeout={int(BUSY_TIMEOUT_MS)}"


def check_file(path: Path) -> None:
    """Refuse what cannot be a curator DB before SQLite touches it."""
    if path.exists() and path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != _MAGIC:
                raise DatabaseError(f"{path} is not a curator database (not SQLite)")


def setup(conn: sqlite3.Connection) -> None:
    """The connection settings every curator connection gets (connect.py's engine too)."""
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


def connect(where: Where) -> Connection:
    """A connection of our own to `where`, transactions begun by transaction()."""
    if isinstance(where, DbTarget):
        if where.kind is DbKind.POSTGRESQL:
            return _connect_pg(where)
        where = where.sqlite_path
    path = where
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        setup(conn)
    except sqlite3.Error as exc:
        raise locked_error(path, str(exc)) from exc
    return conn


def _connect_pg(target: DbTarget) -> PgConnection:
    import psycopg

    try:
        # autocommit: transactions are opened explicitly by transaction(), as on sqlite3
        raw = psycopg.connect(target.libpq_url, autocommit=True, options=pg_connect_options())
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {target.display}: {exc}") from exc
    return PgConnection(raw, target.display)


@contextmanager
def transaction(conn: Connection, *, write: bool = False) -> Iterator[Connection]:
    """One transaction: `BEGIN IMMEDIATE` for writes (queue on the write lock up front),
    committed on success, rolled back on any exception."""
    if isinstance(conn, PgConnection):
        with conn.transaction(write=write):
            yield conn
        return
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


def fetch_all(db: Db, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows as plain tuples straight from the DBAPI driver, from a connection or a
    SQLAlchemy session (in its transaction). For bulk reads (tag, export, check: tens of
    thousands of rows), where building a SQLAlchemy Row per row costs as much as the query."""
    cursor = dbapi(db).cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def stream(
    db: Db, sql: str, params: Sequence[Any] = (), size: int = 1000
) -> Generator[Any, None, None]:
    """Rows as plain tuples, fetched `size` at a time and never all held at once: for a
    read of one row per URL of a big list (a check's report), whose rows would otherwise
    sit in memory together. On PostgreSQL the result stays on the server (a server-side
    cursor, which needs the caller's transaction); sqlite3 steps the statement as it goes."""
    raw = dbapi(db)
    cursor = raw.server_cursor() if isinstance(raw, PgConnection) else raw.cursor()
    try:
        cursor.execute(sql, tuple(params))
        while rows := cursor.fetchmany(size):
            yield from rows
    finally:
        cursor.close()


def insert_returning_id(db: Db, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one INSERT and return the new row's id: `cursor.lastrowid` is sqlite3's only,
    RETURNING is understood by both (SQLite since 3.35)."""
    cursor = dbapi(db).cursor()
    try:
        cursor.execute(f"{sql} RETURNING id", tuple(params))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return int(row[0])


# Rows per multi-row INSERT: 4 columns stay under SQLite's oldest limit of 999 parameters.
INSERT_CHUNK = 200
# Ids per `IN (?, ...)` list, under that same limit.
IN_CHUNK = 500


_Key = TypeVar("_Key", int, str)


def in_chunks(ids: Sequence[_Key]) -> Iterator[Sequence[_Key]]:
    """`ids` (ids or URLs) in slices short enough for one `IN (?, ...)` list each."""
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i : i + IN_CHUNK]


def insert_rows(db: Db, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
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


class PgCursor:
    """A psycopg cursor that takes sqlite3's `?` SQL and hands back JSON columns as text
    (the callers decode them themselves, as they do sqlite3's)."""

    def __init__(self, raw: Any) -> None:
        from psycopg.types.string import TextLoader

        raw.adapters.register_loader("json", TextLoader)
        raw.adapters.register_loader("jsonb", TextLoader)
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        from curator.store.placeholders import qmark_to_format

        self.raw.execute(qmark_to_format(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Any) -> PgCursor:
        from curator.store.placeholders import qmark_to_format

        self.raw.executemany(qmark_to_format(sql), rows)
        return self

    def __getattr__(self, name: str) -> Any:  # fetchone, fetchall, rowcount, close
        return getattr(self.raw, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.raw)


class PgConnection:
    """A psycopg connection with sqlite3's `execute` / `executemany` / `cursor` shape, so
    that the store's `?` SQL runs unchanged on PostgreSQL."""

    def __init__(self, raw: Any, name: str = "the database") -> None:
        self.raw = raw
        self.name = name

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[PgConnection]:
        """On a connection of our own (autocommit): BEGIN, and for writes curator's
        advisory write lock (given up after `lock_timeout`, like SQLite's busy timeout)."""
        import psycopg

        try:
            self.raw.execute("BEGIN")
            if write:
                self.raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            yield self
        except psycopg.Error as exc:
            self.raw.execute("ROLLBACK")
            state = getattr(exc, "sqlstate", None)
            text = "locked" if state == "55P03" else str(exc)  # lock_not_available
            raise locked_error(self.name, text) from exc
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        try:
            self.raw.execute("COMMIT")
        except psycopg.Error as exc:
            raise locked_error(self.name, str(exc)) from exc

    def cursor(self) -> PgCursor:
        return PgCursor(self.raw.cursor())

    def server_cursor(self) -> PgCursor:
        """A cursor whose result stays on the server until fetched (inside a transaction);
        named anew each time, so that two can be read side by side."""
        # A cursor is planned for its first tenth by default (cursor_tuple_fraction):
        # a stream reads every row, and that plan took 6 s for the selection of 18,000
        # URLs on a freshly imported DB instead of 0.07 s.
        self.raw.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        return PgCursor(self.raw.cursor(name=f"curator_stream_{next(_CURSOR_NAMES)}"))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> PgCursor:
        return self.cursor().executemany(sql, rows)


def dbapi(db: Db) -> Any:
    """The DBAPI connection behind `db`: a sqlite3 connection as is, or a SQLAlchemy
    session's (inside the session's transaction)."""
    if isinstance(db, sqlite3.Connection):
        return db
    if isinstance(db, PgConnection):
        return db
    raw = db.connection().connection.dbapi_connection
    # The store's SQL is written for sqlite3 (`?`); psycopg's connection gets a wrapper.
    return raw if isinstance(raw, sqlite3.Connection) else PgConnection(raw)


def path_of(db: str | Path | DbTarget | Engine) -> Where:
    """A DB given as a path or target, or as an SQLAlchemy engine by a caller that holds
    one: the SQLite file, or the PostgreSQL target."""
    if isinstance(db, (str, Path, DbTarget)):
        return resolve_db(db)
    if db.url.get_backend_name() == "sqlite":
        return Path(str(db.url.database))
    return DbTarget(DbKind.POSTGRESQL, url=db.url.render_as_string(hide_password=False))
