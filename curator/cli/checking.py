"""Commands of the link check: check, merge (sharded checks), status, exclude."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from curator.check.summary import CheckSummary, FailOn
from curator.check.types import ArchiveLookup, LinkState
from curator.cli.checkformat import CheckFormat
from curator.cli.common import (
    DbOption,
    app,
    db_path,
    echo,
    err,
    load_config,
    note_decisions,
    now,
    open_engine,
    out,
    read_session,
    write_session,
)
from curator.cli.format import TableFormat, merge_text

if TYPE_CHECKING:
    from curator.util.config import Config

T = TypeVar("T")
NOT_CHECKED = "note: no link has been checked yet; run `curator check` first"


def _emit_check(
    summary: CheckSummary, fmt: CheckFormat, output_file: Path | None, interactive: bool
) -> None:
    from curator.cli import checkformat as report
    from curator.util.fsutil import atomic_writer

    # JSON and JUnit are written as the results are read back, never held whole.
    if output_file is not None:
        with atomic_writer(output_file) as fh:
            report.write(summary, fmt, fh)
        err.print(f"report written to {output_file}", markup=False, highlight=False)
    if output_file is None and fmt is not CheckFormat.TEXT:
        report.write(summary, fmt, sys.stdout)
        sys.stdout.flush()
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
        int | None,
        typer.Option(min=1, help="Requests in flight at once, over all hosts [default: 128]."),
    ] = None,
    per_host: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight per host [default: 10].")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds for connect and for each read [default: 10]."),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(min=0, help="Retries after timeouts, resets, 5xx, 408, 429 [default: 2]."),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option(
            help="Skip URLs checked OK more recently (30m, 12h, 1d, 7d; 0: none) [default: 1d]."
        ),
    ] = None,
    only_new: Annotated[bool, typer.Option(help="Check only URLs never checked before.")] = False,
    budget: Annotated[
        int | None, typer.Option(min=0, help="Check at most N URLs, the oldest-checked first.")
    ] = None,
    allow_private: Annotated[
        bool, typer.Option(help="Allow loopback/private addresses (local test servers).")
    ] = False,
    confirm_runs: Annotated[
        int | None,
        typer.Option(
            min=1, help="`gone` in this many checks before a link is broken [default: 2]."
        ),
    ] = None,
    confirm_days: Annotated[
        float | None,
        typer.Option(
            min=0, help="...and the first of them at least this many days ago [default: 2]."
        ),
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 on: confirmed broken links, any gone, or never.")
    ] = FailOn.CONFIRMED,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Report format.")] = (
        CheckFormat.TEXT
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
    user_agent: Annotated[
        str | None,
        typer.Option("--user-agent", help="User-Agent header to send (default: curator's own)."),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            metavar="'HOST: Name: value'",
            help="Send this header to HOST only (repeat for more).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(envvar="CURATOR_NOW", hidden=True, help="Pretend it is this ISO time."),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="I/N", help="Check only shard I of N (split by host; CI matrix jobs)."
        ),
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Id the shards of one run share (default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT).",
        ),
    ] = None,
    results_out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Also write the results to FILE (for `curator merge`)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check web links that are due; record results and each URL's state.

    With $GITHUB_TOKEN (or $GH_TOKEN), github.com repository links are checked through the
    GraphQL API (archived, renamed, gone), up to 100 repositories a request."""
    from curator.check.headers import merge_headers, parse_headers
    from curator.check.headers import user_agent as agent
    from curator.check.http.ghauth import api_from_env
    from curator.check.runner import CheckOptions, run_check
    from curator.check.sharding import default_run_key, parse_shard
    from curator.check.summary import CheckInterrupted
    from curator.check.types import CheckConfig
    from curator.cli.progress import is_interactive, make_progress
    from curator.store.dbapi import resolve_db
    from curator.util.config import CHECK_DEFAULTS
    from curator.util.when import parse_duration, parse_time

    settings = load_config()
    # Flags override the file, the file overrides the defaults; `allow_private` is never
    # read from the file (the loader refuses a file that says it).
    file, dflt = settings.check, CHECK_DEFAULTS
    concurrency = _pick(concurrency, file.concurrency, dflt["concurrency"])
    per_host = _pick(per_host, file.per_host, dflt["per_host"])
    timeout = _pick(timeout, file.timeout, dflt["timeout"])
    retries = _pick(retries, file.retries, dflt["retries"])
    max_age = _pick(max_age, file.max_age, dflt["max_age"])
    confirm_runs = _pick(confirm_runs, file.confirm_runs, dflt["confirm_runs"])
    confirm_days = _pick(confirm_days, file.confirm_days, dflt["confirm_days"])
    if settings.in_use:
        _apply_file_decisions(db, settings)
    config = CheckConfig(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        allow_private=allow_private,
        user_agent=(
            agent(user_agent)
            if user_agent is not None
            else settings.check.user_agent or CHECK_DEFAULTS["user_agent"]
        ),
        headers=merge_headers(settings.check.headers, parse_headers(header or ())),
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
        shard=parse_shard(shard) if shard is not None else None,
        run_key=(run_id or "").strip() or default_run_key(os.environ),
        results_out=results_out,
    )
    interactive = is_interactive()
    try:
        summary = run_check(
            resolve_db(db_path(db, settings)),
            options,
            progress=make_progress(err, interactive),
        )
    except CheckInterrupted as exc:
        _emit_check(exc.summary, fmt, output_file, interactive)
        raise
    _emit_check(summary, fmt, output_file, interactive)
    if summary.refused_private and not allow_private:
        err.print(
            f"hint: {summary.refused_private} URL"
            f"{'' if summary.refused_private == 1 else 's'} refused as local or private "
            "addresses (loopback, 10.x, 192.168.x, ...); add --allow-private if this list "
            "is meant to link to a local or intranet site",
            markup=False,
            highlight=False,
        )
    if summary.exit_code:
        raise typer.Exit(int(summary.exit_code))


