"""Check reports: the typed result of a run and its text / JSON / Markdown / JUnit forms.

Input: a `CheckSummary` (built by `runner.py`), `StatusRow`s and `ExclusionView`s (from
`store.py`). Output: strings, or rich tables for a terminal. No DB access, no exits.
The JSON shape is a contract for scripts: {"summary": {outcome: count}, "results": [...]}.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from rich.table import Table

from curator.check.exclusions import ExclusionView
from curator.check.store import StatusRow
from curator.check.types import Hop, LinkState, Outcome
from curator.errors import ExitCode, Interrupted


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"


class TableFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


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


def _counts_line(summary: CheckSummary) -> str:
    return "  ".join(f"{o.value} {n}" for o, n in summary.counts.items() if n)


def headline(summary: CheckSummary) -> str:
    rate = summary.checked / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    text = (
        f"checked {summary.checked} of {summary.to_check} URLs in {summary.elapsed_s:.1f} s "
        f"({rate:.0f}/s), run {summary.run_id}"
    )
    if summary.interrupted_by:
        text += f"; interrupted by {summary.interrupted_by}, finished results saved"
    return text


def _problem_line(r: UrlReport) -> str:
    bits = [f"{r.outcome.value:<10}", f"{r.status or '-':>3}", r.url]
    if r.reason:
        bits.append(f"[{r.reason}]")
    if r.final_url and r.outcome is Outcome.REDIRECTED:
        bits.append(f"-> {r.final_url}")
    if r.state in (LinkState.BROKEN, LinkState.FLAKY, LinkState.SUSPECT):
        bits.append(f"[{r.state.value}]")
    if r.title_drift:
        bits.append(f"[title drift: {r.title!r}]")
    if r.error:
        bits.append(f"({r.error})")
    if r.archived_url:
        bits.append(f"archived copy: {r.archived_url}")
    if r.locations:
        bits.append(" ".join(r.locations))
    return " ".join(bits)


def problem_lines(summary: CheckSummary) -> list[str]:
    return [_problem_line(r) for r in problems(summary)]


def render_text(summary: CheckSummary) -> str:
    lines = [headline(summary), _counts_line(summary) or "nothing to check"]
    lines.append(
        f"confirmed broken: {summary.confirmed_broken}  title drift: {summary.title_drifts}"
    )
    lines.extend(problem_lines(summary))
    return "\n".join(lines) + "\n"


def render_json(summary: CheckSummary) -> str:
    """`{"summary": {...}, "results": [...]}` with one result per line: indent=2 would
    send every value through json's pure-Python encoder (about 2 s for 20,000 results)."""
    head = json.dumps({o.value: summary.counts.get(o, 0) for o in Outcome}, ensure_ascii=False)
    if not summary.results:
        return f'{{\n  "summary": {head},\n  "results": []\n}}\n'
    rows = ",\n    ".join(json.dumps(r.as_json(), ensure_ascii=False) for r in summary.results)
    return f'{{\n  "summary": {head},\n  "results": [\n    {rows}\n  ]\n}}\n'


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: CheckSummary) -> str:
    out = ["# Link check", "", headline(summary) + ".", ""]
    out += ["| outcome | URLs |", "|---|---:|"]
    out += [f"| {o.value} | {n} |" for o, n in summary.counts.items() if n]
    out += ["", f"**Confirmed broken: {summary.confirmed_broken}**", ""]
    rows = problems(summary)
    if rows:
        out += ["| URL | outcome | status | state | where | note |", "|---|---|---:|---|---|---|"]
        for r in rows:
            note = r.error or ""
            if r.outcome is Outcome.REDIRECTED and r.final_url:
                note = f"moved to <{r.final_url}>"
            if r.reason:
                note = f"{r.reason}: {note}" if note else r.reason
            if r.title_drift:
                note = (note + "; " if note else "") + f"title drift: {r.title}"
            if r.archived_url:
                note = (note + "; " if note else "") + f"archived copy: <{r.archived_url}>"
            out.append(
                f"| <{r.url}> | {r.outcome.value} | {r.status or ''} | "
                f"{r.state.value if r.state else ''} | {_md(', '.join(r.locations))} | "
                f"{_md(note)} |"
            )
    else:
        out.append("No problems found.")
    return "\n".join(out) + "\n"


