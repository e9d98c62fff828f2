"""`curator db`: schema maintenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    pass


from curator.cli.common import DbOption, app, db_path, echo

db_app = typer.Typer(help="Database maintenance (schema upgrades).", no_args_is_help=True)
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
    else:
        echo(f"{r.path}: schema {r.from_revision} -> {r.to_revision} (backup: {r.backup})\n")
