"""Edits made in the DB rather than in the Markdown: `set-url`, entry lookup.

Input: an open write session and the edit. Output: a typed result; the round-trip export
then rewrites exactly the lines of the entries touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from curator.errors import InputError, NotFoundError
from curator.models import Entry, Link, Url
from curator.urls import LinkKind, classify, host_of, normalize


@dataclass(frozen=True, slots=True)
class SetUrlResult:
    old: str
    new: str
    links: int
    entries: int


def url_id_for(session: Session, href: str) -> int | None:
    if classify(href) != LinkKind.WEB:
        return None
    norm = normalize(href)
    url = session.execute(select(Url).where(Url.normalized == norm)).scalar_one_or_none()
    if url is None:
        url = Url(normalized=norm, url=href, host=host_of(norm))
        session.add(url)
        session.flush()
    return url.id


def set_url(session: Session, old: str, new: str) -> SetUrlResult:
    new = new.strip()
    if not new or any(c.isspace() for c in new) or any(c in new for c in "()<>[]"):
        raise InputError(f"not a usable URL: {new!r}")
    old_norm = normalize(old)
    candidates = (
        session.execute(
            select(Link)
            .join(Entry, col(Entry.id) == col(Link.entry_id))
            .where(col(Entry.removed_at).is_(None))
            .where(
                (col(Link.href) == old)
                | col(Link.url_id).in_(select(col(Url.id)).where(Url.normalized == old_norm))
            )
        )
        .scalars()
        .all()
    )
    if not candidates:
        raise NotFoundError(f"no link points to {old}")
    new_url_id = url_id_for(session, new)
    entries: set[int] = set()
    for link in candidates:
        link.href = new
        link.url_id = new_url_id
        session.add(link)
        entry = session.get(Entry, link.entry_id)
        if entry is not None and link.role == "main":
            entry.url = new
            session.add(entry)
        entries.add(link.entry_id)
    return SetUrlResult(old, new, len(candidates), len(entries))
