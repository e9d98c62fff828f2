"""Command-line interface: a thin typer layer over the library.

Input: argv. Output: text/JSON on stdout, `Error: …` on stderr, an `ExitCode`. Each command
parses its options and calls one library function; every command takes `--db PATH`
(default `$CURATOR_DB`, else `data/curator.db`). See `curator --help`.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from curator.check.summary import CheckSummary, FailOn, ReportFormat, TableFormat
from curator.check.types import LinkState
from curator.cli import format as output
from curator.errors import CuratorError, ExitCode
from curator.report.model import ReportFormat as RotFormat
from curator.report.model import Scope as RotScope

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session


# The DB layer (SQLAlchemy, SQLModel: 25 MiB and half a second) is imported by the commands
# that use it; `curator check` reaches SQLite without it (curator/store/dbapi.py).
def open_engine(db: Path | None) -> Engine:
    from curator.store.connect import open_engine as open_db

    return open_db(db)


def read_session(engine: Engine) -> AbstractContextManager[Session]:
    from curator.store.connect import read_session as read

    return read(engine)


def write_session(engine: Engine) -> AbstractContextManager[Session]:
    from curator.store.connect import write_session as write

    return write(engine)


app = typer.Typer(
    help="Keep awesome-style Markdown reading lists healthy: import, check, tag, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database (default: $CURATOR_DB or data/curator.db).",
        show_default=False,
    ),
]
FormatOption = Annotated[output.OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Markdown files or directories.")],
    as_name: Annotated[
        str | None, typer.Option("--as", help="Import FILE as a new version of the source NAME.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Parse lists into the database (re-import shows +added -removed ~changed)."""
    from curator.ingest.importer import import_paths

    results = import_paths(open_engine(db), paths, as_name=as_name)
    for r in results:
        if r.unchanged:
            echo(f"{r.source}: unchanged (v{r.version}, {r.entries} entries, 0 rows written)\n")
        else:
            listed = f"; `curator diff {r.source}` lists them" if r.version > 1 else ""
            echo(
                f"{r.source}: v{r.version} +{r.added} -{r.removed} ~{r.changed} "
                f"({r.entries} entries, {r.links} links, {r.rows_written} rows written{listed})\n"
            )


@app.command("list")
def list_cmd(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    category: Annotated[str | None, typer.Option(help="Category path contains TEXT.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only entries with this tag.")] = None,
    search: Annotated[str | None, typer.Option(help="Title/description/URL contains.")] = None,
    fmt: FormatOption = output.OutputFormat.TABLE,
    db: DbOption = None,
) -> None:
    """List entries with their category, links and tags."""
    from curator.store.queries import list_entries

    with read_session(open_engine(db)) as session:
        entries = list_entries(session, source=source, category=category, tag=tag, search=search)
    if fmt == output.OutputFormat.JSON:
        echo(output.entries_json(entries))
    elif fmt == output.OutputFormat.CSV:
        echo(output.entries_csv(entries))
    else:
        out.print(output.entries_table(entries))


