"""The `entry` table and its links, read in bulk: what tagging reads, what was edited.

Input: a `Db`, entry kinds, a source id or entry id. Output: live entries' text fields and
main and sub links (plain tuples, for tagging's tens of thousands of rows); `EditedEntry`s (live
entries whose title or any link differs from the current source version) and their
`EditedLink`s, for the round-trip export. Config: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from curator.store.dbapi import Db, fetch_all
from curator.store.kinds import LinkState


class EditedEntry(NamedTuple):
    id: int
    title: str
    orig_title: str
    line_start: int  # 0-based, in the current source version
    line_end: int  # exclusive


class EditedLink(NamedTuple):
    line: int
    orig_href: str  # as written in the current source version
    href: str  # as it is now
    text: str


def edited_entries(db: Db, source_id: int) -> list[EditedEntry]:
    rows = fetch_all(
        db,
        "SELECT id, title, orig_title, line_start, line_end FROM entry"
        " WHERE source_id = ? AND removed_at IS NULL AND (title != orig_title"
        " OR id IN (SELECT entry_id FROM link WHERE href != orig_href)) ORDER BY id",
        (source_id,),
    )
    return [EditedEntry(*r) for r in rows]


def edited_links(db: Db, entry_id: int) -> list[EditedLink]:
    rows = fetch_all(
        db,
        "SELECT line, orig_href, href, text FROM link"
        " WHERE entry_id = ? AND href != orig_href ORDER BY id",
        (entry_id,),
    )
    return [EditedLink(*r) for r in rows]


# (id, title, description, notes, category JSON, columns JSON)
EntryTexts = tuple[int, str | None, str | None, str | None, str | None, str | None]


def live_entry_texts(db: Db, kinds: Sequence[str]) -> list[EntryTexts]:
    """The text fields of live entries of `kinds` (JSON columns left encoded: callers
    decode each distinct text once), as plain tuples: a big list has tens of thousands."""
    return fetch_all(
        db,
        "SELECT id, title, description, notes, category, columns FROM entry"
        f" WHERE removed_at IS NULL AND kind IN ({', '.join('?' * len(kinds))})",
        kinds,
    )


# (id, source_id, title, description, notes, category JSON, columns JSON)
EntryRow = tuple[int, int, str | None, str | None, str | None, str | None, str | None]
# (entry_id, href, text, kind, role, url_id)
LinkRow = tuple[int, str, str, str, str, int | None]


def live_entries_in_order(db: Db, kinds: Sequence[str]) -> list[EntryRow]:
    """Live entries of `kinds` by source id, then position (plain tuples, JSON encoded)."""
    return fetch_all(
        db,
        "SELECT id, source_id, title, description, notes, category, columns FROM entry"
        f" WHERE removed_at IS NULL AND kind IN ({', '.join('?' * len(kinds))})"
        " ORDER BY source_id, position",
        kinds,
    )


def live_main_and_sub_links(db: Db) -> list[LinkRow]:
    """The main and sub links of live entries, by entry id, in document order."""
    return fetch_all(
        db,
        "SELECT link.entry_id, link.href, link.text, link.kind, link.role, link.url_id"
        " FROM link JOIN entry ON entry.id = link.entry_id"
        " WHERE entry.removed_at IS NULL AND link.role IN ('main', 'sub')"
        " ORDER BY link.entry_id, link.position",
    )


def broken_urls_linked(db: Db, kinds: Sequence[str]) -> list[str]:
    """Normalized URLs in state broken that live entries of `kinds` link (main or sub)."""
    rows = fetch_all(
        db,
        "SELECT DISTINCT url.normalized FROM url_state"
        " JOIN link ON link.url_id = url_state.url_id"
        " JOIN entry ON entry.id = link.entry_id"
        " JOIN url ON url.id = url_state.url_id"
        " WHERE url_state.state = ? AND link.role IN ('main', 'sub')"
        f" AND entry.removed_at IS NULL AND entry.kind IN ({', '.join('?' * len(kinds))})",
        (LinkState.BROKEN.value, *kinds),
    )
    return [url for (url,) in rows]
