"""Import stage, writing half: a parsed list → entry, link, url and category rows.

Input: an open write session, the source's id, and the parsed document in parts (one
`ParsedDocument` per chunk, in order: see parse/parallel.py). Output: rows written in the
caller's transaction, and the counts of the version diff (`SourceWriter`). Entries keep
their ids across versions by stable key (normalized main URL, else category path +
title). Config: none. Parts are written as they arrive, so storing the first chunks of a
big list overlaps with parsing the last ones on other cores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session, col

from curator.parse import ParsedDocument, ParsedEntry
from curator.parse.model import CURATED_KINDS
from curator.store.dbapi import sql_time
from curator.store.dialect import advance_serial
from curator.store.schema import Category, Entry, Link
from curator.urls import LinkKind, host_of_normalized, normalize

# SQLite's default limit on host parameters is 999 in old builds: stay below it.
_IN_CHUNK = 500


def stable_keys(
    entries: list[ParsedEntry],
    identity: Callable[[str], str] = normalize,
    seen: dict[str, int] | None = None,
) -> list[str]:
    """Keys of `entries`; pass the same `seen` to key a document part after part."""
    seen = {} if seen is None else seen
    keys: list[str] = []
    for e in entries:
        if e.url and e.curated:
            base = "u:" + identity(e.url)
        else:
            base = f"t:{e.kind.value}:{'/'.join(e.category)}|{e.title}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        keys.append(base if n == 1 else f"{base}#{n}")
    return keys


def signature(e: ParsedEntry) -> tuple[Any, ...]:
    """What an entry says, for telling a changed entry from an unchanged one."""
    return (
        e.kind.value,
        e.title,
        e.url,
        e.description,
        e.notes,
        tuple(e.category),
        tuple(sorted((e.columns or {}).items())),
        tuple((lk.href, lk.text, lk.role.value) for lk in e.links),
    )


def _row_signature(row: Any) -> tuple[Any, ...]:
    return (
        row.kind,
        row.title,
        row.url,
        row.description,
        row.notes,
        tuple(row.category or ()),
        tuple(sorted((row.columns or {}).items())),
    )


def counts(session: Session, source_id: int | None) -> tuple[int, int]:
    """Live curated entries and their links of one source."""
    live = select(col(Entry.id)).where(
        col(Entry.source_id) == source_id, col(Entry.removed_at).is_(None)
    )
    entries = session.execute(
        select(func.count()).where(col(Entry.id).in_(live), col(Entry.kind).in_(CURATED_KINDS))
    ).scalar()
    links = session.execute(
        select(func.count(col(Link.id))).where(col(Link.entry_id).in_(live))
    ).scalar()
    return int(entries or 0), int(links or 0)


def url_ids(
    session: Session, hrefs: set[str], identity: Callable[[str], str] = normalize
) -> dict[str, int]:
    """Normalized URL → url.id, inserting the missing ones.

    Plain DBAPI statements: a list brings ~20,000 URLs, and SQLAlchemy's expanding IN
    and per-row parameter processing cost more than SQLite's own work."""
    by_norm: dict[str, str] = {}
    for href in hrefs:
        by_norm.setdefault(identity(href), href)
    ids: dict[str, int] = {}
    norms = list(by_norm)
    conn = session.connection()
    for i in range(0, len(norms), _IN_CHUNK):
        chunk = norms[i : i + _IN_CHUNK]
        sql = f"SELECT id, normalized FROM url WHERE normalized IN ({', '.join('?' * len(chunk))})"
        for uid, norm in conn.exec_driver_sql(sql, tuple(chunk)):
            ids[norm] = uid
    missing = [n for n in norms if n not in ids]
    if missing:
        next_id = (conn.exec_driver_sql("SELECT max(id) FROM url").scalar() or 0) + 1
        rows = []
        for n in missing:
            ids[n] = next_id
            rows.append((next_id, n, by_norm[n], host_of_normalized(n)))
            next_id += 1
        conn.exec_driver_sql(
            "INSERT INTO url (id, normalized, url, host) VALUES (?, ?, ?, ?)", rows
        )
        advance_serial(conn, "url")
    return ids


