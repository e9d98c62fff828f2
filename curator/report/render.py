"""Report rendering: a `Report` as Markdown that fits a GitHub issue, or as JSON; and back.

Input: a `report.Report`. Output: Markdown (at most `limit` characters, default GitHub's
65,536-character issue-body limit: sections keep their counts, rows that do not fit are
left out in section order and counted), the full report as JSON, the comment that closes
a tracking issue, and an `IssueReport` (body + what the issue sync needs to know) built
from a `Report` or read back from a JSON or Markdown report file. Every Markdown body ends
with a hidden marker carrying a digest of the content, so the issue sync can tell an
unchanged report from a changed one without diffing text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from curator.check.types import Outcome
from curator.errors import InputError
from curator.report.model import Report, ReportItem, RunInfo, Scope, Section

ISSUE_BODY_LIMIT = 65_536  # GitHub refuses longer issue bodies and comments
REPORT_MARK = "<!-- curator:link-rot -->"
_DIGEST = re.compile(r"\n?<!-- curator:digest=([0-9a-f]{16}) broken=(\d+) history=([01]) -->\s*$")
_MAX_URL = 300
_MAX_TEXT = 80
_MAX_WHERE = 3

TITLES = {
    Section.NEWLY_BROKEN: "Newly broken",
    Section.STILL_BROKEN: "Still broken",
    Section.RECOVERED: "Recovered",
    Section.FIXED: "Removed from the lists or excluded",
    Section.REDIRECTED: "Moved permanently (update the link)",
    Section.SOFT_404: "Redirected to a home or login page (likely gone; not a move)",
    Section.SUSPECT: "Failing, not confirmed yet (does not fail the job)",
    Section.FLAKY: "Flaky (alternating; does not fail the job)",
    Section.REPOS: "GitHub repositories archived or without a recent push",
    Section.TITLE_DRIFT: "Title changed (the page may have been replaced)",
}
_COLUMNS = {
    Section.NEWLY_BROKEN: ("Link", "Where", "Last result", "Broken since", "Archived copy"),
    Section.STILL_BROKEN: ("Link", "Where", "Last result", "Broken since", "Archived copy"),
    Section.RECOVERED: ("Link", "Where", "Was", "Now"),
    Section.FIXED: ("Link", "Last result", "Failing since"),
    Section.REDIRECTED: ("Link", "Suggested URL", "Where"),
    Section.SOFT_404: ("Link", "Lands on", "Where"),
    Section.SUSPECT: ("Link", "Where", "Last result", "Failing since"),
    Section.FLAKY: ("Link", "Where", "Last result"),
    Section.REPOS: ("Link", "What", "Where"),
    Section.TITLE_DRIFT: ("Link", "Title now", "Where"),
}
_FOLDED = frozenset(
    {
        Section.REDIRECTED,
        Section.SOFT_404,
        Section.SUSPECT,
        Section.FLAKY,
        Section.REPOS,
        Section.TITLE_DRIFT,
    }
)
_SHOWN_OUTCOMES = ("ok", "redirected", "gone", "blocked", "transient", "timeout", "invalid")


@dataclass(frozen=True, slots=True)
class IssueReport:
    """What `ci sync-issue` needs: the issue body, and whether it calls for an open issue."""

    body: str  # Markdown ending in the digest marker
    digest: str
    broken: int
    has_history: bool
    close_comment: str


# --- Markdown -----------------------------------------------------------------------------


def _text(value: str | None, cap: int = _MAX_TEXT) -> str:
    """Free text in a table cell: one line, no table breaks, no @mentions or #refs."""
    text = " ".join((value or "").split())
    if len(text) > cap:
        text = text[: cap - 1] + "…"
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("@", "&#64;")
        .replace("#", "&#35;")
    )


def _link(url: str) -> str:
    safe = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    if len(safe) <= _MAX_URL:
        return f"<{safe}>"
    return f"[{_text(safe, _MAX_URL)}]({safe.replace(')', '%29')})"


