"""Read a SQLite file the way the tests compare databases: tables, columns, a hash per
table's rows (to prove a command left a DB untouched), the Alembic revision, the schema."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any


def tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name"
        ).fetchall()
    return [r[0] for r in rows]


def columns(db: Path, table: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def db_snapshot(db: Path, cols: dict[str, list[str]] | None = None) -> dict[str, tuple[int, str]]:
    """Per table: (row count, sha256 of every row in rowid order) over `cols` (default all)."""
    out: dict[str, tuple[int, str]] = {}
    with sqlite3.connect(db) as conn:
        for table in tables(db):
            if cols is not None and table not in cols:
                continue  # a table the upgrade added
            names = cols[table] if cols else columns(db, table)
            select = ", ".join(f'"{c}"' for c in names)
            rows = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid').fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def revision_of(db: Path) -> list[str]:
    """The DB's Alembic revision(s); [] when it has no alembic_version table."""
    with sqlite3.connect(db) as conn:
        if "alembic_version" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}:
            return []
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]


def schema(db: Path) -> dict[str, Any]:
    """Tables, columns (name, type, not null, pk), indexes and foreign keys, order-free."""
    out: dict[str, Any] = {}
    with sqlite3.connect(db) as conn:
        for table in tables(db):
            cols = sorted(
                (r[1], r[2].upper(), r[3], r[5])
                for r in conn.execute(f"PRAGMA table_info({table})")
            )
            idx = []
            for _, name, unique, origin, _partial in conn.execute(f"PRAGMA index_list({table})"):
                keys = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
                idx.append((name if origin == "c" else origin, unique, keys))
            fks = sorted(
                (r[2], r[3], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")
            )
            out[table] = (cols, sorted(idx), fks)
    return out


def core_rows(db: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every schema table's rows in primary-key order, read through SQLAlchemy Core from a
    SQLite file or a postgresql:// URL, so the same rows compare equal on both (typed
    values: aware datetimes, parsed JSON, bools)."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    from curator.store import schema as _schema  # noqa: F401  (registers the tables)
    from curator.store.connect import open_engine

    engine = open_engine(str(db), migrate=False)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()
