"""`curator db copy`: a whole database from one target to another (SQLite ⇄ PostgreSQL).

Input: a source and a destination `--db` target (file path or postgresql:// URL), and
`replace`. Output: a `CopyResult` (rows per table). Every table of the schema is copied in
foreign-key order with its ids, history included (versions, runs, check results, states),
in one transaction on the destination, so a failure leaves it as it was. Afterwards each
PostgreSQL id sequence is set to max(id)+1. Both DBs are brought to the current schema
first (as every command does). A destination with any row in it is refused unless
`replace` (which empties it in that same transaction). Config: `BATCH_ROWS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, null, select, text
from sqlalchemy.types import JSON
from sqlmodel import SQLModel

from curator.errors import InputError
from curator.store import schema as _schema  # noqa: F401  (registers the tables)
from curator.store.connect import engine_target, open_engine
from curator.store.target import DbTarget, parse_db_target

BATCH_ROWS = 2000  # rows per executemany: bounded memory on lists of 100,000 links


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    rows: int


@dataclass(frozen=True, slots=True)
class CopyResult:
    source: str  # as shown (passwords masked)
    destination: str
    tables: tuple[TableCount, ...]
    replaced: bool

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def schema_tables() -> list[Table]:
    """The schema's tables, each after the tables it references."""
    return list(SQLModel.metadata.sorted_tables)


def _non_empty(conn: Connection) -> list[str]:
    return [
        t.name
        for t in schema_tables()
        if conn.execute(select(func.count()).select_from(t)).scalar()
    ]


def _rows(table: Table, batch: list[Any]) -> list[dict[str, Any]]:
    # A JSON column's None goes in as SQL NULL (not the JSON text 'null'), as the importer
    # writes it: `IS NULL` filters then agree on both sides.
    json_cols = [c.name for c in table.columns if isinstance(c.type, JSON)]
    out = []
    for row in batch:
        values = dict(row._mapping)
        for name in json_cols:
            if values[name] is None:
                values[name] = null()
        out.append(values)
    return out


def _reset_sequences(conn: Connection) -> None:
    for table in schema_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        name = pk[0].name
        conn.execute(
            text(
                f"SELECT setval(s, COALESCE((SELECT max({name}) FROM {table.name}), 0) + 1, false)"
                f" FROM (SELECT CAST(pg_get_serial_sequence(:t, :c) AS regclass) AS s) AS x"
                " WHERE s IS NOT NULL"
            ),
            {"t": table.name, "c": name},
        )


def _copy(src: Engine, dst: Engine, replace: bool) -> tuple[tuple[TableCount, ...], bool]:
    counts: list[TableCount] = []
    writer = dst.execution_options(curator_immediate=True)  # queue behind other writers
    with src.connect() as rconn, writer.begin() as wconn:
        filled = _non_empty(wconn)
        if filled and not replace:
            raise InputError(
                f"{engine_target(dst)} is not empty ({', '.join(filled)} have rows); "
                "copy into a new or empty database, or pass --replace to overwrite it"
            )
        for table in reversed(schema_tables()):
            wconn.execute(delete(table))
        for table in schema_tables():
            order = [c for c in table.primary_key.columns]
            n = 0
            result = rconn.execution_options(yield_per=BATCH_ROWS).execute(
                select(table).order_by(*order)
            )
            for batch in result.partitions(BATCH_ROWS):
                wconn.execute(insert(table), _rows(table, list(batch)))
                n += len(batch)
            counts.append(TableCount(table.name, n))
        if wconn.dialect.name == "postgresql":
            _reset_sequences(wconn)
    return tuple(counts), bool(filled)


def copy_database(
    source: str | Path, destination: str | Path, *, replace: bool = False
) -> CopyResult:
    """Copy every table of `source` into `destination` (see the module docstring)."""
    src_target = parse_db_target(source)
    dst_target = parse_db_target(destination)
    if _same(src_target, dst_target):
        raise InputError(f"{src_target} is both the source and the destination")
    if src_target.path is not None and not src_target.path.exists():
        raise InputError(f"{src_target} does not exist")
    new_file = dst_target.path if dst_target.path and not dst_target.path.exists() else None
    src = open_engine(src_target)
    try:
        dst = open_engine(dst_target)
        try:
            tables, replaced = _copy(src, dst, replace)
        finally:
            dst.dispose()
    except BaseException:
        if new_file is not None:  # a failed copy leaves no new, empty database behind
            for leftover in (new_file, *(Path(f"{new_file}{s}") for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        src.dispose()
    return CopyResult(src_target.display, dst_target.display, tables, replaced)


def _same(a: DbTarget, b: DbTarget) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.resolve() == b.path.resolve()
    return a.url is not None and a.url == b.url
