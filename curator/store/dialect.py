"""The SQL that differs between SQLite and PostgreSQL, behind one method each.

Input: SQL written for sqlite3 (`?` placeholders) and a `Db` to tell the dialect from
(`dialect_of`). Output: a `Dialect` (placeholder style, insert-or-ignore,
upsert, "now", string aggregation, all-true, code point order, write lock). The
connections that take the same `?` SQL on both are dbapi.py's (`connect`,
`transaction`, `PgConnection`). Config: `BUSY_TIMEOUT_MS` (dbapi.py),
`WRITE_LOCK_KEY`. Query modules ask their `Db`'s dialect instead of writing SQLite-only
syntax inline.

Why: `curator check`, tagging and export reach the DB through plain DBAPI for speed
(dbapi.py); psycopg wants `%s` placeholders and has no `INSERT OR IGNORE`, `PRAGMA` or
`BEGIN IMMEDIATE`. psycopg is imported only when a PostgreSQL target is opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from curator.store.dbapi import WRITE_LOCK_KEY, PgConnection, pg_connect_options
from curator.store.placeholders import qmark_to_format
from curator.store.target import DbKind

__all__ = ["WRITE_LOCK_KEY", "pg_connect_options"]


@dataclass(frozen=True, slots=True)
class Dialect:
    kind: DbKind

    @property
    def placeholder(self) -> str:
        return "?" if self.kind is DbKind.SQLITE else "%s"

    def sql(self, sql: str) -> str:
        """`?`-style SQL as this dialect's DBAPI driver takes it."""
        return sql if self.kind is DbKind.SQLITE else qmark_to_format(sql)

    def insert_ignore(self, table: str, columns: Sequence[str], conflict: Sequence[str]) -> str:
        """INSERT that skips rows clashing with a unique key (`INSERT OR IGNORE`)."""
        marks = ", ".join("?" * len(columns))
        cols = ", ".join(columns)
        if self.kind is DbKind.SQLITE:
            return f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({marks})"
        keys = ", ".join(conflict)
        return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({keys}) DO NOTHING"

    def upsert(
        self, table: str, columns: Sequence[str], conflict: Sequence[str], update: Sequence[str]
    ) -> str:
        """INSERT, or UPDATE `update` from the new row on a clash (`INSERT OR REPLACE` that
        keeps the row's other columns). Both accept the same `excluded.` syntax."""
        marks = ", ".join("?" * len(columns))
        sets = ", ".join(f"{c} = excluded.{c}" for c in update)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}"
        )

    @property
    def now(self) -> str:
        """The current UTC time as stored in a timestamp column."""
        if self.kind is DbKind.SQLITE:
            return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
        return "(now() AT TIME ZONE 'UTC')"

    def group_concat(self, expr: str, sep: str | None = None) -> str:
        """Values of `expr` per group joined by the SQL expression `sep` (default: a comma)."""
        if self.kind is DbKind.SQLITE:
            return f"group_concat({expr}, {sep})" if sep is not None else f"group_concat({expr})"
        comma = "','" if sep is None else sep
        return f"string_agg(CAST({expr} AS TEXT), {comma})"

    def code_point_order(self, expr: str) -> str:
        """`expr` for ORDER BY in code point order, as Python sorts str: SQLite's default
        BINARY collation compares UTF-8 bytes, which is that order; PostgreSQL's default
        collation is the locale's, and "C" compares bytes."""
        return expr if self.kind is DbKind.SQLITE else f'{expr} COLLATE "C"'

    def char(self, code: int) -> str:
        """The one-character string with this code point."""
        return f"char({int(code)})" if self.kind is DbKind.SQLITE else f"chr({int(code)})"

    def all_true(self, expr: str) -> str:
        """1 when `expr` (a boolean column) holds on every row of the group, else 0.
        PostgreSQL has no min(boolean); a CASE reads the same on both."""
        return f"min(CASE WHEN {expr} THEN 1 ELSE 0 END)"

    def time_param(self, value: datetime | None) -> Any:
        """A datetime as a parameter: naive UTC text on SQLite (as SQLAlchemy stores it),
        the aware datetime itself for psycopg."""
        if self.kind is DbKind.SQLITE or value is None:
            from curator.store.dbapi import sql_time

            return sql_time(value)
        return value.astimezone(UTC)

    def read_time(self, raw: Any) -> datetime | None:
        """A timestamp column's value as an aware UTC datetime (text from sqlite3,
        datetime from psycopg)."""
        if raw is None or isinstance(raw, str):
            from curator.store.dbapi import from_sql_time

            return from_sql_time(raw)
        value: datetime = raw
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def begin_write(self) -> Sequence[str]:
        """Statements that open a write transaction queued behind other curator writers."""
        if self.kind is DbKind.SQLITE:
            return ("BEGIN IMMEDIATE",)
        return ("BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def advance_serial(conn: Any, table: str) -> None:
    """After rows were inserted with explicit ids (the importer allocates max(id)+1), move
    the PostgreSQL id sequence of `table` past them, never back, so the next ORM insert
    (set-url's new url row) does not draw a taken id. SQLite needs nothing: its rowid
    allocation looks at max(rowid). `conn` is an SQLAlchemy connection."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(
        "SELECT setval(s, m) FROM (SELECT CAST(pg_get_serial_sequence("
        f"'{table}', 'id') AS regclass) AS s, (SELECT max(id) FROM {table}) AS m) AS x"
        " WHERE s IS NOT NULL AND m > COALESCE(pg_sequence_last_value(s), 0)"
    )


SQLITE = Dialect(DbKind.SQLITE)
POSTGRESQL = Dialect(DbKind.POSTGRESQL)


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a store connection (sqlite3 or `PgConnection`), a raw psycopg
    connection, or an SQLAlchemy session, connection or engine."""
    if isinstance(conn, sqlite3.Connection):
        return SQLITE
    if isinstance(conn, PgConnection):
        return POSTGRESQL
    if type(conn).__module__.startswith("psycopg"):
        return POSTGRESQL
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn  # a session: its engine
    return POSTGRESQL if bind.dialect.name == "postgresql" else SQLITE
