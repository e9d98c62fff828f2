"""Import stage: list files → parsed documents → rows in SQLite, with a version diff.

Input: paths (files or directories of `.md`), an optional source name (`--as`). Output:
`ImportResult` per source (+added −removed ~changed). Everything is read and parsed before
the first write, and all writes happen in one transaction: a bad file leaves the DB as it
was. Entries are matched to the previous version by a stable key (normalized main URL,
else category path + title), so their ids, and the user data hanging off them, survive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlmodel import Session, col

from curator.errors import InputError
from curator.models import Category, Entry, Link, Source, SourceVersion, Url
from curator.parse import ParsedDocument, ParsedEntry, decode_bytes
from curator.parse.model import CURATED_KINDS
from curator.parse.parallel import parse_document
from curator.perf import gc_paused
from curator.urls import LinkKind, host_of_normalized, normalize

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


@dataclass(frozen=True, slots=True)
class ImportResult:
    source: str
    path: str
    version: int
    unchanged: bool
    added: int
    removed: int
    changed: int
    entries: int
    links: int
    rows_written: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    name: str
    path: Path
    text: str
    encoding: str
    sha256: str
    doc: ParsedDocument | None  # None: same bytes as the current version, not parsed


def utcnow() -> datetime:
    return datetime.now(UTC)


def collect_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES and p.is_file()
            )
            if not found:
                raise InputError(f"{path}: no Markdown files (*.md) in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_file(path: Path, name: str, known_sha: str | None = None) -> _Loaded:
    """Read, decode and parse one list; skip decoding and parsing when its bytes are known."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    sha = hashlib.sha256(data).hexdigest()
    if sha == known_sha:
        return _Loaded(name, path, "", "", sha, None)
    decoded = decode_bytes(data, str(path))
    doc = parse_document(decoded.text)
    if not doc.curated and not any(e.links for e in doc.entries):
        raise InputError(f"{path}: no list entries or links found (is it only prose?)")
    return _Loaded(name, path, decoded.text, decoded.encoding, sha, doc)


def _current_shas(engine: Engine) -> dict[str, str]:
    from curator.db import read_session

    with read_session(engine) as session:
        rows = session.execute(
            select(col(Source.name), col(SourceVersion.sha256)).join(
                SourceVersion, col(SourceVersion.id) == col(Source.current_version_id)
            )
        ).all()
    return {name: sha for name, sha in rows}


def stable_keys(
    entries: list[ParsedEntry], identity: Callable[[str], str] = normalize
) -> list[str]:
    seen: dict[str, int] = {}
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


def _signature(e: ParsedEntry) -> tuple[Any, ...]:
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


def import_paths(
    engine: Engine, paths: list[Path], as_name: str | None = None, now: datetime | None = None
) -> list[ImportResult]:
    files = collect_files(paths)
    if as_name and len(files) != 1:
        raise InputError(f"--as takes exactly one file, got {len(files)}")
    known = _current_shas(engine)
    loaded = [load_file(f, as_name or f.stem, known.get(as_name or f.stem)) for f in files]
    names = [item.name for item in loaded]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"two files would become the same source: {', '.join(dupes)}")
    now = now or utcnow()
    from curator.db import write_session

    with gc_paused(), write_session(engine) as session:
        return [_store(session, item, now) for item in loaded]


def _url_ids(
    session: Session, hrefs: set[str], identity: Callable[[str], str] = normalize
) -> dict[str, int]:
    """Normalized URL → url.id, inserting the missing ones."""
    by_norm: dict[str, str] = {}
    for href in hrefs:
        by_norm.setdefault(identity(href), href)
    ids: dict[str, int] = {}
    norms = list(by_norm)
    for i in range(0, len(norms), 500):
        chunk = norms[i : i + 500]
        for uid, norm in session.execute(
            select(col(Url.id), col(Url.normalized)).where(col(Url.normalized).in_(chunk))
        ):
            ids[norm] = uid
    missing = [n for n in norms if n not in ids]
    if missing:
        next_id = (session.execute(select(func.max(col(Url.id)))).scalar() or 0) + 1
        rows = []
        for n in missing:
            ids[n] = next_id
            rows.append(
                {"id": next_id, "normalized": n, "url": by_norm[n], "host": host_of_normalized(n)}
            )
            next_id += 1
        session.connection().execute(insert(Url.__table__), rows)  # type: ignore[attr-defined]
    return ids


def _counts(session: Session, source_id: int | None) -> tuple[int, int]:
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


_ENTRY_COLUMNS = (
    "id",
    "source_id",
    "stable_key",
    "created_at",
    "updated_at",
    "kind",
    "title",
    "orig_title",
    "url",
    "description",
    "notes",
    "category",
    "position",
    "depth",
    "line_start",
    "line_end",
    "columns",
    "ignored",
    "removed_at",
    "parent_id",
)


