"""`curator export`: the pages and the byte-exact sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curator.cli.common import DbOption, app, echo, err, load_config, open_engine, read_session
from curator.util.words import counted


@app.command("export")
def export_cmd(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: [export] out, else exports)."),
    ] = None,
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
    stars: Annotated[
        bool | None,
        typer.Option("--stars/--no-stars", help="Show GitHub repositories' star counts."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Publish relative links in the lists as URLs under this one, e.g. "
            "https://github.com/OWNER/REPO/blob/main/ (paths from the current directory).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Regenerate the exports: category, tag and source pages, index and CHANGES.md."""
    # Flags win over curator.toml's [export] keys, which win over the defaults.
    settings = load_config()
    out_dir = out_dir or settings.export.out or Path("exports")
    taxonomy = taxonomy or settings.export.taxonomy
    base_url = base_url or settings.export.base_url
    stars = stars if stars is not None else bool(settings.export.stars)
    if sources:
        from curator.export.sources import export_sources

        with read_session(open_engine(db, settings, must_exist=True)) as session:
            results = export_sources(session, out_dir)
        for r in results:
            state = "written" if r.written else "unchanged"
            echo(f"{r.path}: {state} ({r.edited_entries} edited entries)\n")
        return
    from curator.errors import InputError
    from curator.export.run import ExportFormat, export_all

    if fmt not in {f.value for f in ExportFormat}:
        raise InputError(f"--format must be md, json or csv, not {fmt!r}")
    result = export_all(
        open_engine(db, settings, must_exist=True),
        out_dir,
        ExportFormat(fmt),
        rules,
        taxonomy,
        base_url=base_url,
        stars=stars,
    )
    for f in result.files:
        echo(f"{f.path}: {'written' if f.written else 'unchanged'}\n")
    for path in result.removed:
        echo(f"{path}: removed (its category or tag has no entries now)\n")
    echo(
        f"{counted(result.entries, 'entry')} in {counted(result.categories, 'category')}, "
        f"{counted(result.tags, 'tag')}\n"
    )
    if result.missing:
        err.print(
            f"note: relative links to files that are not here: {result.missing}; they are"
            " shown without a link (give --base-url to link them to where they live)",
            markup=False,
            highlight=False,
        )
    if result.stale_tags:
        err.print("note: entries were imported after the last `curator tag`; run it to tag them")
