"""What the triage page shows, gathered through library calls (no SQL here).

Input: an open read session. Output: `TriageItem`s by `Section` (broken, flaky, suspect,
soft 404, moved), each with its recent history, file:line locations and the entries that
link to it; entry search results; the taxonomy's category names. Config: `HISTORY` (checks
shown per URL), `SEARCH_LIMIT`.

Sections: a URL goes into the first that fits: a last check that found a soft 404 or a
parked domain (`reason`: a page that answers, judged gone by a heuristic a human may want
to overrule, whatever its state), its state (broken, flaky, suspect), then a permanent
redirect whose target the lists could use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Session

from curator.check.exclusions import ExclusionMatcher, list_exclusions
from curator.check.http.softpages import PARKED, SOFT_404
from curator.check.store import StatusRow, load_status
from curator.check.types import LinkState, Outcome
from curator.store.queries import EntryView, list_entries
from curator.store.triage import EntryRef, HistoryPoint, entries_linking, history
from curator.urls import normalize

HISTORY = 6
SEARCH_LIMIT = 200


class Section(StrEnum):
    BROKEN = "broken"
    FLAKY = "flaky"
    SUSPECT = "suspect"
    SOFT_404 = "soft-404"
    MOVED = "moved"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    Section.BROKEN: "Broken (confirmed)",
    Section.FLAKY: "Flaky",
    Section.SUSPECT: "Suspect (failing, not yet confirmed)",
    Section.SOFT_404: "Soft 404 or parked (the page answers, but not with the page)",
    Section.MOVED: "Moved permanently",
}
_BY_STATE = {
    LinkState.BROKEN: Section.BROKEN,
    LinkState.FLAKY: Section.FLAKY,
    LinkState.SUSPECT: Section.SUSPECT,
}


@dataclass(frozen=True, slots=True)
class TriageItem:
    section: Section
    url: str
    state: LinkState
    outcome: Outcome | None
    status: int | None
    since: datetime | None
    last_checked_at: datetime | None
    final_url: str | None
    title: str | None
    locations: tuple[str, ...]
    history: tuple[HistoryPoint, ...]
    entries: tuple[EntryRef, ...]
    reason: str | None = None  # soft-404, parked, fragment-missing


def _section_of(row: StatusRow) -> Section | None:
    if row.reason in (SOFT_404, PARKED):
        return Section.SOFT_404
    if row.state in _BY_STATE:
        return _BY_STATE[row.state]
    if row.last_outcome is Outcome.REDIRECTED and row.final_url:
        return Section.MOVED
    return None


def triage(session: Session, now: datetime | None = None) -> dict[Section, list[TriageItem]]:
    """Every URL that needs a decision; excluded ones (decided already) are left out."""
    known = {s for s in LinkState if s is not LinkState.UNCHECKED}
    excluded = ExclusionMatcher(list_exclusions(session, now or datetime.now(UTC)))
    rows = [(r, _section_of(r)) for r in load_status(session, known)]
    picked = [
        (r, s) for r, s in rows if s is not None and excluded.match(r.url, normalize(r.url)) is None
    ]
    urls = [r.url for r, _ in picked]
    past = history(session, urls, HISTORY)
    entries = entries_linking(session, urls)
    out: dict[Section, list[TriageItem]] = {s: [] for s in Section}
    for r, s in picked:
        assert s is not None
        out[s].append(
            TriageItem(
                s, r.url, r.state, r.last_outcome, r.last_status, r.since, r.last_checked_at,
                r.final_url, r.title, r.locations, tuple(past.get(r.url, ())),
                tuple(entries.get(r.url, ())), r.reason,
            )
        )  # fmt: skip
    return out


def search_entries(session: Session, query: str) -> list[EntryView]:
    query = query.strip()
    if not query:
        return []
    return list_entries(session, search=query)[:SEARCH_LIMIT]
