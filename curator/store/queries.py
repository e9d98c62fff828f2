"""Read-side queries over the DB: entry listings, statistics, duplicates.

Input: an open session and filters. Output: typed views (`EntryView`, `Stats`,
`Duplicate`) that `cli/format.py` draws as table, JSON or CSV. No writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from curator.errors import NotFoundError
from curator.parse.model import CURATED_KINDS
from curator.store.names import require_category, require_tag, source_hint
from curator.store.schema import Entry, Link, Source, Tag, Url

CURATED = sorted(k.value for k in CURATED_KINDS)


@dataclass(frozen=True, slots=True)
class LinkView:
    url: str
    text: str
    kind: str
    role: str
    line: int


@dataclass(frozen=True, slots=True)
class TagView:
    name: str
    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    source: str
    source_path: str
    category: list[str]
    title: str
    url: str | None
    description: str
    kind: str
    line: int  # 1-based
    parent_id: int | None
    links: list[LinkView] = field(default_factory=list)
    tags: list[TagView] = field(default_factory=list)
    notes: str = ""
    columns: dict[str, str] | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source": self.source,
            "category": self.category,
            "title": self.title,
            "url": self.url,
            "description": self.description,
            "links": [
                {"url": lk.url, "text": lk.text, "kind": lk.kind, "role": lk.role}
                for lk in self.links
            ],
            "tags": [t.name for t in self.tags],
            "tag_reasons": [
                {"tag": t.name, "origin": t.origin, "reason": t.reason} for t in self.tags
            ],
            "line": self.line,
            "kind": self.kind,
            "parent_id": self.parent_id,
            "notes": self.notes,
            "columns": self.columns,
        }


def source_named(session: Session, name: str) -> Source:
    """The source called `name`; NotFoundError (exit 2) when there is none."""
    found = session.execute(select(Source).where(Source.name == name)).scalars().first()
    if found is None:
        raise NotFoundError(
            f"no source named {name!r}{source_hint(session, name)} (see `curator stats`)"
        )
    return found


def _source_ids(session: Session, source: str | None) -> dict[int, Source]:
    if source:
        found = source_named(session, source)
        return {found.id: found} if found.id is not None else {}
    return {s.id: s for s in session.execute(select(Source)).scalars() if s.id is not None}


def list_entries(
    session: Session,
    *,
    source: str | None = None,
    category: str | None = None,
    tag: str | None = None,
    search: str | None = None,
    include_all_kinds: bool = False,
) -> list[EntryView]:
    sources = _source_ids(session, source)
    # A filter that matches nothing by name is a typo, not an empty result.
    if tag:
        require_tag(session, tag)
    if category:
        require_category(session, category)
    stmt = select(Entry).where(
        col(Entry.removed_at).is_(None),
        col(Entry.source_id).in_(list(sources)),
    )
    if not include_all_kinds:
        stmt = stmt.where(col(Entry.kind).in_(CURATED))
    if tag:
        stmt = stmt.where(
            col(Entry.id).in_(
                select(col(Tag.entry_id)).where(Tag.name == tag, Tag.origin != "removed")
            )
        )
    entries = (
        session.execute(stmt.order_by(col(Entry.source_id), col(Entry.position))).scalars().all()
    )
    if category:
        needle = category.casefold()
        entries = [e for e in entries if any(needle in c.casefold() for c in e.category)]
    if search:
        needle = search.casefold()
        entries = [
            e
            for e in entries
            if needle in f"{e.title}\n{e.description}\n{e.notes}\n{e.url or ''}".casefold()
        ]
    ids = [e.id for e in entries]
    links: dict[int, list[LinkView]] = defaultdict(list)
    tags: dict[int, list[TagView]] = defaultdict(list)
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        for lk in session.execute(
            select(Link)
            .where(col(Link.entry_id).in_(chunk))
            .order_by(col(Link.entry_id), col(Link.position))
        ).scalars():
            links[lk.entry_id].append(LinkView(lk.href, lk.text, lk.kind, lk.role, lk.line + 1))
        for t in session.execute(
            select(Tag).where(col(Tag.entry_id).in_(chunk)).order_by(col(Tag.name))
        ).scalars():
            tags[t.entry_id].append(TagView(t.name, t.origin, t.reason))
    out = []
    for e in entries:
        assert e.id is not None
        etags = tags.get(e.id, [])
        vetoed = {t.name for t in etags if t.origin == "removed"}
        shown = [t for t in etags if t.origin != "removed" and t.name not in vetoed]
        src = sources[e.source_id]
        out.append(
            EntryView(
                e.id,
                src.name,
                src.path,
                list(e.category),
                e.title,
                e.url,
                e.description,
                e.kind,
                e.line_start + 1,
                e.parent_id,
                links.get(e.id, []),
                shown,
                e.notes,
                e.columns,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Duplicate:
    normalized: str
    locations: list[tuple[str, int, str]]  # (source, 1-based line, entry title)


def find_duplicates(session: Session) -> list[Duplicate]:
    rows = session.execute(
        select(Url.normalized, Source.name, Link.line, Entry.title)
        .join(Link, col(Link.url_id) == col(Url.id))
        .join(Entry, col(Entry.id) == col(Link.entry_id))
        .join(Source, col(Source.id) == col(Entry.source_id))
        .where(col(Entry.removed_at).is_(None), col(Entry.kind).in_(CURATED))
        .where(col(Link.role).in_(["main", "sub"]))
        .order_by(col(Url.normalized), col(Source.name), col(Link.line))
    ).all()
    by_url: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for norm, src, line, title in rows:
        by_url[norm].append((src, line + 1, title))
    return [Duplicate(n, locs) for n, locs in by_url.items() if len(locs) > 1]


@dataclass(frozen=True, slots=True)
class SourceStats:
    name: str
    version: int
    entries: int
    links: int
    categories: int


@dataclass(frozen=True, slots=True)
class Stats:
    sources: list[SourceStats]
    categories: list[tuple[str, str, int]]  # (source, category path, entries)
    link_kinds: dict[str, int]
    duplicates: int


def collect_stats(session: Session) -> Stats:
    from curator.store.schema import SourceVersion

    per_source = []
    cat_counts: list[tuple[str, str, int]] = []
    kinds: Counter[str] = Counter()
    for src in session.execute(select(Source).order_by(col(Source.name))).scalars():
        version = session.get(SourceVersion, src.current_version_id)
        entries = (
            session.execute(
                select(Entry.category)
                .where(
                    Entry.source_id == src.id,
                    col(Entry.removed_at).is_(None),
                    col(Entry.kind).in_(CURATED),
                )
                .order_by(col(Entry.id))  # PostgreSQL has no implicit rowid order
            )
            .scalars()
            .all()
        )
        n_links = (
            session.execute(
                select(func.count(col(Link.id)))
                .join(Entry)
                .where(Entry.source_id == src.id, col(Entry.removed_at).is_(None))
            ).scalar()
            or 0
        )
        cats = Counter(" / ".join(c) or "(no category)" for c in entries)
        per_source.append(
            SourceStats(
                src.name, version.number if version else 0, len(entries), n_links, len(cats)
            )
        )
        cat_counts.extend((src.name, c, n) for c, n in cats.items())
        for kind, n in session.execute(
            select(Link.kind, func.count())
            .join(Entry)
            .where(Entry.source_id == src.id, col(Entry.removed_at).is_(None))
            .group_by(Link.kind)
            .order_by(Link.kind)
        ).all():
            kinds[kind] += n
    return Stats(per_source, cat_counts, dict(kinds), len(find_duplicates(session)))
