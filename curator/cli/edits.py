"""Commands that change entries and links: set-url, apply-redirects, tag, categorize."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curator.cli import format as output
from curator.cli.common import (
    DbOption,
    TableFormatOption,
    app,
    echo,
    err,
    load_config,
    note_decisions,
    now,
    open_engine,
    read_session,
    write_session,
)
from curator.cli.format import TableFormat

if TYPE_CHECKING:
    from curator.curate.decisions import Recorded
    from curator.curate.tagging import ManualTagResult
    from curator.export.writeback import FixMode, FixOutcome
    from curator.util.config import Config


WriteOption = Annotated[
    bool,
    typer.Option("--write", help="Edit the list files in place (and the DB); logged for --undo."),
]
DbOnlyOption = Annotated[
    bool,
    typer.Option(
        "--db-only", help="Change only the DB (a later import reports the file's old URL)."
    ),
]


def _mode(write: bool, db_only: bool) -> FixMode:
    from curator.errors import InputError
    from curator.export.writeback import FixMode

    if write and db_only:
        raise InputError("--write and --db-only exclude each other")
    return FixMode.WRITE if write else FixMode.DB_ONLY if db_only else FixMode.PREVIEW


def _files_report(outcome: FixOutcome, mode: FixMode) -> None:
    from curator.export.writeback import FixMode

    for f in outcome.files:
        if mode is FixMode.PREVIEW:
            echo(f.diff)
        else:
            echo(f"wrote {f.path}\n")
    if outcome.batch is not None:
        echo(f"fix batch {outcome.batch} (undo: curator apply-redirects --undo {outcome.batch})\n")


@app.command("set-url")
def set_url_cmd(
    old: Annotated[str, typer.Argument(help="The URL as it is now.")],
    new: Annotated[str, typer.Argument(help="The URL to put in its place.")],
    write: WriteOption = False,
    db_only: DbOnlyOption = False,
    db: DbOption = None,
) -> None:
    """Replace a URL everywhere: a diff by default; --write edits the list files too."""
    from curator.export.writeback import FixMode, fix_url

    mode = _mode(write, db_only)
    with write_session(open_engine(db)) as session:
        outcome = fix_url(session, old, new, mode, now())
    r = outcome.set_url
    assert r is not None
    _files_report(outcome, mode)
    verb = "would point" if mode is FixMode.PREVIEW else "now point"
    echo(f"{r.links} links in {r.entries} entries {verb} to {r.new}\n")


@app.command("apply-redirects")
def apply_redirects_cmd(
    write: WriteOption = False,
    db_only: DbOnlyOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff; write nothing (the default).")
    ] = False,
    undo: Annotated[
        int | None, typer.Option("--undo", metavar="BATCH", help="Put back a batch of fixes.")
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="List past batches of fixes.")] = False,
    source: Annotated[str | None, typer.Option(help="Only the links of this source.")] = None,
    db: DbOption = None,
) -> None:
    """Move links that redirect permanently (301/308) to their new URL, like set-url.

    Redirects from a deep link to a home page or to a login page are never applied."""
    from curator.errors import InputError
    from curator.export.writeback import FixMode, fix_redirects, undo_batch

    if log:
        from curator.store.fixes import list_batches

        with read_session(open_engine(db)) as session:
            echo(output.fix_batches_text(list_batches(session)))
        return
    if undo is not None:
        with write_session(open_engine(db)) as session:
            u = undo_batch(session, undo, now())
        for f in u.files:
            echo(f"wrote {f.path}\n")
        echo(f"fix batch {u.batch} undone: {u.links} links put back\n")
        return
    if dry_run and (write or db_only):
        raise InputError("--dry-run excludes --write and --db-only")
    mode = _mode(write, db_only)
    with write_session(open_engine(db)) as session:
        outcome = fix_redirects(session, mode, now(), source=source)
    r = outcome.redirects
    assert r is not None
    for c in r.changes:
        echo(f"{c.old} -> {c.new} ({c.entries} entries)\n")
    for m in r.refused:
        err.print(f"refused: {m.old} -> {m.new}: {m.reason} (likely soft 404)", markup=False)
    for target in r.unusable:
        err.print(f"skipped: {target} cannot be written into a link", markup=False)
    _files_report(outcome, mode)
    verb = "would change" if mode is FixMode.PREVIEW else "changed"
    echo(
        f"{len(r.changes)} URLs {verb} in {r.entries} entries"
        f" ({r.same_url} redirects to the same URL skipped, {len(r.unusable)} unusable,"
        f" {len(r.refused)} refused as likely soft 404s)\n"
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
    from curator.curate.decisions import apply_decisions
    from curator.curate.rules import load_rules
    from curator.curate.tagging import apply_rules

    settings = load_config()
    ruleset = load_rules(rules or settings.tags.rules)
    with write_session(open_engine(db, settings)) as session:
        decided = apply_decisions(session, settings, now())
        r = apply_rules(session, ruleset)
    note_decisions(decided, settings)
    counts = ", ".join(f"{t} {n}" for t, n in r.per_tag.items()) or "none"
    echo(
        f"{r.entries} entries tagged with {r.rules}: +{r.added} -{r.removed} ~{r.updated} "
        f"rule tags ({r.manual} manual tags kept, {r.vetoed} vetoed by hand)\n"
        f"entries per tag: {counts}\n"
    )


def _noted(recorded: Recorded, settings: Config) -> None:
    if recorded.skipped:
        err.print(f"note: {recorded.skipped}, not in {settings.path}", markup=False)


EntryIdArg = Annotated[int, typer.Argument(help="Entry id (see `curator list`).")]
TagArg = Annotated[str, typer.Argument(help="Tag name, e.g. perf.")]


def _tag(entry_id: int, tag: str, db: str | None, *, veto: bool) -> ManualTagResult:
    from curator.curate.decisions import tag_entry

    settings = load_config()
    with write_session(open_engine(db, settings)) as session:
        r, recorded = tag_entry(session, settings, entry_id, tag, veto=veto)
    _noted(recorded, settings)
    return r


@tag_app.command("add")
def tag_add_cmd(entry_id: EntryIdArg, tag: TagArg, db: DbOption = None) -> None:
    """Tag an entry by hand (wins over rules, survives re-import)."""
    r = _tag(entry_id, tag, db, veto=False)
    state = "tagged" if r.changed else "already tagged"
    echo(f"{r.entry_id} {r.title}: {state} {r.tag} (manual)\n")


@tag_app.command("remove")
def tag_remove_cmd(entry_id: EntryIdArg, tag: TagArg, db: DbOption = None) -> None:
    """Remove a tag by hand; the rules will not add it back to this entry."""
    r = _tag(entry_id, tag, db, veto=True)
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
    from curator.curate.decisions import categorize_entry
    from curator.curate.taxonomy import load_taxonomy
    from curator.errors import InputError

    if (category is None) == (not clear):
        raise InputError("give a CATEGORY, or --clear to remove the override")
    settings = load_config()
    tax = load_taxonomy(taxonomy or settings.export.taxonomy)
    with write_session(open_engine(db, settings)) as session:
        r, recorded = categorize_entry(
            session, settings, tax, entry_id, None if clear else category
        )
    _noted(recorded, settings)
    if r.category is None:
        echo(f"{r.entry_id} {r.title}: override cleared, category {r.computed} (from headings)\n")
    else:
        echo(f"{r.entry_id} {r.title}: category {r.category} (headings say {r.computed})\n")


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C: open transactions roll back, temp files are removed.
    Not a KeyboardInterrupt, which typer turns into a silent exit 130."""
