"""Store side of fixes written into list files, and of the fix log (`apply-redirects --undo`).

Input: an open write session; sources, edited links, fix records. Output: the sources with
DB edits their file does not have yet, a new source version recorded after a fix was
written into the file (so importing the file again is a no-op), and the fix log's rows and
batches. Config: none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from curator.store.schema import Entry, FixLog, Link, Source, SourceVersion
from curator.urls import normalize


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


def edited_sources(session: Session, source_ids: set[int] | None = None) -> list[Source]:
    """Sources with an entry whose link or title was edited in the DB only."""
    edited_entry = (
        select(col(Entry.source_id))
        .join(Link, col(Link.entry_id) == col(Entry.id))
        .where(col(Entry.removed_at).is_(None))
        .where(
            or_(col(Link.href) != col(Link.orig_href), col(Entry.title) != col(Entry.orig_title))
        )
    )
    stmt = select(Source).where(col(Source.id).in_(edited_entry)).order_by(col(Source.name))
    if source_ids is not None:
        stmt = stmt.where(col(Source.id).in_(source_ids))
    return list(session.execute(stmt).scalars().all())


def current_version(session: Session, source: Source) -> SourceVersion | None:
    if source.current_version_id is None:
        return None
    return session.get(SourceVersion, source.current_version_id)


def record_written_version(
    session: Session, source: Source, text: str, encoding: str, sha256: str, now: datetime
) -> int:
    """The file now holds the DB's edits: make that text the source's current version.

    The edited links and titles become the ones "as written", and an entry whose main URL
    moved gets the stable key of its new URL, as importing the file would give it, so the
    next import matches it (same id, same tags) instead of removing and re-adding it."""
    assert source.id is not None
    current = current_version(session, source)
    number = (current.number if current is not None else 0) + 1
    version = SourceVersion(
        source_id=source.id,
        number=number,
        text=text,
        encoding=encoding,
        sha256=sha256,
        path=source.path,
        imported_at=now,
        summary={"added": 0, "removed": 0, "changed": 0, "written_fixes": True},
    )
    session.add(version)
    session.flush()
    in_source = select(col(Entry.id)).where(col(Entry.source_id) == source.id)
    session.execute(
        update(Link)
        .where(col(Link.entry_id).in_(in_source), col(Link.href) != col(Link.orig_href))
        .values(orig_href=Link.href)
    )
    session.execute(
        update(Entry)
        .where(col(Entry.source_id) == source.id, col(Entry.title) != col(Entry.orig_title))
        .values(orig_title=Entry.title)
    )
    _rekey(session, source)
    source.current_version_id = version.id
    session.add(source)
    return number


def _rekey(session: Session, source: Source) -> None:
    rows = session.execute(
        select(col(Entry.id), col(Entry.stable_key), col(Entry.url)).where(
            col(Entry.source_id) == source.id,
            col(Entry.removed_at).is_(None),
            col(Entry.url).is_not(None),
            col(Entry.stable_key).like("u:%"),
        )
    ).all()
    taken = set(
        session.execute(
            select(col(Entry.stable_key)).where(col(Entry.source_id) == source.id)
        ).scalars()
    )
    for eid, key, url in rows:
        _key, sep, n = key.partition("#")
        want = "u:" + normalize(url or "") + sep + n
        if want != key and want not in taken:
            session.execute(update(Entry).where(col(Entry.id) == eid).values(stable_key=want))
            taken.discard(key)
            taken.add(want)


def log_fixes(session: Session, records: list[FixRecord], now: datetime) -> int:
    """Store `records` as one batch; its id."""
    batch = (session.execute(select(func.max(col(FixLog.batch)))).scalar() or 0) + 1
    for r in records:
        session.add(
            FixLog(
                batch=batch,
                kind=r.kind,
                old_url=r.old_url,
                new_url=r.new_url,
                entry_id=r.entry_id,
                source_id=r.source_id,
                path=r.path,
                line=r.line,
                applied_at=now,
            )
        )
    session.flush()
    return batch


def batch_records(session: Session, batch: int) -> list[FixLog]:
    return list(
        session.execute(select(FixLog).where(col(FixLog.batch) == batch).order_by(col(FixLog.id)))
        .scalars()
        .all()
    )


def mark_undone(session: Session, batch: int, now: datetime) -> None:
    session.execute(update(FixLog).where(col(FixLog.batch) == batch).values(undone_at=now))


def list_batches(session: Session) -> list[FixBatch]:
    rows: dict[int, dict[str, Any]] = {}
    for r in session.execute(select(FixLog).order_by(col(FixLog.batch), col(FixLog.id))).scalars():
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


def revert_links(session: Session, entry_id: int, new: str, old: str, url_id: int | None) -> int:
    """Point the links of `entry_id` that go to `new` back at `old`; how many."""
    links = list(
        session.execute(
            select(Link).where(col(Link.entry_id) == entry_id, col(Link.href) == new)
        ).scalars()
    )
    for link in links:
        link.href, link.url_id = old, url_id
        session.add(link)
        if link.role == "main":
            entry = session.get(Entry, entry_id)
            if entry is not None:
                entry.url = old
                session.add(entry)
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


def db_edits(session: Session, source_id: int) -> list[DbEdit]:
    rows = session.execute(
        select(col(Entry.stable_key), col(Link.orig_href), col(Link.href), col(Link.role))
        .join(Entry, col(Entry.id) == col(Link.entry_id))
        .where(col(Entry.source_id) == source_id, col(Entry.removed_at).is_(None))
        .where(col(Link.href) != col(Link.orig_href))
        .order_by(col(Link.id))
    ).all()
    return [DbEdit(*row) for row in rows]


def _url_id(session: Session, href: str) -> int | None:
    from curator.store.imports import url_ids
    from curator.urls import LinkKind, classify

    if classify(href) != LinkKind.WEB:
        return None
    return url_ids(session, {href})[normalize(href)]


def keep_db_edits(
    session: Session, source_id: int, edits: list[DbEdit], theirs: bool
) -> list[Conflict]:
    """After the file's links were stored: where the file still has the URL a DB-only edit
    replaced, the DB's URL is put back (or, with `theirs`, the file's is kept). Either way
    it is a conflict to report; an edit the file made itself is the file's to keep."""
    conflicts = []
    for edit in edits:
        links = session.execute(
            select(Link)
            .join(Entry, col(Entry.id) == col(Link.entry_id))
            .where(col(Entry.source_id) == source_id, col(Entry.stable_key) == edit.entry_key)
            .where(col(Entry.removed_at).is_(None), col(Link.href) == edit.file_url)
        ).scalars()
        for link in list(links):
            conflicts.append(Conflict(link.line + 1, edit.file_url, edit.db_url))
            if theirs:
                continue
            link.href, link.url_id = edit.db_url, _url_id(session, edit.db_url)
            session.add(link)
            if link.role == "main":
                entry = session.get(Entry, link.entry_id)
                if entry is not None:
                    entry.url = edit.db_url
                    session.add(entry)
    return conflicts


def unwritten_edits(session: Session, source_id: int, theirs: bool) -> list[Conflict]:
    """The same file imported again: its DB-only edits, each a conflict to report; with
    `theirs` the file's URL is put back in the DB."""
    links = session.execute(
        select(Link)
        .join(Entry, col(Entry.id) == col(Link.entry_id))
        .where(col(Entry.source_id) == source_id, col(Entry.removed_at).is_(None))
        .where(col(Link.href) != col(Link.orig_href))
        .order_by(col(Link.id))
    ).scalars()
    conflicts = []
    for link in list(links):
        conflicts.append(Conflict(link.line + 1, link.orig_href, link.href))
        if theirs:
            link.href, link.url_id = link.orig_href, _url_id(session, link.orig_href)
            session.add(link)
            if link.role == "main":
                entry = session.get(Entry, link.entry_id)
                if entry is not None:
                    entry.url = link.orig_href
                    session.add(entry)
    return conflicts
