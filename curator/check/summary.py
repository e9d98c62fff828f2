"""The typed result of one check run: `CheckSummary`, its `UrlReport`s and `FailOn`.

Input: built by `runner.py`. Output: frozen dataclasses and `problems()`, the results worth
a human's look. Config: none. No DB access, no I/O: the text / JSON / Markdown / JUnit
forms and the terminal tables are drawn by `curator/cli/checkformat.py`.
"""

from __future__ import annotations

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
    run_id: int
    started_at: datetime
    elapsed_s: float
    to_check: int  # requests planned in this run
    checked: int  # requests finished
    results: tuple[UrlReport, ...]
    exit_code: ExitCode
    fail_on: FailOn = FailOn.CONFIRMED
    interrupted_by: str | None = None  # "SIGINT" / "SIGTERM"
    counts: dict[Outcome, int] = field(default_factory=dict)

    @property
    def confirmed_broken(self) -> int:
        return sum(1 for r in self.results if r.broken)

    @property
    def refused_private(self) -> int:
        """URLs refused for a private, loopback or link-local address: what a list of a
        local or intranet site gets without `--allow-private`."""
        return sum(
            1
            for r in self.results
            if r.outcome is Outcome.INVALID
            and (r.error or "").startswith(REFUSED)
            and is_private_refusal((r.error or "")[len(REFUSED) :])
        )

    @property
    def title_drifts(self) -> int:
        return sum(1 for r in self.results if r.title_drift)


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


def problems(summary: CheckSummary) -> list[UrlReport]:
    """Results worth a human's look, worst first: confirmed broken, gone, other failures,
    moves, title drift. Unchecked relative links are only counted."""
    found = [
        r
        for r in summary.results
        if r.outcome not in _NOT_PROBLEMS or r.broken or r.title_drift or r.reason
    ]
    rank = {o: i for i, o in enumerate(_SEVERITY)}
    return sorted(found, key=lambda r: (not r.broken, rank.get(r.outcome, 99), r.url))
