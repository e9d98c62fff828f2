"""Commands that read and edit the imported lists: import, list, stats, dupes, diff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from curator.check.types import LinkState
from curator.cli import format as output
from curator.cli.common import (
    DbOption,
    FormatOption,
    TableFormatOption,
    app,
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
from curator.parse.model import ShownRole
from curator.urls import LinkKind
from curator.util.words import counted


@app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Markdown files or directories (default: `lists` in curator.toml)."),
    ] = None,
    as_name: Annotated[
        str | None, typer.Option("--as", help="Import FILE as a new version of the source NAME.")
    ] = None,
    theirs: Annotated[
        bool,
        typer.Option(
            "--theirs", help="Where the file and a DB-only fix disagree, take the file's URL."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Parse lists into the database (re-import shows +added -removed ~changed)."""
    from curator.curate.decisions import apply_decisions
    from curator.ingest.importer import import_paths
    from curator.util.config import list_paths

    settings = load_config()
    files = paths or list_paths(settings)  # before the DB is created: a usage error writes nothing
    engine = open_engine(db, settings)
    results = import_paths(engine, files, as_name=as_name, theirs=theirs)
    if settings.in_use:  # the file's decisions reach entries that were just imported
        with write_session(engine) as session:
            decided = apply_decisions(session, settings, now())
        note_decisions(decided, settings)
    for r in results:
        if r.skipped:
            sys.stderr.write(f"Warning: {r.path}: skipped, {r.skipped}\n")
            continue
        for c in r.conflicts:
            kept = (
                "took the file's (--theirs)"
                if r.theirs
                else "kept the DB's; `curator import --theirs` takes the file's"
            )
            err.print(
                f"conflict: {r.path}:{c.line} has {c.file_url}, the DB has {c.db_url} ({kept})",
                markup=False,
                highlight=False,
            )
        if r.unchanged:
            echo(
                f"{r.source}: unchanged (v{r.version}, {counted(r.entries, 'entry')}, "
                "0 rows written)\n"
            )
        else:
            listed = f"; `curator diff {r.source}` lists them" if r.version > 1 else ""
            echo(
                f"{r.source}: v{r.version} +{r.added} -{r.removed} ~{r.changed} "
                f"({counted(r.entries, 'entry')}, {counted(r.links, 'link')}, "
                f"{counted(r.rows_written, 'row')} written{listed})\n"
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

    with read_session(open_engine(db, must_exist=True)) as session:
        entries = list_entries(session, source=source, category=category, tag=tag, search=search)
    if fmt == output.OutputFormat.JSON:
        echo(output.entries_json(entries))
    elif fmt == output.OutputFormat.CSV:
        echo(output.entries_csv(entries))
    else:
        out.print(output.entries_table(entries))


@app.command("stats")
def stats_cmd(
    fmt: TableFormatOption = output.TableFormat.TABLE,
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
    with read_session(open_engine(db, must_exist=True)) as session:
        stats = collect_stats(session)
        report = taxonomy_report(session, tax)
    if fmt is output.TableFormat.JSON:
        echo(output.stats_json(stats, report))
    else:
        for table in [*output.stats_tables(stats), *output.taxonomy_tables(report)]:
            out.print(table)


@app.command("links")
def links_cmd(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    kind: Annotated[LinkKind | None, typer.Option(help="Only links of this kind.")] = None,
    role: Annotated[
        ShownRole | None,
        typer.Option(help="entry (main link), sub, badge, prose or toc links only."),
    ] = None,
    state: Annotated[
        LinkState | None, typer.Option(help="Only links whose URL is in this state.")
    ] = None,
    fmt: FormatOption = output.OutputFormat.TABLE,
    db: DbOption = None,
) -> None:
    """Every stored link with its file:line: entries', and those of ToCs, prose, badges."""
    from curator.store.linklist import stored_links

    with read_session(open_engine(db)) as session:
        links = stored_links(session, source=source, kind=kind, role=role, state=state)
    if fmt == output.OutputFormat.JSON:
        echo(output.links_json(links))
    elif fmt == output.OutputFormat.CSV:
        echo(output.links_csv(links))
    else:
        out.print(output.links_table(links))


@app.command("dupes")
def dupes_cmd(fmt: FormatOption = output.OutputFormat.TABLE, db: DbOption = None) -> None:
    """URLs that appear in more than one entry, category or list."""
    from curator.store.queries import find_duplicates

    with read_session(open_engine(db, must_exist=True)) as session:
        dupes = find_duplicates(session)
    render = {
        output.OutputFormat.JSON: output.duplicates_json,
        output.OutputFormat.CSV: output.duplicates_csv,
    }.get(fmt, output.duplicates_text)
    echo(render(dupes))


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

    with read_session(open_engine(db, must_exist=True)) as session:
        diff = version_diff(session, source, old, new)
    render = {
        output.OutputFormat.JSON: output.version_diff_json,
        output.OutputFormat.CSV: output.version_diff_csv,
    }.get(fmt, output.version_diff_text)
    echo(render(diff))