def _columns(table: Any, *, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A table's column names in schema order: row tuples below are built in this order."""
    return tuple(c.name for c in table.__table__.columns if c.name not in skip)


def _insert(table: Any, columns: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )


_ENTRY_COLUMNS = _columns(Entry)  # ids are assigned here, in stable-key order
_INSERT_ENTRY = _insert(Entry, _ENTRY_COLUMNS)
_INSERT_LINK = _insert(Link, _columns(Link, skip=("id",)))
_INSERT_CATEGORY = _insert(Category, _columns(Category, skip=("id",)))


class SourceWriter:
    """Writes one new version of a source, part after part, in the caller's transaction.

    New entries, links, URLs and categories go through the DBAPI's executemany (as
    SQLAlchemy would store them: JSON text, naive UTC timestamps): its per-row parameter
    processing costs more than the inserts on a 20,000-entry list."""

    def __init__(self, session: Session, source_id: int, now: datetime) -> None:
        self.session = session
        self.sid = source_id
        self.now = now
        self.stamp = sql_time(now)
        self.existing = {
            row.stable_key: row
            for row in session.execute(
                select(
                    col(Entry.id),
                    col(Entry.stable_key),
                    col(Entry.kind),
                    col(Entry.title),
                    col(Entry.url),
                    col(Entry.description),
                    col(Entry.notes),
                    col(Entry.category),
                    col(Entry.columns),
                    col(Entry.removed_at),
                ).where(col(Entry.source_id) == source_id)
            ).all()
        }
        self.old_links: dict[int, list[tuple[str, str, str]]] = {}
        if self.existing:
            for eid, href, text, role in session.execute(
                select(col(Link.entry_id), col(Link.orig_href), col(Link.text), col(Link.role))
                .join(Entry, col(Entry.id) == col(Link.entry_id))
                .where(col(Entry.source_id) == source_id)
                .order_by(col(Link.entry_id), col(Link.position))
            ):
                self.old_links.setdefault(eid, []).append((href, text, role))
        # Links and categories are rewritten whole: they are cheap and carry line numbers.
        # Deleted before the first part, so the new ones are never caught by it.
        session.execute(
            delete(Link).where(
                col(Link.entry_id).in_(
                    select(col(Entry.id)).where(col(Entry.source_id) == source_id)
                )
            )
        )
        session.execute(delete(Category).where(col(Category.source_id) == source_id))
        self.next_id = (session.execute(select(func.max(col(Entry.id)))).scalar() or 0) + 1
        self.ids: list[int] = []  # entry index → entry id; parents precede their children
        self.seen: dict[str, int] = {}
        self.json: dict[tuple[str, ...], str] = {}  # category paths repeat down a section
        self.added = self.changed = self.entries = self.links = self.written = 0
        self.content = False  # any curated entry or link at all

    def _json_path(self, path: tuple[str, ...]) -> str:
        text = self.json.get(path)
        if text is None:
            text = self.json[path] = json.dumps(list(path))
        return text

    def add(self, part: ParsedDocument) -> None:
        conn = self.session.connection()
        ids, existing, sid, stamp = self.ids, self.existing, self.sid, self.stamp
        new_rows: list[tuple[Any, ...]] = []
        upd_rows: list[dict[str, Any]] = []
        for e, key in zip(
            part.entries, stable_keys(part.entries, part.identity, self.seen), strict=True
        ):
            curated = e.curated
            if curated:
                self.entries += 1
                self.content = True
            elif e.links:
                self.content = True
            parent_id = ids[e.parent] if e.parent is not None else None
            row = existing.pop(key, None)
            if row is None:
                ids.append(self.next_id)
                new_rows.append(  # in _ENTRY_COLUMNS order (the schema's)
                    (
                        self.next_id,
                        sid,
                        e.kind.value,
                        e.title,
                        e.title,
                        e.url,
                        e.description,
                        e.notes,
                        self._json_path(e.category),
                        parent_id,
                        e.index,
                        e.depth,
                        e.line_start,
                        e.line_end,
                        None if e.columns is None else json.dumps(e.columns),
                        key,
                        e.ignored,
                        None,
                        stamp,
                        stamp,
                    )
                )
                self.next_id += 1
                if curated:
                    self.added += 1
                continue
            ids.append(row.id)
            if row.removed_at is not None:
                if curated:
                    self.added += 1
            elif curated and signature(e) != (
                *_row_signature(row),
                tuple(self.old_links.get(row.id, ())),
            ):
                self.changed += 1
            upd_rows.append(
                {
                    "b_id": row.id,
                    "updated_at": self.now,
                    "kind": e.kind.value,
                    "title": e.title,
                    "orig_title": e.title,
                    "url": e.url,
                    "description": e.description,
                    "notes": e.notes,
                    "category": list(e.category),
                    "position": e.index,
                    "depth": e.depth,
                    "line_start": e.line_start,
                    "line_end": e.line_end,
                    "columns": e.columns,
                    "ignored": e.ignored,
                    "removed_at": None,
                    "parent_id": parent_id,
                }
            )
        if new_rows:
            conn.exec_driver_sql(_INSERT_ENTRY, new_rows)
            advance_serial(conn, "entry")
        if upd_rows:
            conn.execute(update(Entry).where(col(Entry.id) == bindparam("b_id")), upd_rows)
        self.written += len(new_rows) + len(upd_rows)
        self._links(part)
        if part.categories:
            conn.exec_driver_sql(
                _INSERT_CATEGORY,
                [
                    (sid, self._json_path(c.path), c.title, c.level, c.line, c.kind.value)
                    for c in part.categories
                ],
            )
            self.written += len(part.categories)

    def _links(self, part: ParsedDocument) -> None:
        web = {lk.href for e in part.entries for lk in e.links if lk.kind == LinkKind.WEB}
        identity = part.identity
        ids_of = url_ids(self.session, web, identity)
        ids = self.ids
        rows = [
            (
                ids[e.index],
                ids_of.get(identity(lk.href)) if lk.kind == LinkKind.WEB else None,
                lk.href,
                lk.href,
                lk.text,
                lk.kind.value,
                lk.role.value,
                lk.line,
                pos,
                e.ignored,
            )
            for e in part.entries
            for pos, lk in enumerate(e.links)
        ]
        if rows:
            self.session.connection().exec_driver_sql(_INSERT_LINK, rows)
            self.links += len(rows)
            self.written += len(rows)

    def finish(self) -> int:
        """Mark the entries no part brought back as removed; the number of curated ones."""
        left = [row for row in self.existing.values() if row.removed_at is None]
        removed_ids = [row.id for row in left]
        for i in range(0, len(removed_ids), _IN_CHUNK):
            self.session.execute(
                update(Entry)
                .where(col(Entry.id).in_(removed_ids[i : i + _IN_CHUNK]))
                .values(removed_at=self.now, updated_at=self.now)
            )
        self.written += len(removed_ids)
        return sum(1 for row in left if row.kind in CURATED_KINDS)
