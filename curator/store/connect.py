"""Database access: engine set-up (WAL, busy timeout, foreign keys) and sessions.

Input: a DB target (`--db`, else `$CURATOR_DB`, else `data/curator.db`): a SQLite file or
a `postgresql://` URL (target.py). Output: an SQLAlchemy engine whose schema is current,
and read/write session helpers. Writes run in `BEGIN IMMEDIATE` transactions on SQLite,
and on PostgreSQL under a transaction-scoped advisory lock (dialect.WRITE_LOCK_KEY), so two
curator processes on one DB queue for the write lock instead of interleaving (the importer
allocates ids as max(id)+1) or failing half-way through. The SQLite connection settings
and time conversions are shared with plain sqlite3 users (`curator check`) in dbapi.py.
Migrations (migrate.py) are loaded only when a DB is opened with `migrate=True` or upgraded
by `upgrade_database`.
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
from curator.store.dbapi import check_file, locked_error, setup
from curator.store.dialect import POSTGRESQL, pg_connect_options
from curator.store.placeholders import qmark_to_format
from curator.store.target import DbKind, DbTarget, parse_db_target

if TYPE_CHECKING:
    from curator.store.migrate import UpgradeResult


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    setup(dbapi_conn)


def _on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("curator_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _on_begin_pg(conn: Any) -> None:
    # psycopg opens the transaction itself; a writer then queues behind other writers.
    if conn.get_execution_options().get("curator_immediate", False):
        for stmt in POSTGRESQL.begin_write[1:]:
            conn.exec_driver_sql(stmt)


def _qmark_driver_sql(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool
) -> tuple[str, Any]:
    # `exec_driver_sql` text (the importer's bulk statements) is written with sqlite3's `?`
    # placeholders; SQLAlchemy-compiled statements already use psycopg's style.
    if context is not None and context.compiled is None and parameters:
        statement = qmark_to_format(statement)
    return statement, parameters


def _pg_engine(target: DbTarget) -> Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a dependency, but say what is missing
        raise DatabaseError("PostgreSQL needs the psycopg package (pip install psycopg)") from exc
    engine = create_engine(
        target.sqlalchemy_url,
        connect_args={"options": pg_connect_options()},
    )
    event.listen(engine, "begin", _on_begin_pg)
    event.listen(engine, "before_cursor_execute", _qmark_driver_sql, retval=True)
    return engine


def engine_target(engine: Engine) -> DbTarget:
    """The target an engine made by `open_engine` points at."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return DbTarget(DbKind.SQLITE, path=Path(url.database or ""))
    return DbTarget(DbKind.POSTGRESQL, url=url.render_as_string(hide_password=False))


def open_engine(
    db: str | Path | DbTarget | None = None, *, migrate: bool = True, must_exist: bool = False
) -> Engine:
    """Open (creating if needed) the DB at `db` and bring its schema up to date;
    `must_exist` (read-only commands) refuses to create a SQLite file: a mistyped `--db`
    would otherwise leave an empty database behind and print empty tables."""
    target = db if isinstance(db, DbTarget) else parse_db_target(db)
    if target.path is None:
        engine = _pg_engine(target)
        if migrate:
            from curator.store.migrate import ensure_schema

            ensure_schema(engine, target)
        return engine
    path = target.path
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

        ensure_schema(engine, target)
    return engine


def _db_error(engine: Engine, exc: OperationalError) -> DatabaseError:
    if engine.url.get_backend_name() != "sqlite":
        shown = engine.url.render_as_string(hide_password=True)
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available: lock_timeout
            return locked_error(shown, "locked")
        return DatabaseError(f"database error in {shown}: {exc.orig}")
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

    target = parse_db_target(db)
    engine = open_engine(target, migrate=False)
    try:
        return upgrade(engine, target)
    finally:
        engine.dispose()
