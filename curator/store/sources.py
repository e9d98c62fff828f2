"""The `source` table: which lists the DB holds, their ids, paths and current versions.

Input: a `Db` (a session's transaction for writes), names, paths, version texts.
Output: ids, names, paths, `SourceRow`s, `CurrentVersion`s; new sources and versions.
Config: none. Plain DBAPI, so the check path can use the reads without SQLAlchemy.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from curator.errors import NotFoundError
from curator.store.dbapi import Db, dbapi, fetch_all, insert_returning_id, sql_time


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
        " WHERE CAST(? AS TEXT) IS NULL OR name = ? ORDER BY name",
        (only, only),
    )
    return [SourceRow(*r) for r in rows]


class CurrentVersion(NamedTuple):
    source_id: int
    number: int | None  # None: the source has no version yet
    sha256: str | None


def current_shas(db: Db) -> dict[str, str]:
    """Each source's name -> the sha256 of its current version's bytes."""
    rows = fetch_all(
        db,
        "SELECT source.name, source_version.sha256 FROM source"
        " JOIN source_version ON source_version.id = source.current_version_id",
    )
    return {str(n): str(sha) for n, sha in rows}


def current_version(db: Db, name: str) -> CurrentVersion | None:
    """The source called `name` and its current version (None: no such source)."""
    rows = fetch_all(
        db,
        "SELECT source.id, source_version.number, source_version.sha256 FROM source"
        " LEFT JOIN source_version ON source_version.id = source.current_version_id"
        " WHERE source.name = ?",
        (name,),
    )
    return CurrentVersion(*rows[0]) if rows else None


def create_source(db: Db, name: str, path: str, now: datetime) -> int:
    return insert_returning_id(
        db,
        "INSERT INTO source (name, path, created_at) VALUES (?, ?, ?)",
        (name, path, sql_time(now)),
    )


def add_version(
    db: Db,
    source_id: int,
    number: int,
    *,
    text: str,
    encoding: str,
    sha256: str,
    path: str,
    now: datetime,
    summary: dict[str, Any],
) -> int:
    """Store a new version of a source's text and make it the current one."""
    version_id = insert_returning_id(
        db,
        "INSERT INTO source_version"
        " (source_id, number, text, encoding, sha256, path, imported_at, summary)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (source_id, number, text, encoding, sha256, path, sql_time(now), json.dumps(summary)),
    )
    dbapi(db).execute(
        "UPDATE source SET current_version_id = ?, path = ? WHERE id = ?",
        (version_id, path, source_id),
    )
    return version_id
