"""The `source_version` table, read side: every stored version of one source.

Input: a `Db` and a source name. Output: `SourceVersions` (the versions by number, and
which is current). Config: none. `NotFoundError` (exit 2) for an unknown source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from curator.errors import NotFoundError
from curator.store.dbapi import Db, fetch_all, from_sql_time


@dataclass(frozen=True, slots=True)
class VersionText:
    number: int
    text: str


@dataclass(frozen=True, slots=True)
class SourceVersions:
    name: str
    current: int | None  # the number of the current version
    by_number: dict[int, VersionText]


def versions_of(db: Db, name: str) -> SourceVersions:
    found = fetch_all(db, "SELECT id, current_version_id FROM source WHERE name = ?", (name,))
    if not found:
        raise NotFoundError(f"no source named {name!r} (see `curator stats`)")
    source_id, current_id = found[0]
    rows = fetch_all(
        db, "SELECT id, number, text FROM source_version WHERE source_id = ?", (source_id,)
    )
    current = next((n for vid, n, _ in rows if vid == current_id), None)
    return SourceVersions(name, current, {n: VersionText(n, t) for _, n, t in rows})


@dataclass(frozen=True, slots=True)
class StoredText:
    text: str
    encoding: str


def version_text(db: Db, version_id: int | None) -> StoredText | None:
    """The text and encoding of one stored version (None: no such version)."""
    if version_id is None:
        return None
    rows = fetch_all(db, "SELECT text, encoding FROM source_version WHERE id = ?", (version_id,))
    return StoredText(*rows[0]) if rows else None


def last_imported_at(db: Db) -> datetime | None:
    [(text,)] = fetch_all(db, "SELECT max(imported_at) FROM source_version")
    return from_sql_time(text)
