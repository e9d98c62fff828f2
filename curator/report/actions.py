"""GitHub Actions integration: `curator report` and `curator ci sync-issue` end to end.

Input: an engine, report options, and the environment (`GITHUB_ACTIONS`,
`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`, `GITHUB_WORKSPACE`; `GITHUB_TOKEN` and
`GITHUB_API_URL` for the issue sync). Output: a `ReportRun` (the rendered report, the
workflow-command lines to print and the exit code `--fail-on` asks for) and a `SyncResult`.
Side effects, only inside GitHub Actions (or when forced): the Markdown report is appended
to the step summary, `exit-code`, `broken` and `report` are set as step outputs, and each
location of a problem link becomes an annotation: `::error` for what fails the job
(confirmed broken; with `--fail-on gone` also any `gone`), `::warning` for the rest.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from curator.check.summary import FailOn
from curator.check.types import Outcome
from curator.errors import ExitCode, InputError
from curator.report.build import LAST_RUN, build_report
from curator.report.model import Report, ReportItem, RotFormat, Scope, Section
from curator.report.render import issue_report, load_issue_report, render_json, render_markdown
from curator.util.fsutil import atomic_write_text

if TYPE_CHECKING:
    from curator.report.github import SyncResult

MAX_ANNOTATIONS = 50  # per level; GitHub shows 10 per step anyway, the rest is noise


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Annotation:
    level: Level
    path: str
    line: int
    title: str
    message: str

    def command(self) -> str:
        path, title = _escape_property(self.path), _escape_property(self.title)
        props = f"file={path},line={self.line},title={title}"
        return f"::{self.level.value} {props}::{_escape_data(self.message)}"


@dataclass(frozen=True, slots=True)
class ReportRun:
    report: Report
    text: str  # the rendered report (also written to --output when given)
    output: Path | None
    exit_code: ExitCode  # what --fail-on makes of it (set as the `exit-code` output)
    commands: tuple[str, ...]  # workflow commands to print (annotations), empty outside CI
    in_actions: bool


def in_github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _split_location(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (location, 1)


def _relative(path: str, workspace: Path) -> str:
    """Annotations need paths relative to the checkout; lists may be imported by abs path."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(workspace.resolve())
        except ValueError:
            return path
    return str(PurePosixPath(*p.parts)) if p.parts else path


def _describe(section: Section, item: ReportItem) -> tuple[str, str]:
    result = f"{item.status} {item.outcome}" if item.status else f"{item.outcome}"
    if item.error and not item.status:
        result += f" ({item.error})"
    since = f" since {item.since:%Y-%m-%d}" if item.since else ""
    if section in (Section.NEWLY_BROKEN, Section.STILL_BROKEN):
        return "Broken link", f"{item.url} is broken: {result}{since}, confirmed over several runs"
    if section is Section.REDIRECTED:
        return "Link moved permanently", f"{item.url} moved to {item.final_url}: update the link"
    if section is Section.FLAKY:
        return "Flaky link", f"{item.url} alternates between working and failing: last {result}"
    return "Failing link", f"{item.url} failed ({result}){since}; not confirmed broken yet"


def build_annotations(report: Report, fail_on: FailOn, workspace: Path) -> list[Annotation]:
    """One annotation per location of each broken, failing, flaky or moved link."""
    found: list[Annotation] = []
    for section in (
        Section.NEWLY_BROKEN,
        Section.STILL_BROKEN,
        Section.SUSPECT,
        Section.FLAKY,
        Section.REDIRECTED,
    ):
        for item in report.items(section):
            fails = section in (Section.NEWLY_BROKEN, Section.STILL_BROKEN) and (
                fail_on is not FailOn.NEVER
            )
            if fail_on is FailOn.GONE and item.outcome is Outcome.GONE:
                fails = True
            title, message = _describe(section, item)
            for location in item.locations:
                path, line = _split_location(location)
                level = Level.ERROR if fails else Level.WARNING
                found.append(Annotation(level, _relative(path, workspace), line, title, message))
    return found


def _commands(found: list[Annotation]) -> list[str]:
    lines: list[str] = []
    for level in Level:
        of_level = [a for a in found if a.level is level]
        lines += [a.command() for a in of_level[:MAX_ANNOTATIONS]]
        if len(of_level) > MAX_ANNOTATIONS:
            lines.append(f"{len(of_level) - MAX_ANNOTATIONS} more {level.value}s not annotated")
    return lines


def set_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append step outputs in the multi-line-safe `name<<DELIMITER` form."""
    with path.open("a", encoding="utf-8") as fh:
        for name, value in values.items():
            delimiter = f"curator_{secrets.token_hex(8)}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(path: Path, markdown: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


def make_report(
    engine: Engine,
    *,
    fmt: RotFormat = RotFormat.MARKDOWN,
    since: str = LAST_RUN,
    scope: Scope = Scope.ALL,
    fail_on: FailOn = FailOn.CONFIRMED,
    output: Path | None = None,
    ci: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> ReportRun:
    """Build and render the report; write it; inside GitHub Actions also publish it."""
    env = os.environ if env is None else env
    report = build_report(engine, since=since, scope=scope)
    text = render_json(report) if fmt is RotFormat.JSON else render_markdown(report)
    if output is not None:
        if output.is_dir():
            raise InputError(f"--output {output}: is a directory")
        atomic_write_text(output, text)
    code = report.exit_code(fail_on)
    actions = in_github_actions(env) if ci is None else ci
    commands: list[str] = []
    if actions:
        workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
        commands = _commands(build_annotations(report, fail_on, workspace))
        summary = env.get("GITHUB_STEP_SUMMARY")
        if summary:
            markdown = text if fmt is RotFormat.MARKDOWN else render_markdown(report)
            append_summary(Path(summary), markdown)
        outputs = env.get("GITHUB_OUTPUT")
        if outputs:
            set_outputs(
                Path(outputs),
                {
                    "exit-code": str(int(code)),
                    "broken": str(report.broken),
                    "report": str(output.resolve()) if output else "",
                },
            )
    return ReportRun(report, text, output, code, tuple(commands), actions)


def sync_tracking_issue(
    engine: Engine | None,
    *,
    repo: str,
    label: str = "link-rot",
    title: str = "Link rot report",
    report_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> SyncResult:
    """`curator ci sync-issue`: bring the tracking issue in line with the latest report
    (read from `report_file`, else built from the DB)."""
    from curator.report.github import DEFAULT_API, GitHub, sync_issue  # httpx: only when needed

    env = os.environ if env is None else env
    if report_file is not None:
        wanted = load_issue_report(report_file)
    elif engine is not None:
        wanted = issue_report(build_report(engine))
    else:
        raise InputError("sync-issue needs --report FILE or a database")
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
    base = env.get("GITHUB_API_URL") or DEFAULT_API
    with GitHub(repo, token, base_url=base) as gh:
        result = sync_issue(gh, wanted, label=label, title=title)
    outputs = env.get("GITHUB_OUTPUT")
    if in_github_actions(env) and outputs:
        set_outputs(
            Path(outputs),
            {
                "issue-action": result.action.value,
                "issue-number": str(result.issue or ""),
                "issue-url": result.url or "",
            },
        )
    return result