def _sql_time(value: datetime) -> str:
    """How SQLAlchemy stores our datetimes in SQLite: naive UTC text."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    # New entries in bulk through the DBAPI: SQLAlchemy's per-row parameter processing
    # costs more than the insert itself on a 20,000-entry list.
    sql = (
        f"INSERT INTO entry ({', '.join(_ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_ENTRY_COLUMNS))})"
    )
    stamps = {id(r["created_at"]): _sql_time(r["created_at"]) for r in rows[:1]}
    data = [
        (
            r["id"],
            r["source_id"],
            r["stable_key"],
            stamps.get(id(r["created_at"])) or _sql_time(r["created_at"]),
            stamps.get(id(r["updated_at"])) or _sql_time(r["updated_at"]),
            r["kind"],
            r["title"],
            r["orig_title"],
            r["url"],
            r["description"],
            r["notes"],
            json.dumps(r["category"]),
            r["position"],
            r["depth"],
            r["line_start"],
            r["line_end"],
            None if r["columns"] is None else json.dumps(r["columns"]),
            r["ignored"],
            None,
            r["parent_id"],
        )
        for r in rows
    ]
    session.connection().exec_driver_sql(sql, data)


def _store(session: Session, item: _Loaded, now: datetime) -> ImportResult:
    source = session.execute(
        select(Source).where(col(Source.name) == item.name)
    ).scalar_one_or_none()
    version_no = 1
    if source is not None:
        current = session.get(SourceVersion, source.current_version_id)
        if current is not None and current.sha256 == item.sha256:
            n_entries, n_links = _counts(session, source.id)
            return ImportResult(
                item.name, str(item.path), current.number, True, 0, 0, 0, n_entries, n_links, 0
            )
        version_no = (current.number + 1) if current is not None else 1
    else:
        source = Source(name=item.name, path=str(item.path), created_at=now)
        session.add(source)
        session.flush()
    if item.doc is None:  # the bytes matched when read, but the DB moved on meanwhile
        item = load_file(item.path, item.name)
    doc = item.doc
    assert doc is not None
    n_entries = len(doc.curated)
    assert source.id is not None
    sid = source.id
    written = 0

    keys = stable_keys(doc.entries, doc.identity)
    existing = {
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
            ).where(col(Entry.source_id) == sid)
        ).all()
    }
    old_links: dict[int, list[tuple[str, str, str]]] = {}
    if existing:
        for eid, href, text, role in session.execute(
            select(col(Link.entry_id), col(Link.orig_href), col(Link.text), col(Link.role))
            .join(Entry, col(Entry.id) == col(Link.entry_id))
            .where(col(Entry.source_id) == sid)
            .order_by(col(Link.entry_id), col(Link.position))
        ):
            old_links.setdefault(eid, []).append((href, text, role))

    next_id = (session.execute(select(func.max(col(Entry.id)))).scalar() or 0) + 1
    ids: list[int] = []
    added = changed = 0
    new_rows: list[dict[str, Any]] = []
    upd_rows: list[dict[str, Any]] = []
    for e, key in zip(doc.entries, keys, strict=True):
        row = existing.pop(key, None)
        values = {
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
            # Parents precede their children, so their ids are already known.
            "parent_id": ids[e.parent] if e.parent is not None else None,
        }
        if row is None:
            ids.append(next_id)
            new_rows.append(
                {
                    "id": next_id,
                    "source_id": sid,
                    "stable_key": key,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
            next_id += 1
            if e.curated:
                added += 1
            continue
        ids.append(row.id)
        sig = _signature(e)
        old_sig = (*_row_signature(row), tuple(old_links.get(row.id, ())))
        if row.removed_at is not None:
            if e.curated:
                added += 1
        elif sig != old_sig and e.curated:
            changed += 1
        upd_rows.append({"b_id": row.id, "updated_at": now, **values})
    removed_ids = [row.id for row in existing.values() if row.removed_at is None]
    removed = sum(
        1 for row in existing.values() if row.removed_at is None and row.kind in CURATED_KINDS
    )
    if new_rows:
        _insert_entries(session, new_rows)
        written += len(new_rows)
    if upd_rows:
        stmt = update(Entry).where(col(Entry.id) == bindparam("b_id"))
        session.connection().execute(stmt, upd_rows)
        written += len(upd_rows)
    if removed_ids:
        for i in range(0, len(removed_ids), 500):
            session.execute(
                update(Entry)
                .where(col(Entry.id).in_(removed_ids[i : i + 500]))
                .values(removed_at=now, updated_at=now)
            )
        written += len(removed_ids)
    # Links and categories are rewritten whole: they are cheap and carry line numbers.
    session.execute(
        delete(Link).where(
            col(Link.entry_id).in_(select(col(Entry.id)).where(col(Entry.source_id) == sid))
        )
    )
    web = {lk.href for e in doc.entries for lk in e.links if lk.kind == LinkKind.WEB}
    url_ids = _url_ids(session, web, doc.identity)
    # Links are the biggest table: plain DBAPI executemany (no per-row type processing).
    link_rows = [
        (
            ids[e.index],
            url_ids.get(doc.identity(lk.href)) if lk.kind == LinkKind.WEB else None,
            lk.href,
            lk.href,
            lk.text,
            lk.kind.value,
            lk.role.value,
            lk.line,
            pos,
            e.ignored,
        )
        for e in doc.entries
        for pos, lk in enumerate(e.links)
    ]
    if link_rows:
        session.connection().exec_driver_sql(
            "INSERT INTO link (entry_id, url_id, href, orig_href, text, kind, role, line,"
            " position, excluded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            link_rows,
        )
        written += len(link_rows)
    session.execute(delete(Category).where(col(Category.source_id) == sid))
    cat_rows = [
        {
            "source_id": sid,
            "path": list(c.path),
            "title": c.title,
            "level": c.level,
            "line": c.line,
            "kind": c.kind.value,
        }
        for c in doc.categories
    ]
    if cat_rows:
        session.connection().execute(insert(Category.__table__), cat_rows)  # type: ignore[attr-defined]
        written += len(cat_rows)
    summary = {"added": added, "removed": removed, "changed": changed}
    version = SourceVersion(
        source_id=sid,
        number=version_no,
        text=item.text,
        encoding=item.encoding,
        sha256=item.sha256,
        path=str(item.path),
        imported_at=now,
        summary=summary,
    )
    session.add(version)
    session.flush()
    source.current_version_id = version.id
    source.path = str(item.path)
    session.add(source)
    written += 2
    return ImportResult(
        item.name,
        str(item.path),
        version_no,
        False,
        added,
        removed,
        changed,
        n_entries,
        len(link_rows),
        written,
    )
