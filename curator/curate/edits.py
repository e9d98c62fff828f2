"""Edits made in the DB rather than in the Markdown: `set-url`, `apply-redirects`, and the
triage page's "accept move" (`accept_move`: `apply-redirects` for one URL).

Input: a `Db` in a write transaction and the edit (`apply_redirects` reads the checker's
`url_state`: last outcome `redirected`, i.e. a 301/308-only chain, with its `final_url`;
a redirect to a home or login page is refused as a likely soft 404: `urls.is_harmful_move`).
Output: a typed result; the round-trip export then rewrites exactly the lines of the
entries touched. Config: none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from curator.errors import InputError, NotFoundError
from curator.store.links import LiveLink, ensure_url, live_links_to, repoint_links
from curator.store.sources import source_id
from curator.store.urlstate import redirect_of, redirected_urls
from curator.urls import HarmfulMove, LinkKind, classify, host_of, is_harmful_move, normalize

if TYPE_CHECKING:
    from curator.store.dbapi import Db


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


def url_id_for(db: Db, href: str) -> int | None:
    if classify(href) != LinkKind.WEB:
        return None
    norm = normalize(href)
    return ensure_url(db, norm, href, host_of(norm))


def _usable(new: str) -> bool:
    # Brackets and whitespace would break the Markdown link the export writes back.
    return bool(new) and not any(c.isspace() or c in "()<>[]" for c in new)


def _live_links(db: Db, old: str, source_id: int | None = None) -> list[LiveLink]:
    """Links of live entries that point to `old` (as written, or any spelling of it)."""
    return live_links_to(db, old, normalize(old), source_id)


def set_url(db: Db, old: str, new: str, source_id: int | None = None) -> SetUrlResult:
    """Point every live link to `old` (only those of `source_id`, if given) at `new`."""
    new = new.strip()
    if not _usable(new):
        raise InputError(f"not a usable URL: {new!r}")
    candidates = _live_links(db, old, source_id)
    if not candidates:
        raise NotFoundError(f"no link points to {old}")
    repoint_links(db, candidates, new, url_id_for(db, new))
    entries = {link.entry_id for link in candidates}
    spots = tuple(LinkSpot(lk.entry_id, lk.source_id, lk.line) for lk in candidates)
    return SetUrlResult(old, new, len(candidates), len(entries), spots)


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
    db: Db, *, source: str | None = None, dry_run: bool = False
) -> ApplyRedirectsResult:
    """`set_url(old, final_url)` for every URL whose last check was a permanent redirect.

    Meant for one write session (one transaction for every change); with `dry_run` nothing
    is written and a read session will do. A URL already moved has no live links left, so
    a second run finds nothing to do.
    """
    source_id = _source_id(db, source)
    moved = redirected_urls(db)
    changes: list[RedirectChange] = []
    unusable: list[str] = []
    refused: list[RefusedMove] = []
    same = 0
    for old, old_norm, final in moved:
        new = (final or "").strip()
        links = _live_links(db, old, source_id)
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
            done = set_url(db, old, new, source_id)
            changes.append(RedirectChange(old, new, done.entries, done.spots))
    return ApplyRedirectsResult(tuple(changes), same, tuple(unusable), dry_run, tuple(refused))


def _source_id(db: Db, source: str | None) -> int | None:
    if source is None:
        return None
    try:
        return source_id(db, source)
    except NotFoundError:
        raise NotFoundError(f"no source named {source!r} (see `curator stats`)") from None


@dataclass(frozen=True, slots=True)
class Fix:
    """One accepted move: the lists' links to `old` now point at `new`."""

    old: str
    new: str
    entries: int
    files: tuple[str, ...] = ()  # list files rewritten on disk (none: the DB only)


def accept_move(db: Db, url: str) -> Fix:
    """Accept the permanent redirect the last check saw for `url`: what `apply-redirects`
    does for every such URL, for this one only (the triage page's "accept move").

    The one place a file-writing fix (`apply-redirects --write`) plugs in for the page:
    it edits the DB in `db`'s transaction; `files` names what it wrote to disk."""
    old, new = move_to_accept(db, url)
    done = set_url(db, old, new)
    return Fix(old, new, done.entries)


def move_to_accept(db: Db, url: str) -> tuple[str, str]:
    """(the URL as the lists write it, its new URL) for the permanent redirect the last
    check saw for `url`; an error when there is none, or when it would be harmful."""
    norm = normalize(url)
    moved = redirect_of(db, norm)
    if moved is None or not moved.final_url.strip():
        raise InputError(f"{url} was not permanently redirected at its last check")
    old, new = moved.url, moved.final_url.strip()
    if normalize(new) == norm:
        raise InputError(f"{url} redirects to the same URL once normalized: nothing to change")
    harm = is_harmful_move(old, new)
    if harm is not None:
        raise InputError(f"{url} {harm.value}: a likely soft 404, not a move")
    return old, new
