"""Edits made in the DB rather than in the Markdown: `set-url`, `apply-redirects`.

Input: an open write session and the edit (`apply_redirects` reads the checker's
`url_state`: last outcome `redirected`, i.e. a 301/308-only chain, with its `final_url`;
a redirect to a home or login page is refused as a likely soft 404: `urls.is_harmful_move`).
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
from curator.urls import HarmfulMove, LinkKind, classify, host_of, is_harmful_move, normalize


@dataclass(frozen=True, slots=True)
class LinkSpot:
    """Where a moved link is: its entry, source and 0-based line (for the fix log)."""

    entry_id: int
    source_id: int
    line: int


@dataclass(frozen=True, slots=True)
class SetUrlResult:
    old: str
    new: str
    links: int
    entries: int
    spots: tuple[LinkSpot, ...] = ()


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
    spots: list[LinkSpot] = []
    for link in candidates:
        link.href = new
        link.url_id = new_url_id
        session.add(link)
        entry = session.get(Entry, link.entry_id)
        if entry is not None and link.role == "main":
            entry.url = new
            session.add(entry)
        if entry is not None:
            spots.append(LinkSpot(link.entry_id, entry.source_id, link.line))
        entries.add(link.entry_id)
    return SetUrlResult(old, new, len(candidates), len(entries), tuple(spots))


@dataclass(frozen=True, slots=True)
class RedirectChange:
    old: str
    new: str
    entries: int
    spots: tuple[LinkSpot, ...] = ()


@dataclass(frozen=True, slots=True)
class RefusedMove:
    """A permanent redirect that is not a move (a likely soft 404): never applied."""

    old: str
    new: str
    reason: HarmfulMove


@dataclass(frozen=True, slots=True)
class ApplyRedirectsResult:
    changes: tuple[RedirectChange, ...]
    same_url: int  # the target is the same URL once normalized: nothing to change
    unusable: tuple[str, ...]  # targets set-url refuses (whitespace, brackets): left alone
    dry_run: bool
    refused: tuple[RefusedMove, ...] = ()  # to a home or login page: likely soft 404s

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
    refused: list[RefusedMove] = []
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
        elif (harm := is_harmful_move(old, new)) is not None:
            refused.append(RefusedMove(old, new, harm))
        elif dry_run:
            changes.append(RedirectChange(old, new, len({lk.entry_id for lk in links})))
        else:
            done = set_url(session, old, new, source_id)
            changes.append(RedirectChange(old, new, done.entries, done.spots))
    return ApplyRedirectsResult(tuple(changes), same, tuple(unusable), dry_run, tuple(refused))
