"""Commands of the link check: check, status, exclude."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curator.check.summary import CheckSummary, FailOn, ReportFormat, TableFormat
from curator.check.types import ArchiveLookup, LinkState

if TYPE_CHECKING:
    pass


from curator.cli.common import (
    DbOption,
    app,
    echo,
    err,
    open_engine,
    out,
    read_session,
    write_session,
)


def _emit_check(
    summary: CheckSummary, fmt: ReportFormat, output_file: Path | None, interactive: bool
) -> None:
    from curator.check import summary as report
    from curator.util.fsutil import atomic_write_text

    if output_file is not None:
        atomic_write_text(output_file, report.render(summary, fmt))
        err.print(f"report written to {output_file}", markup=False, highlight=False)
    if output_file is None and fmt is not ReportFormat.TEXT:
        echo(report.render(summary, fmt))
    elif interactive:
        out.print(report.summary_table(summary))
        for line in report.problem_lines(summary):
            out.print(line, markup=False, highlight=False)
    else:
        echo(report.render_text(summary))


def _diff_urls(ref: str) -> frozenset[str]:
    from curator.ingest.added_links import select_added_links

    selection = select_added_links(ref)
    files = len(selection.files)
    err.print(
        f"--diff {ref}: {len(selection.urls)} URLs on added lines of {files} Markdown file"
        + ("" if files == 1 else "s"),
        markup=False,
        highlight=False,
    )
    return selection.urls


@app.command("check")
def check_cmd(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight at once, over all hosts.")
    ] = 128,
    per_host: Annotated[int, typer.Option(min=1, help="Requests in flight per host.")] = 10,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds for connect and for each read.")
    ] = 10.0,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries after timeouts, resets, 5xx, 408, 429.")
    ] = 2,
    max_age: Annotated[
        str, typer.Option(help="Skip URLs checked OK more recently (30m, 12h, 1d, 7d; 0: none).")
    ] = "1d",
    only_new: Annotated[bool, typer.Option(help="Check only URLs never checked before.")] = False,
    budget: Annotated[
        int | None, typer.Option(min=0, help="Check at most N URLs, the oldest-checked first.")
    ] = None,
    allow_private: Annotated[
        bool, typer.Option(help="Allow loopback/private addresses (local test servers).")
    ] = False,
    confirm_runs: Annotated[
        int, typer.Option(min=1, help="`gone` in this many checks before a link is broken.")
    ] = 2,
    confirm_days: Annotated[
        float, typer.Option(min=0, help="...and the first of them at least this many days ago.")
    ] = 2.0,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 on: confirmed broken links, any gone, or never.")
    ] = FailOn.CONFIRMED,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = (
        ReportFormat.TEXT
    ),
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="Check relative links as files under DIR.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Check relative links as web URLs under this URL.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only the links of this source.")] = None,
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff", metavar="REF", help="Only links on lines added since git REF (pull requests)."
        ),
    ] = None,
    archive_lookup: Annotated[
        ArchiveLookup,
        typer.Option(
            help="Look up a Wayback Machine copy for links confirmed broken, or all gone ones."
        ),
    ] = ArchiveLookup.BROKEN,
    no_archive_lookup: Annotated[
        bool, typer.Option("--no-archive-lookup", help="Look up no archived copies.")
    ] = False,
    check_fragments: Annotated[
        bool,
        typer.Option(
            "--check-fragments", help="Check #anchors: of pages, and of the lists themselves."
        ),
    ] = False,
    github_wait: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds to wait for a GitHub API rate-limit reset (else not checked)."
        ),
    ] = 60.0,
    now: Annotated[
        str | None,
        typer.Option(envvar="CURATOR_NOW", hidden=True, help="Pretend it is this ISO time."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check web links that are due; record results and each URL's state.

    With $GITHUB_TOKEN (or $GH_TOKEN), github.com repository links are checked through the
    GraphQL API (archived, renamed, gone), up to 100 repositories a request."""
    from curator.check.http.ghauth import api_from_env
    from curator.check.runner import CheckOptions, parse_duration, parse_time, run_check
    from curator.check.summary import CheckInterrupted
    from curator.check.types import CheckConfig
    from curator.cli.progress import is_interactive, make_progress
    from curator.store.dbapi import resolve_db_path

    config = CheckConfig(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        allow_private=allow_private,
        github=api_from_env(),
        github_wait=github_wait,
    )
    options = CheckOptions(
        config=config,
        source=source,
        max_age=parse_duration(max_age),
        only_new=only_new,
        budget=budget,
        confirm_runs=confirm_runs,
        confirm_days=confirm_days,
        fail_on=fail_on,
        root=root,
        base_url=base_url,
        now=parse_time(now) if now else None,
        only_urls=_diff_urls(diff) if diff else None,
        archive_lookup=ArchiveLookup.OFF if no_archive_lookup else archive_lookup,
        check_fragments=check_fragments,
        wayback_url=(os.environ.get("CURATOR_WAYBACK_URL") or "https://archive.org").rstrip("/"),
    )
    interactive = is_interactive()
    try:
        summary = run_check(resolve_db_path(db), options, progress=make_progress(err, interactive))
    except CheckInterrupted as exc:
        _emit_check(exc.summary, fmt, output_file, interactive)
        raise
    _emit_check(summary, fmt, output_file, interactive)
    if summary.exit_code:
        raise typer.Exit(int(summary.exit_code))


