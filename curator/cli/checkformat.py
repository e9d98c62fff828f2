"""`curator check`, `status` and `exclude list` output: text, JSON, Markdown, JUnit, tables.

Input: a `CheckSummary` (check/runner.py), `StatusRow`s and `ExclusionView`s (check/store.py,
check/exclusions.py). Output: strings, text written to a file object as it is made (the
JSON and JUnit forms of a check: one entry per URL, read from the summary's `results`
one by one), or rich tables for a terminal. Config: the format enums below. No exits; the
only DB access is through `CheckSummary.results`. The JSON shape is a contract for
scripts: {"summary": {outcome: count}, "results": [...]}.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TextIO
from xml.etree import ElementTree as ET

from rich.table import Table

from curator.check.exclusions import ExclusionView
from curator.check.store import StatusRow
from curator.check.summary import CheckSummary, UrlReport
from curator.check.types import LinkState, Outcome


class CheckFormat(StrEnum):
    """`curator check --format` (the link-rot report's is `report.model.RotFormat`)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"


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
    return [_problem_line(r) for r in summary.problems]


def render_text(summary: CheckSummary) -> str:
    lines = [headline(summary), _counts_line(summary) or "nothing to check"]
    lines.append(
        f"confirmed broken: {summary.confirmed_broken}  title drift: {summary.title_drifts}"
    )
    lines.extend(problem_lines(summary))
    return "\n".join(lines) + "\n"


def write_json(summary: CheckSummary, out: TextIO) -> None:
    """`{"summary": {...}, "results": [...]}` with one result per line, each written as it
    is read: indent=2 would send every value through json's pure-Python encoder (about 2 s
    for 20,000 results), and one string of every result would hold them all at once."""
    head = json.dumps({o.value: summary.counts.get(o, 0) for o in Outcome}, ensure_ascii=False)
    out.write(f'{{\n  "summary": {head},\n  "results": [')
    written = 0
    lines: list[str] = []
    for r in summary.results:
        lines.append(
            (",\n    " if written else "\n    ") + json.dumps(r.as_json(), ensure_ascii=False)
        )
        written += 1
        if len(lines) >= 500:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    out.write("\n  ]\n}\n" if written else "]\n}\n")


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: CheckSummary) -> str:
    out = ["# Link check", "", headline(summary) + ".", ""]
    out += ["| outcome | URLs |", "|---|---:|"]
    out += [f"| {o.value} | {n} |" for o, n in summary.counts.items() if n]
    out += ["", f"**Confirmed broken: {summary.confirmed_broken}**", ""]
    rows = summary.problems
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


class _Case(StrEnum):
    FAILURE = "failure"
    SKIPPED = "skipped"
    NOTE = "note"  # a problem that fails nothing: its line as system-out
    PASSED = "passed"


def _case_kind(r: UrlReport) -> _Case:
    if r.outcome is Outcome.GONE or r.broken:
        return _Case.FAILURE
    if r.outcome in (Outcome.SKIPPED, Outcome.EXCLUDED) or (
        r.outcome is Outcome.LOCAL and r.status is None
    ):
        return _Case.SKIPPED
    if r.outcome not in (Outcome.OK, Outcome.LOCAL):
        return _Case.NOTE
    return _Case.PASSED


def _case(r: UrlReport, kind: _Case) -> str:
    """One <testcase>, indented as `ET.indent` indents it inside the suite."""
    case = ET.Element(
        "testcase",
        classname=", ".join(r.locations) or "curator",
        name=r.url,
        time=f"{r.elapsed_ms / 1000:.3f}",
    )
    if kind is _Case.FAILURE:
        state = r.state.value if r.state else "unchecked"
        fail = ET.SubElement(
            case, "failure", type=r.outcome.value, message=f"{r.outcome.value} ({state})"
        )
        fail.text = _problem_line(r)
    elif kind is _Case.SKIPPED:
        ET.SubElement(case, "skipped", message=r.error or r.outcome.value)
    elif kind is _Case.NOTE:
        ET.SubElement(case, "system-out").text = _problem_line(r)
    ET.indent(case, level=1)
    return ET.tostring(case, "unicode")


def write_junit(summary: CheckSummary, out: TextIO) -> None:
    """One <testcase> per URL, written as read. The suite's opening tag carries the
    totals, so the results are read twice: once to count, once to write."""
    tests = failures = skipped = 0
    for r in summary.results:
        kind = _case_kind(r)
        tests += 1
        failures += kind is _Case.FAILURE
        skipped += kind is _Case.SKIPPED
    suite = ET.Element(
        "testsuite",
        name="curator check",
        tests=str(tests),
        time=f"{summary.elapsed_s:.3f}",
        timestamp=summary.started_at.isoformat(),
        failures=str(failures),
        skipped=str(skipped),
        errors="0",
    )
    empty = ET.tostring(suite, "unicode")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    if not tests:
        out.write(empty + "\n")
        return
    out.write(empty.removesuffix(" />") + ">")
    for r in summary.results:
        out.write("\n  " + _case(r, _case_kind(r)))
    out.write("\n</testsuite>\n")


def write(summary: CheckSummary, fmt: CheckFormat, out: TextIO) -> None:
    if fmt is CheckFormat.JSON:
        write_json(summary, out)
    elif fmt is CheckFormat.JUNIT:
        write_junit(summary, out)
    elif fmt is CheckFormat.MARKDOWN:
        out.write(render_markdown(summary))
    else:
        out.write(render_text(summary))


def render(summary: CheckSummary, fmt: CheckFormat) -> str:
    buffer = io.StringIO()
    write(summary, fmt, buffer)
    return buffer.getvalue()


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
