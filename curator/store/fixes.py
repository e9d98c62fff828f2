"""Store side of fixes written into list files, and of the fix log (`apply-redirects --undo`).

Input: a `Db` in a write transaction; sources, edited links, fix records. Output: the
sources with DB edits their file does not have yet (`SourceRow`s), a new source version
recorded after a fix was written into the file (so importing the file again is a no-op),
and the fix log's rows and batches. Config: none. Plain DBAPI, like the store modules that
`set-url` edits through (store/links.py): an ORM object cached in the session would not
see their writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from curator.store.dbapi import Db, dbapi, fetch_all, from_sql_time, sql_time
from curator.store.links import ensure_url
from curator.store.sources import SourceRow, add_version
from curator.urls import LinkKind, classify, host_of, normalize


@dataclass(frozen=True, slots=True)
class FixRecord:
    kind: str  # redirect / set-url
    old_url: str
    new_url: str
    entry_id: int
    source_id: int
    path: str | None
    line: int  # 1-based


@dataclass(frozen=True, slots=True)
class FixBatch:
    batch: int
    kind: str
    applied_at: datetime
    links: int
    files: tuple[str, ...]
    undone: bool
    fixes: tuple[tuple[str, str, str], ...] = ()  # (old URL, new URL, file:line or "DB")


class FixRow(NamedTuple):
    """One row of the fix log; its fields are the table's columns after `id`."""

    batch: int
    kind: str
    old_url: str
    new_url: str
    entry_id: int
    source_id: int
    path: str | None
    line: int
    applied_at: datetime | None
    undone_at: datetime | None


class CurrentText(NamedTuple):
    number: int
    text: str
    sha256: str


def edited_sources(db: Db, source_ids: Iterable[int] | None = None) -> list[SourceRow]:
    """Sources with an entry whose link or title was edited in the DB only, by name."""
    rows = fetch_all(
        db,
        "SELECT id, name, path, current_version_id FROM source WHERE id IN ("
        "SELECT entry.source_id FROM entry JOIN link ON link.entry_id = entry.id"
        " WHERE entry.removed_at IS NULL"
        " AND (link.href <> link.orig_href OR entry.title <> entry.orig_title))"
        " ORDER BY name",
    )
    wanted = set(source_ids) if source_ids is not None else None
    return [SourceRow(*r) for r in rows if wanted is None or r[0] in wanted]


def source_row(db: Db, source_id: int) -> SourceRow | None:
    rows = fetch_all(
        db, "SELECT id, name, path, current_version_id FROM source WHERE id = ?", (source_id,)
    )
    return SourceRow(*rows[0]) if rows else None


def current_text(db: Db, source: SourceRow) -> CurrentText | None:
    """The number, text and sha256 of the source's current version."""
    rows = fetch_all(
        db,
        "SELECT number, text, sha256 FROM source_version WHERE id = ?",
        (source.current_version_id,),
    )
    return CurrentText(*rows[0]) if rows else None


def record_written_version(
    db: Db, source: SourceRow, text: str, encoding: str, sha256: str, now: datetime
) -> int:
    """The file now holds the DB's edits: make that text the source's current version.

    The edited links and titles become the ones "as written", and an entry whose main URL
    moved gets the stable key of its new URL, as importing the file would give it, so the
    next import matches it (same id, same tags) instead of removing and re-adding it."""
    current = current_text(db, source)
    number = (current.number if current is not None else 0) + 1
    add_version(
        db,
        source.id,
        number,
        text=text,
        encoding=encoding,
        sha256=sha256,
        path=source.path,
        now=now,
        summary={"added": 0, "removed": 0, "changed": 0, "written_fixes": True},
    )
    conn = dbapi(db)
    conn.execute(
        "UPDATE link SET orig_href = href WHERE href <> orig_href"
        " AND entry_id IN (SELECT id FROM entry WHERE source_id = ?)",
        (source.id,),
    )
    conn.execute(
        "UPDATE entry SET orig_title = title WHERE source_id = ? AND title <> orig_title",
        (source.id,),
    )
    _rekey(db, source.id)
    return number


def _rekey(db: Db, source_id: int) -> None:
    rows = fetch_all(
        db,
        "SELECT id, stable_key, url FROM entry WHERE source_id = ? AND removed_at IS NULL"
        " AND url IS NOT NULL AND stable_key LIKE 'u:%'",
        (source_id,),
    )
    taken = {
        k
        for (k,) in fetch_all(db, "SELECT stable_key FROM entry WHERE source_id = ?", (source_id,))
    }
    conn = dbapi(db)
    for eid, key, url in rows:
        _key, sep, n = key.partition("#")
        want = "u:" + normalize(url or "") + sep + n
        if want != key and want not in taken:
            conn.execute("UPDATE entry SET stable_key = ? WHERE id = ?", (want, eid))
            taken.discard(key)
            taken.add(want)


def log_fixes(db: Db, records: Sequence[FixRecord], now: datetime) -> int:
    """Store `records` as one batch; its id."""
    [(last,)] = fetch_all(db, "SELECT max(batch) FROM fix_log")
    batch = int(last or 0) + 1
    at = sql_time(now)
    dbapi(db).executemany(
        "INSERT INTO fix_log (batch, kind, old_url, new_url, entry_id, source_id, path, line,"
        " applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (batch, r.kind, r.old_url, r.new_url, r.entry_id, r.source_id, r.path, r.line, at)
            for r in records
        ],
    )
    return batch


_FIX_COLUMNS = ", ".join(FixRow._fields)  # the row type is the column list


