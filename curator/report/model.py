"""The rot report's data: sections, items, run info, and their JSON form.

Input: nothing (data types). Output: `Report`, `ReportItem`, `RunInfo`, `Section`,
`Scope`, `RotFormat`. Config: none. Built by build.py (from the DB), rendered and read
back by render.py. Kept apart from build.py so that the CLI can offer the enums
without loading the DB layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from curator.check.summary import FailOn
from curator.check.types import LinkState, Outcome
from curator.errors import ExitCode
from curator.util.when import parse_time


class RotFormat(StrEnum):
    MARKDOWN = "markdown"  # fits a GitHub issue
    JSON = "json"  # everything


class Scope(StrEnum):
    ALL = "all"  # every live URL of every list
    RUN = "run"  # only URLs checked in the latest run (pull-request mode)


class Section(StrEnum):
    """Report sections, in the order they are shown (and kept when truncating)."""

    NEWLY_BROKEN = "newly_broken"
    STILL_BROKEN = "still_broken"
    RECOVERED = "recovered"
    FIXED = "fixed"  # was broken; no longer in any list, or excluded since
    REDIRECTED = "redirected"
    SOFT_404 = "soft_404"  # "moved" to a home or login page: urls.is_harmful_move
    SUSPECT = "suspect"  # failing, not (yet) confirmed: never fails the job
    FLAKY = "flaky"
    REPOS = "repos"  # GitHub repositories archived, disabled or without a recent push
    TITLE_DRIFT = "title_drift"  # the page answers, but its title changed


@dataclass(frozen=True, slots=True)
class ReportItem:
    url: str
    state: LinkState  # now
    previous: LinkState  # at the baseline
    outcome: Outcome | None  # of the latest check
    status: int | None
    since: datetime | None  # start of the current failure streak
    last_checked_at: datetime | None
    final_url: str | None  # where a permanent redirect leads: the suggested canonical URL
    archived_url: str | None
    title: str | None
    error: str | None
    locations: tuple[str, ...]  # "path:line", 1-based
    reason: str | None = None  # why an answering page is gone: soft-404, parked
    title_drift: bool = False
    repo: str | None = None  # what is notable about a GitHub repository (archived, stale)

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "state": self.state.value,
            "previous": self.previous.value,
            "outcome": self.outcome.value if self.outcome else None,
            "status": self.status,
            "since": _iso(self.since),
            "last_checked_at": _iso(self.last_checked_at),
            "final_url": self.final_url,
            "archived_url": self.archived_url,
            "title": self.title,
            "error": self.error,
            "locations": list(self.locations),
            "reason": self.reason,
            "title_drift": self.title_drift,
            "repo": self.repo,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportItem:
        return cls(
            url=data["url"],
            state=LinkState(data["state"]),
            previous=LinkState(data["previous"]),
            outcome=Outcome(data["outcome"]) if data.get("outcome") else None,
            status=data.get("status"),
            since=_from_iso(data.get("since")),
            last_checked_at=_from_iso(data.get("last_checked_at")),
            final_url=data.get("final_url"),
            archived_url=data.get("archived_url"),
            title=data.get("title"),
            error=data.get("error"),
            locations=tuple(data.get("locations") or ()),
            reason=data.get("reason"),
            title_drift=bool(data.get("title_drift")),
            repo=data.get("repo"),
        )


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class Report:
    scope: Scope
    run: RunInfo | None  # the latest check run (None: nothing was ever checked)
    baseline: RunInfo | None  # the last run before the baseline time (None: no history)
    baseline_at: datetime | None
    check_runs: int  # check runs in the DB: how much history there is
    outcomes: dict[str, int]  # outcome -> URLs, in the latest run
    sections: dict[Section, tuple[ReportItem, ...]] = field(default_factory=dict)

    def items(self, section: Section) -> tuple[ReportItem, ...]:
        return self.sections.get(section, ())

    @property
    def broken(self) -> int:
        return len(self.items(Section.NEWLY_BROKEN)) + len(self.items(Section.STILL_BROKEN))

    @property
    def has_history(self) -> bool:
        """False on a first run (or a lost DB): nothing can be called fixed or recovered."""
        return self.baseline is not None

    @property
    def generated_at(self) -> datetime | None:
        return (self.run.finished_at or self.run.started_at) if self.run else None

    def exit_code(self, fail_on: FailOn) -> ExitCode:
        """The exit code `curator check --fail-on` gives for the same state."""
        if fail_on is FailOn.CONFIRMED:
            failed = self.broken > 0
        elif fail_on is FailOn.GONE:
            failed = self.outcomes.get(Outcome.GONE.value, 0) > 0
        else:
            failed = False
        return ExitCode.BROKEN if failed else ExitCode.OK


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def _from_iso(text: str | None) -> datetime | None:
    return parse_time(text, "report time") if text else None