def _day(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d}" if t else "–"


def _when(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC" if t else "–"


def _since(t: datetime | None, now: datetime | None) -> str:
    if t is None:
        return "–"
    if now is None or now < t:
        return _day(t)
    return f"{_day(t)} ({(now - t).days} d)"


def _where(item: ReportItem) -> str:
    shown = [f"`{_text(loc, 200)}`" for loc in item.locations[:_MAX_WHERE]]
    more = len(item.locations) - _MAX_WHERE
    if more > 0:
        shown.append(f"+{more} more")
    return ", ".join(shown) or "–"


def _result(item: ReportItem) -> str:
    outcome = item.outcome.value if item.outcome else "unchecked"
    text = f"{item.status} {outcome}" if item.status else outcome
    if item.reason:
        text += f" ({_text(item.reason, 30)})"
    elif item.error and not item.status:
        text += f": {_text(item.error, 60)}"
    return text


def _cell_link(item: ReportItem) -> str:
    title = f"<br>{_text(item.title)}" if item.title else ""
    return _link(item.url) + title


def _row(section: Section, item: ReportItem, now: datetime | None) -> str:
    archived = f"[archived]({item.archived_url})" if item.archived_url else "–"
    if section in (Section.NEWLY_BROKEN, Section.STILL_BROKEN):
        cells = [_cell_link(item), _where(item), _result(item), _since(item.since, now), archived]
    elif section is Section.RECOVERED:
        cells = [_cell_link(item), _where(item), item.previous.value, _result(item)]
    elif section is Section.FIXED:
        cells = [_link(item.url), _result(item), _since(item.since, now)]
    elif section in (Section.REDIRECTED, Section.SOFT_404):
        cells = [_link(item.url), _link(item.final_url or ""), _where(item)]
    elif section is Section.SUSPECT:
        cells = [_cell_link(item), _where(item), _result(item), _since(item.since, now)]
    elif section is Section.REPOS:
        cells = [_link(item.url), _text(item.repo), _where(item)]
    elif section is Section.TITLE_DRIFT:
        cells = [_link(item.url), _text(item.title), _where(item)]
    else:
        cells = [_cell_link(item), _where(item), _result(item)]
    return "| " + " | ".join(cells) + " |"


def _summary_lines(report: Report) -> list[str]:
    n = {s: len(report.items(s)) for s in Section}
    if report.run is None:
        return ["**Nothing has been checked yet** (run `curator check` first)."]
    if report.broken:
        plural = "s" if report.broken != 1 else ""
        head = f"**{report.broken} link{plural} confirmed broken** ({n[Section.NEWLY_BROKEN]} new)."
    else:
        head = "**No links are confirmed broken.**"
    extra = [
        f"{n[s]} {label}"
        for s, label in (
            (Section.RECOVERED, "recovered"),
            (Section.FIXED, "removed from the lists or excluded"),
            (Section.REDIRECTED, "moved permanently"),
            (Section.SOFT_404, "redirected to a home or login page"),
            (Section.SUSPECT, "failing, not confirmed yet"),
            (Section.FLAKY, "flaky"),
            (Section.REPOS, "repositories archived or stale"),
            (Section.TITLE_DRIFT, "titles changed"),
        )
        if n[s]
    ]
    lines = [head, "", " · ".join(extra)] if extra else [head]
    checked = sum(report.outcomes.values())
    where = " in this pull request" if report.scope is Scope.RUN else ""
    run = f"Run #{report.run.id} checked {checked} URLs{where} on {_when(report.run.started_at)}"
    if report.baseline is not None:
        run += f"; compared with run #{report.baseline.id} of {_when(report.baseline.started_at)}."
    else:
        run += "; there is no earlier run to compare with yet."
    lines += ["", run, ""]
    keys = [*_SHOWN_OUTCOMES, *sorted(k for k in report.outcomes if k not in _SHOWN_OUTCOMES)]
    lines += ["| " + " | ".join(keys) + " |", "|" + "---:|" * len(keys)]
    lines += ["| " + " | ".join(str(report.outcomes.get(k, 0)) for k in keys) + " |", ""]
    lines.append(
        "_Blocked, transient and timeout results are counted but never fail the job on their"
        " own: they are usually bot walls or outages, and a later run tells._"
    )
    return lines


def _section_lines(
    section: Section, rows: list[str], shown: int, now: datetime | None
) -> list[str]:
    title = f"{TITLES[section]} ({len(rows)})"
    cols = _COLUMNS[section]
    lines = [f"<details><summary><b>{title}</b></summary>", ""] if section in _FOLDED else []
    if section not in _FOLDED:
        lines += [f"### {title}", ""]
    if shown:
        lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols), *rows[:shown]]
    if shown < len(rows):
        lines += ["", f"_…and {len(rows) - shown} more not shown (see the JSON report)._"]
    lines.append("")
    if section in _FOLDED:
        lines += ["</details>", ""]
    return lines


