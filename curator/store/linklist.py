"""Every stored link with where it is: what `curator links` lists.

Input: an open session and filters (source name, link kind, role, URL state). Output:
`StoredLink` rows, ordered by source and line, for entries' links and for the links kept
outside entries (ToCs, prose, badges) alike, so a user sees everything that is checked.
The role shown is derived from the entry kind and the link's stored role (no schema
change): `toc` and `prose` for links of ToC and prose holders, `badge`, `entry` for an
entry's main link, `sub` for the rest. No writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from curator.parse.model import EntryKind, LinkRole, ShownRole
from curator.store.queries import source_named
from curator.store.schema import Entry, Link, Source, SourceVersion, UrlState


@dataclass(frozen=True, slots=True)
class StoredLink:
    source: str
    path: str  # the file the source was imported from
    line: int  # 1-based
    href: str
    text: str
    kind: str  # urls.LinkKind
    role: ShownRole
    state: str | None  # url_state.state; None for unchecked and non-web links
    entry_id: int
    entry_title: str

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "file": self.path,
            "line": self.line,
            "url": self.href,
            "text": self.text,
            "kind": self.kind,
            "role": self.role.value,
            "state": self.state,
            "entry_id": self.entry_id,
            "entry": self.entry_title,
        }


def shown_role(entry_kind: str, link_role: str) -> ShownRole:
    if entry_kind == EntryKind.TOC:
        return ShownRole.TOC
    if entry_kind == EntryKind.PROSE:
        return ShownRole.PROSE
    if entry_kind == EntryKind.BADGE or link_role == LinkRole.BADGE:
        return ShownRole.BADGE
    if link_role == LinkRole.MAIN:
        return ShownRole.ENTRY
    return ShownRole.SUB


def stored_links(
    session: Session,
    *,
    source: str | None = None,
    kind: str | None = None,
    role: ShownRole | None = None,
    state: str | None = None,
) -> list[StoredLink]:
    stmt = (
        select(
            col(Source.name),
            col(SourceVersion.path),
            col(Link.line),
            col(Link.href),
            col(Link.text),
            col(Link.kind),
            col(Link.role),
            col(Entry.kind),
            col(Entry.id),
            col(Entry.title),
            col(UrlState.state),
        )
        .join(Entry, col(Entry.id) == col(Link.entry_id))
        .join(Source, col(Source.id) == col(Entry.source_id))
        .join(SourceVersion, col(SourceVersion.id) == col(Source.current_version_id))
        .outerjoin(UrlState, col(UrlState.url_id) == col(Link.url_id))
        .where(col(Entry.removed_at).is_(None))
        .order_by(col(Source.name), col(Link.line), col(Link.position), col(Link.id))
    )
    if source:
        stmt = stmt.where(col(Source.id) == source_named(session, source).id)
    if kind:
        stmt = stmt.where(col(Link.kind) == kind)
    if state:
        stmt = stmt.where(col(UrlState.state) == state)
    rows = [
        StoredLink(
            name,
            path,
            line + 1,
            href,
            text,
            link_kind,
            shown_role(entry_kind, link_role),
            url_state,
            entry_id,
            title,
        )
        for (
            name,
            path,
            line,
            href,
            text,
            link_kind,
            link_role,
            entry_kind,
            entry_id,
            title,
            url_state,
        ) in session.execute(stmt).all()
    ]
    return [r for r in rows if role is None or r.role == role]
