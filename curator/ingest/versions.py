"""What changed between two imported versions of one source list, entry by entry.

Input: a `Db` (session or connection), a source name and two version numbers (default:
the one before the current one, and the current one). Output: a `VersionDiff` with the
curated entries that were added, removed or changed, each with its title, category path,
URL and line. Config: none. Both versions are parsed again from the text stored with them
(read by store/versions.py), and entries are matched by the same stable key the importer
uses (normalized main URL, else category path + title), so this is the diff behind
`curator import`'s `+added -removed ~changed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from curator.errors import InputError
from curator.parse.model import ParsedEntry
from curator.parse.parallel import parse_document
from curator.store.imports import signature, stable_keys
from curator.store.versions import VersionText, versions_of

if TYPE_CHECKING:
    from curator.store.dbapi import Db

_FIELDS = ("kind", "title", "url", "description", "notes", "category", "columns", "links")


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class EntryChange:
    change: Change
    title: str
    category: tuple[str, ...]
    url: str | None
    line: int  # in the new version (in the old one for a removed entry), 1-based
    fields: tuple[str, ...] = ()  # what differs, for a changed entry


@dataclass(frozen=True, slots=True)
class VersionDiff:
    source: str
    old: int
    new: int
    changes: tuple[EntryChange, ...]

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change is change)


def _keyed(text: str) -> dict[str, ParsedEntry]:
    doc = parse_document(text)
    keys = stable_keys(doc.entries, doc.identity)
    return {k: e for k, e in zip(keys, doc.entries, strict=True) if e.curated}


def _entry_change(change: Change, e: ParsedEntry, fields: tuple[str, ...] = ()) -> EntryChange:
    return EntryChange(change, e.title, tuple(e.category), e.url, e.line_start + 1, fields)


def version_diff(db: Db, name: str, old: int | None = None, new: int | None = None) -> VersionDiff:
    """The entries added, removed and changed from version `old` to version `new`."""
    stored = versions_of(db, name)
    versions = stored.by_number
    new = new if new is not None else stored.current
    if new is None or new not in versions:
        raise InputError(f"{name} has no version {new} (it has {_listing(versions)})")
    old = old if old is not None else new - 1
    if old not in versions:
        raise InputError(
            f"{name} has no version {old} to compare with (it has {_listing(versions)})"
        )
    before, after = _keyed(versions[old].text), _keyed(versions[new].text)
    changes: list[EntryChange] = []
    for key, e in after.items():
        was = before.get(key)
        if was is None:
            changes.append(_entry_change(Change.ADDED, e))
            continue
        differs = tuple(
            f for f, a, b in zip(_FIELDS, signature(was), signature(e), strict=True) if a != b
        )
        if differs:
            changes.append(_entry_change(Change.CHANGED, e, differs))
    changes += [_entry_change(Change.REMOVED, e) for k, e in before.items() if k not in after]
    return VersionDiff(name, old, new, tuple(changes))


def _listing(versions: dict[int, VersionText]) -> str:
    return ", ".join(f"v{n}" for n in sorted(versions)) or "none"