def _assemble(report: Report, blocks: list[tuple[Section, list[str]]], shown: list[int]) -> str:
    now = report.generated_at
    left_out = sum(len(rows) - k for (_, rows), k in zip(blocks, shown, strict=True))
    lines = [REPORT_MARK, "## Link rot report", ""]
    if left_out:
        lines += [
            f"> [!NOTE]\n> Shortened to fit GitHub's {ISSUE_BODY_LIMIT:,}-character limit:"
            f" {left_out:,} of {sum(len(r) for _, r in blocks):,} rows are left out."
            " `curator report --format json` has them all.",
            "",
        ]
    lines += _summary_lines(report)
    lines.append("")
    for (section, rows), k in zip(blocks, shown, strict=True):
        lines += _section_lines(section, rows, k, now)
    lines.append("<sub>Generated by curator (`curator report`).</sub>")
    return "\n".join(lines)


def _seal(content: str, broken: int, has_history: bool) -> tuple[str, str]:
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    marker = f"<!-- curator:digest={digest} broken={broken} history={int(has_history)} -->"
    return f"{content}\n{marker}\n", digest


def render_markdown(report: Report, *, limit: int = ISSUE_BODY_LIMIT) -> str:
    """The report as Markdown of at most `limit` characters (marker included)."""
    now = report.generated_at
    blocks = [(s, [_row(s, item, now) for item in report.items(s)]) for s in report.sections]
    shown = [len(rows) for _, rows in blocks]
    reserve = 120  # the digest marker
    if len(_assemble(report, blocks, shown)) + reserve > limit:
        # Greedy in section order from an empty body, then trim until it certainly fits.
        shown = [0] * len(blocks)
        budget = limit - reserve - len(_assemble(report, blocks, shown)) - 200 * len(blocks)
        for i, (_, rows) in enumerate(blocks):
            while shown[i] < len(rows) and len(rows[shown[i]]) + 1 <= budget:
                budget -= len(rows[shown[i]]) + 1
                shown[i] += 1
            if shown[i] < len(rows):
                break
        while len(_assemble(report, blocks, shown)) + reserve > limit and any(shown):
            last = max(i for i, k in enumerate(shown) if k)
            shown[last] -= 1
    body, _ = _seal(_assemble(report, blocks, shown), report.broken, report.has_history)
    if len(body) > limit:
        raise InputError(f"the report header alone exceeds {limit} characters")
    return body