def _fix_rows(db: Db, where: str, params: Sequence[Any]) -> list[FixRow]:
    rows = fetch_all(db, f"SELECT {_FIX_COLUMNS} FROM fix_log{where} ORDER BY batch, id", params)
    return [
        FixRow(b, kind, old, new, eid, sid, path, line, from_sql_time(at), from_sql_time(undone))
        for b, kind, old, new, eid, sid, path, line, at, undone in rows
    ]


def batch_records(db: Db, batch: int) -> list[FixRow]:
    return _fix_rows(db, " WHERE batch = ?", (batch,))


def mark_undone(db: Db, batch: int, now: datetime) -> None:
    dbapi(db).execute("UPDATE fix_log SET undone_at = ? WHERE batch = ?", (sql_time(now), batch))


def list_batches(db: Db) -> list[FixBatch]:
    rows: dict[int, dict[str, Any]] = {}
    for r in _fix_rows(db, "", ()):
        b = rows.setdefault(
            r.batch,
            {"kind": r.kind, "at": r.applied_at, "n": 0, "files": [], "undone": False, "fx": []},
        )
        b["n"] += 1
        b["fx"].append((r.old_url, r.new_url, f"{r.path}:{r.line}" if r.path else "DB"))
        if r.path and r.path not in b["files"]:
            b["files"].append(r.path)
        b["undone"] = b["undone"] or r.undone_at is not None
    return [
        FixBatch(k, v["kind"], v["at"], v["n"], tuple(v["files"]), v["undone"], tuple(v["fx"]))
        for k, v in sorted(rows.items())
    ]


def _point_links(db: Db, links: Sequence[tuple[int, int, str]], href: str) -> None:
    """Point links (id, entry id, role) at `href`; a moved main link moves its entry's url."""
    url_id = _url_id(db, href)
    conn = dbapi(db)
    for link_id, entry_id, role in links:
        conn.execute("UPDATE link SET href = ?, url_id = ? WHERE id = ?", (href, url_id, link_id))
        if role == "main":
            conn.execute("UPDATE entry SET url = ? WHERE id = ?", (href, entry_id))


def revert_links(db: Db, entry_id: int, new: str, old: str) -> int:
    """Point the links of `entry_id` that go to `new` back at `old`; how many."""
    links = fetch_all(
        db,
        "SELECT id, entry_id, role FROM link WHERE entry_id = ? AND href = ?",
        (entry_id, new),
    )
    if links:
        _point_links(db, links, old)
    return len(links)


@dataclass(frozen=True, slots=True)
class DbEdit:
    """A link changed in the DB (`--db-only`) but not in the list file."""

    entry_key: str
    file_url: str  # orig_href: what the file says
    db_url: str  # href: what the DB says
    role: str


@dataclass(frozen=True, slots=True)
class Conflict:
    line: int  # 1-based, in the file just imported
    file_url: str
    db_url: str


def db_edits(db: Db, source_id: int) -> list[DbEdit]:
    rows = fetch_all(
        db,
        "SELECT entry.stable_key, link.orig_href, link.href, link.role FROM link"
        " JOIN entry ON entry.id = link.entry_id"
        " WHERE entry.source_id = ? AND entry.removed_at IS NULL AND link.href <> link.orig_href"
        " ORDER BY link.id",
        (source_id,),
    )
    return [DbEdit(*row) for row in rows]


def _url_id(db: Db, href: str) -> int | None:
    if classify(href) != LinkKind.WEB:
        return None
    norm = normalize(href)
    return ensure_url(db, norm, href, host_of(norm))


def keep_db_edits(db: Db, source_id: int, edits: Sequence[DbEdit], theirs: bool) -> list[Conflict]:
    """After the file's links were stored: where the file still has the URL a DB-only edit
    replaced, the DB's URL is put back (or, with `theirs`, the file's is kept). Either way
    it is a conflict to report; an edit the file made itself is the file's to keep."""
    conflicts: list[Conflict] = []
    for edit in edits:
        links = fetch_all(
            db,
            "SELECT link.id, link.entry_id, link.role, link.line FROM link"
            " JOIN entry ON entry.id = link.entry_id"
            " WHERE entry.source_id = ? AND entry.stable_key = ? AND entry.removed_at IS NULL"
            " AND link.href = ? ORDER BY link.id",
            (source_id, edit.entry_key, edit.file_url),
        )
        conflicts.extend(Conflict(line + 1, edit.file_url, edit.db_url) for *_, line in links)
        if links and not theirs:
            _point_links(db, [(i, e, r) for i, e, r, _ in links], edit.db_url)
    return conflicts


def unwritten_edits(db: Db, source_id: int, theirs: bool) -> list[Conflict]:
    """The same file imported again: its DB-only edits, each a conflict to report; with
    `theirs` the file's URL is put back in the DB."""
    links: list[tuple[int, int, str, int, str, str]] = fetch_all(
        db,
        "SELECT link.id, link.entry_id, link.role, link.line, link.orig_href, link.href"
        " FROM link JOIN entry ON entry.id = link.entry_id"
        " WHERE entry.source_id = ? AND entry.removed_at IS NULL AND link.href <> link.orig_href"
        " ORDER BY link.id",
        (source_id,),
    )
    conflicts: list[Conflict] = []
    for link_id, entry_id, role, line, orig, href in links:
        conflicts.append(Conflict(line + 1, orig, href))
        if theirs:
            _point_links(db, [(link_id, entry_id, role)], orig)
    return conflicts
