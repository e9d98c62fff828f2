"""The typed result of one check run: `CheckSummary`, its `UrlReport`s and `FailOn`.

Input: built by `runner.py`. Output: frozen dataclasses; `tally()`, which adds a run's
reports up in one pass (counts, confirmed broken, title drifts, private refusals, and the
problems: the results worth a human's look). Config: none. No DB access, no I/O: the
reports themselves come from check/reports.py, the text / JSON / Markdown / JUnit forms
and the terminal tables are drawn by `curator/cli/checkformat.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from curator.check.http.guard import is_private_refusal
from curator.check.types import REFUSED, Hop, LinkState, Outcome
from curator.errors import ExitCode, Interrupted


class FailOn(StrEnum):
    CONFIRMED = "confirmed"  # a URL is in state broken
    GONE = "gone"  # any `gone` in this run
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class UrlReport:
    url: str
    outcome: Outcome
    status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    title: str | None = None
    error: str | None = None
    attempts: int = 0
    elapsed_ms: int = 0
    state: LinkState | None = None
    locations: tuple[str, ...] = ()
    title_drift: bool = False
    since: datetime | None = None  # first_failure_at
    reason: str | None = None  # why an answering page is gone: soft-404, parked
    archived_url: str | None = None  # a Wayback Machine copy of a broken link

    @property
    def broken(self) -> bool:
        return self.state is LinkState.BROKEN and self.outcome is not Outcome.EXCLUDED

    @property
    def refused_private(self) -> bool:
        """Refused for a private, loopback or link-local address: what a list of a local
        or intranet site gets without `--allow-private`."""
        return (
            self.outcome is Outcome.INVALID
            and (self.error or "").startswith(REFUSED)
            and is_private_refusal((self.error or "")[len(REFUSED) :])
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "outcome": self.outcome.value,
            "status": self.status,
            "final_url": self.final_url,
            "redirects": [{"url": h.url, "status": h.status} for h in self.redirects],
            "title": self.title,
            "error": self.error,
            "attempts": self.attempts,
            "elapsed_ms": self.elapsed_ms,
            "state": self.state.value if self.state else None,
            "locations": list(self.locations),
            "reason": self.reason,
            "title_drift": self.title_drift,
            "archived_url": self.archived_url,
        }


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """What a run did, as it stood when the run ended. `results` holds every URL's
    report, in (url, locations) order, but not in memory: iterating it reads them from a
    temporary file (check/reports.py), so a run of 100,000 URLs keeps only its problems
    in memory, not every result."""

    run_id: int
    started_at: datetime
    elapsed_s: float
    to_check: int  # requests planned in this run
    checked: int  # requests finished
    results: Iterable[UrlReport]
    exit_code: ExitCode
    fail_on: FailOn = FailOn.CONFIRMED
    interrupted_by: str | None = None  # "SIGINT" / "SIGTERM"
    counts: dict[Outcome, int] = field(default_factory=dict)
    total: int = 0  # reports in `results`
    confirmed_broken: int = 0
    title_drifts: int = 0
    refused_private: int = 0  # see `UrlReport.refused_private`
    problems: tuple[UrlReport, ...] = ()  # worth a human's look, worst first


class CheckInterrupted(Interrupted):
    """A signal stopped the run; finished results are committed. Carries the summary so
    the CLI can still print the report before exiting 130/143."""

    def __init__(self, message: str, exit_code: ExitCode, summary: CheckSummary) -> None:
        super().__init__(message, exit_code)
        self.summary = summary


_NOT_PROBLEMS = (Outcome.OK, Outcome.SKIPPED, Outcome.EXCLUDED, Outcome.LOCAL)
_SEVERITY = [
    Outcome.GONE,
    Outcome.INVALID,
    Outcome.TIMEOUT,
    Outcome.TRANSIENT,
    Outcome.BLOCKED,
    Outcome.REDIRECTED,
]
_RANK = {o: i for i, o in enumerate(_SEVERITY)}


def is_problem(r: UrlReport) -> bool:
    """Worth a human's look: confirmed broken, gone, other failures, moves, title drift,
    a reason (soft-404, a missing fragment). Unchecked relative links are only counted."""
    return r.outcome not in _NOT_PROBLEMS or r.broken or r.title_drift or bool(r.reason)


@dataclass(frozen=True, slots=True)
class Tally:
    counts: dict[Outcome, int]
    total: int
    confirmed_broken: int
    title_drifts: int
    refused_private: int
    problems: tuple[UrlReport, ...]  # worst first: broken, then by outcome, then URL


def tally(reports: Iterable[UrlReport]) -> Tally:
    """Add `reports` up in one pass, keeping only the problems."""
    seen: Counter[Outcome] = Counter()
    total = broken = drifts = refused = 0
    found: list[UrlReport] = []
    for r in reports:
        total += 1
        seen[r.outcome] += 1
        broken += r.broken
        drifts += r.title_drift
        if r.outcome is Outcome.INVALID and r.refused_private:
            refused += 1
        if is_problem(r):
            found.append(r)
    found.sort(key=lambda r: (not r.broken, _RANK.get(r.outcome, 99), r.url))
    return Tally(
        counts={o: seen.get(o, 0) for o in Outcome},
        total=total,
        confirmed_broken=broken,
        title_drifts=drifts,
        refused_private=refused,
        problems=tuple(found),
    )
