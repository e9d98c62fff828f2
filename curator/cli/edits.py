"""Commands that change entries and links: set-url, apply-redirects, tag, categorize."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass


from curator.cli import format as output
from curator.cli.common import (
    DbOption,
    TableFormatOption,
    app,
    echo,
    err,
    open_engine,
    read_session,
    write_session,
)
from curator.cli.format import TableFormat


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
def tag_cmd(
    ctx: typer.Context,
    rules: RulesOption = None,
    explain_id: Annotated[
        int | None,
        typer.Option(
            "--explain",
            metavar="ID",
            help="Show why entry ID has each of its tags (rule, field, matched text); "
            "changes nothing.",
        ),
    ] = None,
    output_format: TableFormatOption = TableFormat.TABLE,
    db: DbOption = None,
) -> None:
    """(Re)apply the tagging rules to every entry; manual tags and removals are kept."""
    if ctx.invoked_subcommand is not None:
        return
    if explain_id is not None:
        from curator.curate.tagging import explain

        with read_session(open_engine(db)) as session:
            echo(output.explanation(explain(session, explain_id), output_format))
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
