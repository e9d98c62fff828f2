"""Edits made in the DB rather than in the Markdown: `set-url`, `apply-redirects`.

Input: an open write session and the edit (`apply_redirects` reads the checker's
`url_state`: last outcome `redirected`, i.e. a 301/308-only chain, with its `final_url`).
Output: a typed result; the round-trip export then rewrites exactly the lines of the
entries touched. Config: none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from curator.check.types import Outcome
from curator.errors import InputError, NotFoundError
from curator.store.queries import source_named
from curator.store.schema import Entry, Link, Url, UrlState
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


def _usable(new: str) -> bool:
    # Brackets and whitespace would break the Markdown link the export writes back.
    return bool(new) and not any(c.isspace() or c in "()<>[]" for c in new)


def _live_links(session: Session, old: str, source_id: int | None = None) -> list[Link]:
    """Links of live entries that point to `old` (as written, or any spelling of it)."""
    old_norm = normalize(old)
    stmt = (
        select(Link)
        .join(Entry, col(Entry.id) == col(Link.entry_id))
        .where(col(Entry.removed_at).is_(None))
        .where(
            (col(Link.href) == old)
            | col(Link.url_id).in_(select(col(Url.id)).where(Url.normalized == old_norm))
        )
    )
    if source_id is not None:
        stmt = stmt.where(col(Entry.source_id) == source_id)
    return list(session.execute(stmt).scalars().all())


def set_url(session: Session, old: str, new: str, source_id: int | None = None) -> SetUrlResult:
    """Point every live link to `old` (only those of `source_id`, if given) at `new`."""
    new = new.strip()
    if not _usable(new):
        raise InputError(f"not a usable URL: {new!r}")
    candidates = _live_links(session, old, source_id)
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


@dataclass(frozen=True, slots=True)
class RedirectChange:
    old: str
    new: str
    entries: int


@dataclass(frozen=True, slots=True)
class ApplyRedirectsResult:
    changes: tuple[RedirectChange, ...]
    same_url: int  # the target is the same URL once normalized: nothing to change
    unusable: tuple[str, ...]  # targets set-url refuses (whitespace, brackets): left alone
    dry_run: bool

    @property
    def entries(self) -> int:
        return sum(c.entries for c in self.changes)


def apply_redirects(
    session: Session, *, source: str | None = None, dry_run: bool = False
) -> ApplyRedirectsResult:
    """`set_url(old, final_url)` for every URL whose last check was a permanent redirect.

    Meant for one write session (one transaction for every change); with `dry_run` nothing
    is written and a read session will do. A URL already moved has no live links left, so
    a second run finds nothing to do.
    """
    source_id = source_named(session, source).id if source is not None else None
    moved = session.execute(
        select(Url.url, Url.normalized, UrlState.final_url)
        .join(UrlState, col(UrlState.url_id) == col(Url.id))
        .where(col(UrlState.last_outcome) == Outcome.REDIRECTED.value)
        .where(col(UrlState.final_url).is_not(None))
        .order_by(col(Url.normalized))
    ).all()
    changes: list[RedirectChange] = []
    unusable: list[str] = []
    same = 0
    for old, old_norm, final in moved:
        new = (final or "").strip()
        links = _live_links(session, old, source_id)
        if not links:
            continue  # no longer in the lists (or not in this source), or already applied
        if normalize(new) == old_norm:
            same += 1
        elif not _usable(new):
            unusable.append(new)
        elif dry_run:
            changes.append(RedirectChange(old, new, len({lk.entry_id for lk in links})))
        else:
            done = set_url(session, old, new, source_id)
            changes.append(RedirectChange(old, new, done.entries))
    return ApplyRedirectsResult(tuple(changes), same, tuple(unusable), dry_run)


@dataclass(frozen=True, slots=True)
class Fix:
    """One accepted move: the lists' links to `old` now point at `new`."""

    old: str
    new: str
    entries: int
    files: tuple[str, ...] = ()  # list files rewritten on disk (none: the DB only)


def accept_move(session: Session, url: str) -> Fix:
    """Accept the permanent redirect the last check saw for `url`: what `apply-redirects`
    does for every such URL, for this one only (the triage page's "accept move").

    The one place a file-writing fix (`apply-redirects --write`) plugs in for the page:
    it edits the DB in `session`'s transaction; `files` names what it wrote to disk."""
    norm = normalize(url)
    row = session.execute(
        select(Url.url, UrlState.last_outcome, UrlState.final_url)
        .join(UrlState, col(UrlState.url_id) == col(Url.id))
        .where(Url.normalized == norm)
    ).first()
    if row is None or row[1] != Outcome.REDIRECTED.value or not row[2]:
        raise InputError(f"{url} was not permanently redirected at its last check")
    old, new = row[0], row[2].strip()
    if normalize(new) == norm:
        raise InputError(f"{url} redirects to the same URL once normalized: nothing to change")
    done = set_url(session, old, new)
    return Fix(old, new, done.entries)