@app.command("status")
def status_cmd(
    broken: Annotated[bool, typer.Option("--broken", help="Only confirmed broken URLs.")] = False,
    state: Annotated[
        list[LinkState] | None, typer.Option("--state", help="Only URLs in this state (repeat).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only the links of this source.")] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TableFormat.TABLE
    ),
    repos: Annotated[
        bool,
        typer.Option("--repos", help="GitHub repositories archived, renamed or stale instead."),
    ] = False,
    stale_after: Annotated[
        str, typer.Option(help="With --repos: stale after this long without a push.")
    ] = "365d",
    db: DbOption = None,
) -> None:
    """What is broken, flaky or suspect, since when, and where (file:line)."""
    from curator.check import summary as report
    from curator.check.store import load_status

    if repos:
        _status_repos(stale_after, fmt, db)
        return
    states = set(state or ()) | ({LinkState.BROKEN} if broken else set())
    with read_session(open_engine(db)) as session:
        rows = load_status(session, states or None, source=source)
    if fmt is TableFormat.JSON:
        echo(report.status_json(rows))
    else:
        out.print(report.status_table(rows))


def _status_repos(stale_after: str, fmt: TableFormat, db: Path | None) -> None:
    from curator.check.runner import parse_duration
    from curator.cli.format import repos_json, repos_table
    from curator.store.repofacts import load_repos

    limit = parse_duration(stale_after)
    with read_session(open_engine(db)) as session:
        rows = [r for r in load_repos(session, _now(), limit) if r.notable]
    if fmt is TableFormat.JSON:
        echo(repos_json(rows))
    else:
        out.print(repos_table(rows))


exclude_app = typer.Typer(
    help="Exclude URLs from checks: glob patterns, or `re:REGEX`.", no_args_is_help=True
)
app.add_typer(exclude_app, name="exclude")


def _now() -> datetime:
    from curator.check.runner import parse_time

    env = os.environ.get("CURATOR_NOW")
    return parse_time(env, "CURATOR_NOW") if env else datetime.now(UTC)


@exclude_app.command("add")
def exclude_add_cmd(
    pattern: Annotated[str, typer.Argument(help="Glob (https://x.com/*) or re:REGEX.")],
    reason: Annotated[str, typer.Option(help="Why it is excluded (shown in reports).")],
    expires: Annotated[
        str | None, typer.Option(help="Stop excluding after this ISO date/time.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add an exclusion (or update the reason/expiry of an existing one)."""
    from curator.check.exclusions import add_exclusion
    from curator.check.runner import parse_time

    until = parse_time(expires, "--expires") if expires else None
    with write_session(open_engine(db)) as session:
        created = add_exclusion(session, pattern, reason, until, _now())
    echo(f"{'added' if created else 'updated'} exclusion {pattern.strip()}\n")


@exclude_app.command("list")
def exclude_list_cmd(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TableFormat.TABLE
    ),
    db: DbOption = None,
) -> None:
    """List exclusions (expired ones are shown but no longer apply)."""
    from curator.check import summary as report
    from curator.check.exclusions import list_exclusions

    with read_session(open_engine(db)) as session:
        rows = list_exclusions(session, _now())
    if fmt is TableFormat.JSON:
        echo(report.exclusions_json(rows))
    else:
        out.print(report.exclusions_table(rows))


@exclude_app.command("remove")
def exclude_remove_cmd(
    pattern: Annotated[str, typer.Argument(help="The pattern exactly as added.")],
    db: DbOption = None,
) -> None:
    """Remove an exclusion."""
    from curator.check.exclusions import remove_exclusion

    with write_session(open_engine(db)) as session:
        remove_exclusion(session, pattern)
    echo(f"removed exclusion {pattern.strip()}\n")
