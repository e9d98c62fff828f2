"""`curator db`: schema maintenance, and copying a database between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from curator.cli.common import DbOption, app, db_path, echo

db_app = typer.Typer(help="Database maintenance (schema upgrades, copies).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_cmd(db: DbOption = None) -> None:
    """Run pending schema migrations now (a backup copy <db>.bak-<revision> is made first)."""
    from curator.store.connect import upgrade_database

    r = upgrade_database(db_path(db))
    if r.from_revision is None:
        echo(f"{r.path}: created at schema {r.to_revision}\n")
    elif not r.changed:
        echo(f"{r.path}: schema already at {r.to_revision}, nothing to do\n")
    elif r.backup is None:  # PostgreSQL: one transaction, backups are the server's (pg_dump)
        echo(f"{r.path}: schema {r.from_revision} -> {r.to_revision}\n")
    else:
        echo(f"{r.path}: schema {r.from_revision} -> {r.to_revision} (backup: {r.backup})\n")


@db_app.command("copy")
def db_copy_cmd(
    src: Annotated[str, typer.Argument(help="Source: SQLite file or postgresql:// URL.")],
    dst: Annotated[str, typer.Argument(help="Destination: a new or empty database.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty a non-empty destination first.")
    ] = False,
) -> None:
    """Copy a whole database, history included, between SQLite and PostgreSQL."""
    from curator.cli.format import copy_text
    from curator.store.copy import copy_database

    echo(copy_text(copy_database(src, dst, replace=replace)))