def _pick(flag: T | None, file: T | None, default: T) -> T:
    return flag if flag is not None else file if file is not None else default


def _apply_file_decisions(db: str | None, settings: Config) -> None:
    """The file is the source of truth for exclusions (and tags, categories): mirror it."""
    from curator.curate.decisions import apply_decisions

    with write_session(open_engine(db, settings)) as session:
        r = apply_decisions(session, settings, now())
    note_decisions(r, settings)


@app.command("merge")
def merge_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Results files written by `check --results-out`.")
    ],
    db: DbOption = None,
) -> None:
    """Fold the results files of sharded checks into the DB (one transaction; idempotent)."""
    from curator.check.merge import merge_results
    from curator.store.dbapi import resolve_db

    summary = merge_results(resolve_db(db_path(db)), files)
    echo(merge_text(summary))


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
    from curator.check.store import load_status
    from curator.cli import checkformat as report
    from curator.store.history import has_checked

    if repos:
        _status_repos(stale_after, fmt, db)
        return
    states = set(state or ()) | ({LinkState.BROKEN} if broken else set())
    with read_session(open_engine(db, must_exist=True)) as session:
        rows = load_status(session, states or None, source=source)
        never = not rows and not has_checked(session)
    if fmt is TableFormat.JSON:
        echo(report.status_json(rows))
    elif not never:
        out.print(report.status_table(rows))
    if never:  # an empty table would read as "all fine"
        err.print(NOT_CHECKED, markup=False, highlight=False)


def _status_repos(stale_after: str, fmt: TableFormat, db: str | None) -> None:
    from curator.cli.format import repos_json, repos_table
    from curator.store.repofacts import load_repos
    from curator.util.when import parse_duration

    limit = parse_duration(stale_after)
    with read_session(open_engine(db, must_exist=True)) as session:
        rows = [r for r in load_repos(session, now(), limit) if r.notable]
    if fmt is TableFormat.JSON:
        echo(repos_json(rows))
    else:
        out.print(repos_table(rows))


exclude_app = typer.Typer(
    help="Exclude URLs from checks: glob patterns, or `re:REGEX`.", no_args_is_help=True
)
app.add_typer(exclude_app, name="exclude")


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
    from curator.curate.decisions import exclude_links
    from curator.util.when import parse_time

    until = parse_time(expires, "--expires") if expires else None
    settings = load_config()
    with write_session(open_engine(db, settings)) as session:
        created, _ = exclude_links(session, settings, pattern, reason, until, now())
    where = f" (and in {settings.path})" if settings.in_use else ""
    echo(f"{'added' if created else 'updated'} exclusion {pattern.strip()}{where}\n")


@exclude_app.command("list")
def exclude_list_cmd(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TableFormat.TABLE
    ),
    db: DbOption = None,
) -> None:
    """List exclusions (expired ones are shown but no longer apply)."""
    from curator.check.exclusions import list_exclusions
    from curator.cli import checkformat as report

    with read_session(open_engine(db, must_exist=True)) as session:
        rows = list_exclusions(session, now())
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
    from curator.util.config import drop_exclusion, edit_config

    settings = load_config()
    with write_session(open_engine(db, settings)) as session:
        remove_exclusion(session, pattern)
        if settings.in_use:
            edit_config(settings, lambda table: drop_exclusion(table, pattern.strip()))
    echo(f"removed exclusion {pattern.strip()}\n")