def render_close_comment(report: Report | None, *, limit: int = ISSUE_BODY_LIMIT) -> str:
    if report is None or report.run is None:
        return "No links are confirmed broken any more. Closing.\n"
    lines = [
        f"Every link this issue reported is fixed or recovered as of run #{report.run.id}"
        f" ({_when(report.run.started_at)}). Closing; a new issue opens if links break again.",
        "",
    ]
    for section in (Section.RECOVERED, Section.FIXED):
        items = report.items(section)
        if items:
            lines.append(f"**{TITLES[section]}** ({len(items)}):")
            lines += [f"- {_link(i.url)}" for i in items[:50]]
            if len(items) > 50:
                lines.append(f"- …and {len(items) - 50} more")
            lines.append("")
    return "\n".join(lines)[: limit - 1] + "\n"


def split_marker(body: str) -> tuple[str, str | None, int, bool]:
    """(content, digest or None, broken, has_history) of a Markdown report or issue body."""
    body = body.replace("\r\n", "\n")
    m = _DIGEST.search(body)
    if m is None:
        return body, None, 0, False
    return body[: m.start()], m.group(1), int(m.group(2)), m.group(3) == "1"


def issue_report(report: Report, *, limit: int = ISSUE_BODY_LIMIT) -> IssueReport:
    body = render_markdown(report, limit=limit)
    _, digest, broken, history = split_marker(body)
    assert digest is not None
    return IssueReport(body, digest, broken, history, render_close_comment(report, limit=limit))


def load_issue_report(path: Path) -> IssueReport:
    """Read a report written by `curator report` (JSON or Markdown)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the report ({exc})") from exc
    if text.lstrip().startswith("{"):
        return issue_report(report_from_json(text, str(path)))
    content, digest, broken, history = split_marker(text)
    if digest is None or REPORT_MARK not in content:
        raise InputError(f"{path}: not a curator report (write one with `curator report`)")
    body, digest = _seal(content, broken, history)  # re-sealed: a hand edit is a new report
    if len(body) > ISSUE_BODY_LIMIT:
        raise InputError(f"{path}: longer than GitHub's {ISSUE_BODY_LIMIT} characters")
    return IssueReport(body, digest, broken, history, render_close_comment(None))


# --- JSON ---------------------------------------------------------------------------------


def _run_json(run: RunInfo | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
        "status": run.status,
    }


def _run_from(data: dict[str, Any] | None) -> RunInfo | None:
    if not data:
        return None
    finished = data.get("finished_at")
    return RunInfo(
        int(data["id"]),
        datetime.fromisoformat(data["started_at"]),
        datetime.fromisoformat(finished) if finished else None,
        str(data.get("status", "done")),
    )


def render_json(report: Report) -> str:
    """The whole report (never truncated). `summary` holds every count a script needs."""
    data: dict[str, Any] = {
        "version": 1,
        "scope": report.scope.value,
        "run": _run_json(report.run),
        "baseline": _run_json(report.baseline),
        "baseline_at": report.baseline_at.isoformat(timespec="seconds")
        if report.baseline_at
        else None,
        "check_runs": report.check_runs,
        "summary": {
            "broken": report.broken,
            **{s.value: len(report.items(s)) for s in Section},
            "outcomes": {o.value: report.outcomes.get(o.value, 0) for o in Outcome},
        },
    }
    for s in Section:
        data[s.value] = [item.as_json() for item in report.items(s)]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def report_from_json(text: str, where: str = "report") -> Report:
    try:
        data = json.loads(text)
        if data.get("version") != 1:
            raise ValueError("unknown report version")
        return Report(
            scope=Scope(data["scope"]),
            run=_run_from(data.get("run")),
            baseline=_run_from(data.get("baseline")),
            baseline_at=datetime.fromisoformat(data["baseline_at"])
            if data.get("baseline_at")
            else None,
            check_runs=int(data.get("check_runs", 0)),
            outcomes={k: int(v) for k, v in data["summary"]["outcomes"].items() if v},
            sections={
                s: tuple(ReportItem.from_json(i) for i in data[s.value])
                for s in Section
                if data.get(s.value)
            },
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{where}: not a curator JSON report ({exc})") from exc