def render_junit(summary: CheckSummary) -> str:
    suite = ET.Element(
        "testsuite",
        name="curator check",
        tests=str(len(summary.results)),
        time=f"{summary.elapsed_s:.3f}",
        timestamp=summary.started_at.isoformat(),
    )
    failures = skipped = 0
    for r in summary.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=", ".join(r.locations) or "curator",
            name=r.url,
            time=f"{r.elapsed_ms / 1000:.3f}",
        )
        if r.outcome is Outcome.GONE or r.broken:
            failures += 1
            state = r.state.value if r.state else "unchecked"
            fail = ET.SubElement(
                case, "failure", type=r.outcome.value, message=f"{r.outcome.value} ({state})"
            )
            fail.text = _problem_line(r)
        elif r.outcome in (Outcome.SKIPPED, Outcome.EXCLUDED) or (
            r.outcome is Outcome.LOCAL and r.status is None
        ):
            skipped += 1
            ET.SubElement(case, "skipped", message=r.error or r.outcome.value)
        elif r.outcome not in (Outcome.OK, Outcome.LOCAL):
            ET.SubElement(case, "system-out").text = _problem_line(r)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def render(summary: CheckSummary, fmt: ReportFormat) -> str:
    return {
        ReportFormat.TEXT: render_text,
        ReportFormat.JSON: render_json,
        ReportFormat.MARKDOWN: render_markdown,
        ReportFormat.JUNIT: render_junit,
    }[fmt](summary)


def summary_table(summary: CheckSummary) -> Table:
    table = Table(title=headline(summary))
    table.add_column("outcome")
    table.add_column("URLs", justify="right")
    for o, n in summary.counts.items():
        if n:
            table.add_row(o.value, str(n))
    table.add_row("[bold]confirmed broken[/]", f"[bold]{summary.confirmed_broken}[/]")
    if summary.title_drifts:
        table.add_row("title drift", str(summary.title_drifts))
    return table


# --- status and exclusions ----------------------------------------------------------------


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def status_json(rows: Sequence[StatusRow]) -> str:
    data = [
        {
            "url": r.url,
            "state": r.state.value,
            "since": _iso(r.since),
            "last_outcome": r.last_outcome.value if r.last_outcome else None,
            "last_status": r.last_status,
            "last_checked_at": _iso(r.last_checked_at),
            "final_url": r.final_url,
            "title": r.title,
            "title_drift": r.title_drift,
            "reason": r.reason,
            "archived_url": r.archived_url,
            "locations": list(r.locations),
        }
        for r in rows
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def status_table(rows: Sequence[StatusRow]) -> Table:
    table = Table(title=f"{len(rows)} URLs")
    for name in ("state", "since", "last", "url", "where"):
        table.add_column(name, overflow="fold")
    for r in rows:
        last = f"{r.last_outcome.value if r.last_outcome else '-'} {r.last_status or ''}".strip()
        url = r.url + (f" -> {r.final_url}" if r.final_url else "")
        if r.reason:
            last += f" ({r.reason})"
        if r.title_drift:
            url += f" (title drift: {r.title})"
        if r.archived_url:
            url += f"\n💀 archived copy: {r.archived_url}"
        table.add_row(
            r.state.value,
            f"{r.since:%Y-%m-%d %H:%M}" if r.since else "",
            last,
            url,
            "\n".join(r.locations),
        )
    return table


def exclusions_json(rows: Sequence[ExclusionView]) -> str:
    data = [
        {
            "pattern": e.pattern,
            "reason": e.reason,
            "expires_at": _iso(e.expires_at),
            "created_at": _iso(e.created_at),
            "active": e.active,
        }
        for e in rows
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def exclusions_table(rows: Sequence[ExclusionView]) -> Table:
    table = Table(title=f"{len(rows)} exclusions")
    for name in ("pattern", "reason", "expires", "active"):
        table.add_column(name, overflow="fold")
    for e in rows:
        expires = f"{e.expires_at:%Y-%m-%d %H:%M}" if e.expires_at else "never"
        table.add_row(e.pattern, e.reason, expires, "yes" if e.active else "expired")
    return table
