"""Command-line interface: a thin typer layer over the library.

Input: argv. Output: text/JSON on stdout, `Error: …` on stderr, an `ExitCode`. Each command
parses its options and calls one library function; every command takes `--db PATH`
(default `$CURATOR_DB`, else `data/curator.db`). See `curator --help`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from curator import output
from curator.db import open_engine, read_session, write_session
from curator.errors import CuratorError, ExitCode

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
    from curator.importer import import_paths

    results = import_paths(open_engine(db), paths, as_name=as_name)
    for r in results:
        if r.unchanged:
            echo(f"{r.source}: unchanged (v{r.version}, {r.entries} entries, 0 rows written)\n")
        else:
            echo(
                f"{r.source}: v{r.version} +{r.added} -{r.removed} ~{r.changed} "
                f"({r.entries} entries, {r.links} links, {r.rows_written} rows written)\n"
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
    from curator.queries import list_entries

    with read_session(open_engine(db)) as session:
        entries = list_entries(session, source=source, category=category, tag=tag, search=search)
    if fmt == output.OutputFormat.JSON:
        echo(output.entries_json(entries))
    elif fmt == output.OutputFormat.CSV:
        echo(output.entries_csv(entries))
    else:
        out.print(output.entries_table(entries))


@app.command("stats")
def stats_cmd(fmt: FormatOption = output.OutputFormat.TABLE, db: DbOption = None) -> None:
    """Counts per source, category and link kind, and duplicate URLs."""
    from curator.queries import collect_stats

    with read_session(open_engine(db)) as session:
        stats = collect_stats(session)
    if fmt == output.OutputFormat.JSON:
        echo(output.stats_json(stats))
    else:
        for table in output.stats_tables(stats):
            out.print(table)


@app.command("dupes")
def dupes_cmd(fmt: FormatOption = output.OutputFormat.TABLE, db: DbOption = None) -> None:
    """URLs that appear in more than one entry, category or list."""
    from curator.queries import find_duplicates

    with read_session(open_engine(db)) as session:
        dupes = find_duplicates(session)
    echo(
        output.duplicates_json(dupes)
        if fmt == output.OutputFormat.JSON
        else output.duplicates_text(dupes)
    )


@app.command("set-url")
def set_url_cmd(
    old: Annotated[str, typer.Argument(help="The URL as it is now.")],
    new: Annotated[str, typer.Argument(help="The URL to put in its place.")],
    db: DbOption = None,
) -> None:
    """Replace a URL everywhere; the next export changes only those entries' lines."""
    from curator.edit import set_url

    with write_session(open_engine(db)) as session:
        result = set_url(session, old, new)
    echo(f"{result.links} links in {result.entries} entries now point to {result.new}\n")


@app.command("export")
def export_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("exports"),
    sources: Annotated[
        bool, typer.Option("--sources", help="Only the round-trip copies of the imported lists.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Regenerate README files under exports/."""
    from curator.export.sources import export_sources

    with read_session(open_engine(db)) as session:
        results = export_sources(session, out_dir)
    for r in results:
        state = "written" if r.written else "unchanged"
        echo(f"{r.path}: {state} ({r.edited_entries} edited entries)\n")


db_app = typer.Typer(help="Database maintenance (schema upgrades).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_cmd(db: DbOption = None) -> None:
    """Run pending schema migrations now (a backup copy <db>.bak-<revision> is made first)."""
    from curator.migrate import upgrade_database

    r = upgrade_database(db)
    if r.from_revision is None:
        echo(f"{r.path}: created at schema {r.to_revision}\n")
    elif not r.changed:
        echo(f"{r.path}: schema already at {r.to_revision}, nothing to do\n")
    else:
        echo(f"{r.path}: schema {r.from_revision} -> {r.to_revision} (backup: {r.backup})\n")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn errors into one line and an exit code."""
    debug = bool(os.environ.get("CURATOR_DEBUG"))
    try:
        app(args=argv)  # standalone: usage errors exit 2 with typer's own message
    except CuratorError as exc:
        err.print(f"Error: {exc.message}", markup=False, highlight=False)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        err.print("Error: interrupted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # a bug: one line, unless CURATOR_DEBUG asks for the traceback
        if debug:
            raise
        err.print(f"Error: internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(int(ExitCode.INTERNAL))


if __name__ == "__main__":
    main()