@app.command("stats")
def stats_cmd(
    fmt: FormatOption = output.OutputFormat.TABLE,
    taxonomy: Annotated[
        Path | None,
        typer.Option(help="Taxonomy file (default: data/taxonomy.toml, else the bundled one)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Counts per source, category and link kind, duplicate URLs, and the taxonomy mapping."""
    from curator.curate.taxonomy import load_taxonomy, taxonomy_report
    from curator.store.queries import collect_stats

    tax = load_taxonomy(taxonomy)
    with read_session(open_engine(db)) as session:
        stats = collect_stats(session)
        report = taxonomy_report(session, tax)
    if fmt == output.OutputFormat.JSON:
        echo(output.stats_json(stats, report))
    else:
        for table in [*output.stats_tables(stats), *output.taxonomy_tables(report)]:
            out.print(table)


@app.command("dupes")
def dupes_cmd(fmt: FormatOption = output.OutputFormat.TABLE, db: DbOption = None) -> None:
    """URLs that appear in more than one entry, category or list."""
    from curator.store.queries import find_duplicates

    with read_session(open_engine(db)) as session:
        dupes = find_duplicates(session)
    echo(
        output.duplicates_json(dupes)
        if fmt == output.OutputFormat.JSON
        else output.duplicates_text(dupes)
    )


@app.command("diff")
def diff_cmd(
    source: Annotated[str, typer.Argument(help="Source name (see `curator stats`).")],
    old: Annotated[
        int | None, typer.Option("--from", help="Old version number (default: the one before).")
    ] = None,
    new: Annotated[
        int | None, typer.Option("--to", help="New version number (default: the current one).")
    ] = None,
    fmt: FormatOption = output.OutputFormat.TABLE,
    db: DbOption = None,
) -> None:
    """Entries added, removed and changed between two imported versions of a list."""
    from curator.ingest.versions import version_diff

    with read_session(open_engine(db)) as session:
        diff = version_diff(session, source, old, new)
    echo(
        output.version_diff_json(diff)
        if fmt == output.OutputFormat.JSON
        else output.version_diff_text(diff)
    )


@app.command("set-url")
def set_url_cmd(
    old: Annotated[str, typer.Argument(help="The URL as it is now.")],
    new: Annotated[str, typer.Argument(help="The URL to put in its place.")],
    db: DbOption = None,
) -> None:
    """Replace a URL everywhere; the next export changes only those entries' lines."""
    from curator.curate.edits import set_url

    with write_session(open_engine(db)) as session:
        result = set_url(session, old, new)
    echo(f"{result.links} links in {result.entries} entries now point to {result.new}\n")


@app.command("apply-redirects")
def apply_redirects_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    source: Annotated[str | None, typer.Option(help="Only the links of this source.")] = None,
    db: DbOption = None,
) -> None:
    """Move links that redirect permanently (301/308) to their new URL, like set-url."""
    from curator.curate.edits import apply_redirects

    session_of = read_session if dry_run else write_session
    with session_of(open_engine(db)) as session:
        r = apply_redirects(session, source=source, dry_run=dry_run)
    for c in r.changes:
        echo(f"{c.old} -> {c.new} ({c.entries} entries)\n")
    for target in r.unusable:
        err.print(f"skipped: {target} cannot be written into a link", markup=False)
    verb = "would change" if r.dry_run else "changed"
    echo(
        f"{len(r.changes)} URLs {verb} in {r.entries} entries"
        f" ({r.same_url} redirects to the same URL skipped, {len(r.unusable)} unusable)\n"
    )


@app.command("export")
def export_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("exports"),
    sources: Annotated[
        bool, typer.Option("--sources", help="Only the round-trip copies of the imported lists.")
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="md: README.md, <category>.md, tags/, sources/, CHANGES.md; "
            "json: curator.json with everything; csv: curator.csv, one row per entry.",
        ),
    ] = "md",
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Tag rules file, for the tag legend.")
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="Taxonomy file (canonical categories).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Regenerate the exports: category, tag and source pages, index and CHANGES.md."""
    if sources:
        from curator.export.sources import export_sources

        with read_session(open_engine(db)) as session:
            results = export_sources(session, out_dir)
        for r in results:
            state = "written" if r.written else "unchanged"
            echo(f"{r.path}: {state} ({r.edited_entries} edited entries)\n")
        return
    from curator.errors import InputError
    from curator.export.run import ExportFormat, export_all

    if fmt not in {f.value for f in ExportFormat}:
        raise InputError(f"--format must be md, json or csv, not {fmt!r}")
    result = export_all(open_engine(db), out_dir, ExportFormat(fmt), rules, taxonomy)
    for f in result.files:
        echo(f"{f.path}: {'written' if f.written else 'unchanged'}\n")
    for path in result.removed:
        echo(f"{path}: removed (its category or tag has no entries now)\n")
    echo(f"{result.entries} entries in {result.categories} categories, {result.tags} tags\n")
    if result.stale_tags:
        err.print("note: entries were imported after the last `curator tag`; run it to tag them")


db_app = typer.Typer(help="Database maintenance (schema upgrades).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_cmd(db: DbOption = None) -> None:
    """Run pending schema migrations now (a backup copy <db>.bak-<revision> is made first)."""
    from curator.store.migrate import upgrade_database

    r = upgrade_database(db)
    if r.from_revision is None:
        echo(f"{r.path}: created at schema {r.to_revision}\n")
    elif not r.changed:
        echo(f"{r.path}: schema already at {r.to_revision}, nothing to do\n")
    else:
        echo(f"{r.path}: schema {r.from_revision} -> {r.to_revision} (backup: {r.backup})\n")


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
    now: Annotated[
        str | None,
        typer.Option(envvar="CURATOR_NOW", hidden=True, help="Pretend it is this ISO time."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check web links that are due; record results and each URL's state."""
    from curator.check.runner import CheckOptions, parse_duration, parse_time, run_check
    from curator.check.summary import CheckInterrupted
    from curator.check.types import CheckConfig
    from curator.cli.progress import is_interactive, make_progress
    from curator.store.dbapi import resolve_db_path

    token = os.environ.get("GITHUB_TOKEN", "").strip()
    config = CheckConfig(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        allow_private=allow_private,
        tokens={"github.com": token, "api.github.com": token} if token else {},
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
    db: DbOption = None,
) -> None:
    """What is broken, flaky or suspect, since when, and where (file:line)."""
    from curator.check import summary as report
    from curator.check.store import load_status

    states = set(state or ()) | ({LinkState.BROKEN} if broken else set())
    with read_session(open_engine(db)) as session:
        rows = load_status(session, states or None, source=source)
    if fmt is TableFormat.JSON:
        echo(report.status_json(rows))
    else:
        out.print(report.status_table(rows))


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


@app.command("report")
def report_cmd(
    fmt: Annotated[
        RotFormat,
        typer.Option("--format", "-f", help="markdown (fits a GitHub issue) or json (all rows)."),
    ] = RotFormat.MARKDOWN,
    since: Annotated[
        str, typer.Option(help="Compare with `last-run` (the run before the latest) or a date.")
    ] = "last-run",
    scope: Annotated[
        RotScope,
        typer.Option(help="all: every link in the lists; run: only links the latest run checked."),
    ] = RotScope.ALL,
    fail_on: Annotated[
        FailOn, typer.Option(help="What sets the `exit-code` output to 1 and makes ::error.")
    ] = FailOn.CONFIRMED,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    github: Annotated[
        bool | None,
        typer.Option(
            "--github/--no-github",
            help="Step summary, annotations, outputs (default: when GITHUB_ACTIONS=true).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Link rot since the last run: newly/still broken, recovered, moved (fits an issue)."""
    from curator.report.actions import make_report

    run = make_report(
        open_engine(db),
        fmt=fmt,
        since=since,
        scope=scope,
        fail_on=fail_on,
        output=output_file,
        ci=github,
    )
    for line in run.commands:
        echo(line + "\n")
    if output_file is None:
        echo(run.text)
    else:
        err.print(
            f"report written to {output_file}: {run.report.broken} confirmed broken",
            markup=False,
            highlight=False,
        )


ci_app = typer.Typer(
    help="CI helpers: the self-updating GitHub link-rot issue.", no_args_is_help=True
)
app.add_typer(ci_app, name="ci")


@ci_app.command("sync-issue")
def ci_sync_issue_cmd(
    repo: Annotated[
        str,
        typer.Option(envvar="GITHUB_REPOSITORY", help="OWNER/NAME (default: $GITHUB_REPOSITORY)."),
    ],
    label: Annotated[str, typer.Option(help="Label that marks the tracking issue.")] = "link-rot",
    title: Annotated[str, typer.Option(help="Title of a new tracking issue.")] = "Link rot report",
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="A `curator report` file (JSON/Markdown); default: the DB."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Open, update or close the one link-rot issue (token from $GITHUB_TOKEN)."""
    from curator.report.actions import sync_tracking_issue

    result = sync_tracking_issue(
        open_engine(db) if report_file is None else None,
        repo=repo,
        label=label,
        title=title,
        report_file=report_file,
    )
    where = f" {result.url}" if result.url else ""
    echo(f"{result.action.value}: {result.message}{where}\n")


tag_app = typer.Typer(
    help="Tag entries: `curator tag` re-applies the rules; `tag add`/`tag remove` by hand.",
    invoke_without_command=True,
)
app.add_typer(tag_app, name="tag")
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Tag rules (TOML; default: data/tags.toml, else bundled)."),
]


@tag_app.callback()
def tag_cmd(ctx: typer.Context, rules: RulesOption = None, db: DbOption = None) -> None:
    """(Re)apply the tagging rules to every entry; manual tags and removals are kept."""
    if ctx.invoked_subcommand is not None:
        return
    from curator.curate.rules import load_rules
    from curator.curate.tagging import apply_rules

    ruleset = load_rules(rules)
    with write_session(open_engine(db)) as session:
        r = apply_rules(session, ruleset)
    counts = ", ".join(f"{t} {n}" for t, n in r.per_tag.items()) or "none"
    echo(
        f"{r.entries} entries tagged with {r.rules}: +{r.added} -{r.removed} ~{r.updated} "
        f"rule tags ({r.manual} manual tags kept, {r.vetoed} vetoed by hand)\n"
        f"entries per tag: {counts}\n"
    )


EntryIdArg = Annotated[int, typer.Argument(help="Entry id (see `curator list`).")]
TagArg = Annotated[str, typer.Argument(help="Tag name, e.g. perf.")]


@tag_app.command("add")
def tag_add_cmd(entry_id: EntryIdArg, tag: TagArg, db: DbOption = None) -> None:
    """Tag an entry by hand (wins over rules, survives re-import)."""
    from curator.curate.tagging import add_manual

    with write_session(open_engine(db)) as session:
        r = add_manual(session, entry_id, tag)
    state = "tagged" if r.changed else "already tagged"
    echo(f"{r.entry_id} {r.title}: {state} {r.tag} (manual)\n")


@tag_app.command("remove")
def tag_remove_cmd(entry_id: EntryIdArg, tag: TagArg, db: DbOption = None) -> None:
    """Remove a tag by hand; the rules will not add it back to this entry."""
    from curator.curate.tagging import remove_manual

    with write_session(open_engine(db)) as session:
        r = remove_manual(session, entry_id, tag)
    state = "removed" if r.changed else "already removed"
    echo(f"{r.entry_id} {r.title}: {state} {r.tag} (rules will not re-add it)\n")


@app.command("categorize")
def categorize_cmd(
    entry_id: EntryIdArg,
    category: Annotated[
        str | None, typer.Argument(help="Canonical category (see `curator stats`).")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Drop the override: back to the headings' category.")
    ] = False,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="Taxonomy file (canonical categories).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Put one entry in a canonical category, whatever its headings say."""
    from curator.curate.taxonomy import categorize, load_taxonomy
    from curator.errors import InputError

    if (category is None) == (not clear):
        raise InputError("give a CATEGORY, or --clear to remove the override")
    tax = load_taxonomy(taxonomy)
    with write_session(open_engine(db)) as session:
        r = categorize(session, tax, entry_id, None if clear else category)
    if r.category is None:
        echo(f"{r.entry_id} {r.title}: override cleared, category {r.computed} (from headings)\n")
    else:
        echo(f"{r.entry_id} {r.title}: category {r.category} (headings say {r.computed})\n")


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C: open transactions roll back, temp files are removed.
    Not a KeyboardInterrupt, which typer turns into a silent exit 130."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn errors into one line and an exit code."""
    import signal
    import threading

    try:  # typer >= 0.2x vendors click; older releases use the click package
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover
        import click.exceptions as click_exc  # type: ignore[no-redef]

    debug = bool(os.environ.get("CURATOR_DEBUG"))
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    code = int(ExitCode.OK)
    try:
        # Not standalone: click's usage errors come here instead of its multi-line box, and
        # `--help`, `typer.Exit(n)` and `ctx.exit(n)` come back as their exit code.
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            code = rv
    except click_exc.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `no_args_is_help`: help, exit 2
            if exc.format_message().strip():  # plain click; rich printed it already
                exc.show()
            sys.exit(int(ExitCode.USAGE))
        message = " ".join(exc.format_message().split())
        err.print(f"Error: {message}", markup=False, highlight=False)
        usage = isinstance(exc, click_exc.UsageError)
        sys.exit(int(ExitCode.USAGE) if usage else exc.exit_code)
    except typer.Abort:  # EOF at a prompt, or an explicit typer.Abort()
        err.print("Error: aborted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except CuratorError as exc:
        err.print(f"Error: {exc.message}", markup=False, highlight=False)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        err.print("Error: interrupted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except _Terminated:
        err.print("Error: terminated", markup=False)
        sys.exit(int(ExitCode.TERMINATED))
    except Exception as exc:  # a bug: one line, unless CURATOR_DEBUG asks for the traceback
        if debug:
            raise
        err.print(f"Error: internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(int(ExitCode.INTERNAL))
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    sys.exit(code)


if __name__ == "__main__":
    main()
