"""Commands that read and edit the imported lists: import, list, stats, dupes, diff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curator.check.types import LinkState
from curator.cli import format as output
from curator.parse.model import ShownRole
from curator.urls import LinkKind

if TYPE_CHECKING:
    pass


from curator.cli.common import DbOption, FormatOption, app, echo, open_engine, out, read_session


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
        if r.skipped:
            sys.stderr.write(f"Warning: {r.path}: skipped, {r.skipped}\n")
        elif r.unchanged:
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
    from curator.store.links import stored_links

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
