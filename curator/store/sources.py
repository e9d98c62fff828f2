"""The `source` table, read side: does the DB hold lists, and which id or path has a source.

Input: a `Db` (sqlite3 connection or session). Output: ids, names and paths.
Config: none. Plain DBAPI, so the check path can use it without SQLAlchemy.
"""

from __future__ import annotations

from typing import NamedTuple

from curator.errors import NotFoundError
from curator.store.dbapi import Db, fetch_all


def has_sources(db: Db) -> bool:
    return bool(fetch_all(db, "SELECT 1 FROM source LIMIT 1"))


def source_id(db: Db, name: str | None) -> int | None:
    """The id of the source called `name` (None for None); `NotFoundError` naming the
    known sources when there is none."""
    if name is None:
        return None
    found = fetch_all(db, "SELECT id FROM source WHERE name = ?", (name,))
    if not found:
        names = [n for (n,) in fetch_all(db, "SELECT name FROM source ORDER BY name")]
        raise NotFoundError(f"no source named {name!r} (known: {', '.join(names) or '-'})")
    return int(found[0][0])


def source_paths(db: Db) -> dict[int, str]:
    """Each source's id -> the path it was imported from (as shown in `path:line`)."""
    return {int(i): str(p) for i, p in fetch_all(db, "SELECT id, path FROM source")}


def source_names(db: Db) -> dict[int, str]:
    """Each source's id -> its name."""
    return {int(i): str(n) for i, n in fetch_all(db, "SELECT id, name FROM source")}


class SourceRow(NamedTuple):
    id: int
    name: str
    path: str
    current_version_id: int | None


def sources_by_name(db: Db, only: str | None = None) -> list[SourceRow]:
    """Every source (or only the one called `only`), by name."""
    rows = fetch_all(
        db,
        "SELECT id, name, path, current_version_id FROM source"
        " WHERE ? IS NULL OR name = ? ORDER BY name",
        (only, only),
    )
    return [SourceRow(*r) for r in rows]
