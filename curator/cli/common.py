"""What every command shares: the typer app, the common options, DB sessions, echo.

Input: none. Output: `app` (the root typer app) and the option types the command modules
use. The DB layer (SQLAlchemy, SQLModel: 25 MiB and half a second) is imported only by the
commands that use it; `curator check` reaches SQLite without it (curator/store/dbapi.py).
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from curator.cli import format as output

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from curator.curate.decisions import DecisionsApplied
    from curator.util.config import Config


def load_config() -> Config:
    """`curator.toml` (or `[tool.curator]`) for the current directory, read once per
    command and handed to the library calls; an empty `Config` when there is none."""
    from curator.util.config import load_config as load

    return load()


# The DB layer (SQLAlchemy, SQLModel: 25 MiB and half a second) is imported by the commands
# that use it; `curator check` reaches SQLite without it (curator/store/dbapi.py).
def db_path(db: str | None, config: Config | None = None) -> str | None:
    """The command's own `--db`, else the one given before the command (`curator --db X
    list`), else `$CURATOR_DB`, else the file's `db` (else None: the store's default)."""
    db = db if db is not None else _root_options.get("db")
    if db is not None or os.environ.get("CURATOR_DB"):
        return db
    return (config if config is not None else load_config()).db


def open_engine(
    db: str | None, config: Config | None = None, *, must_exist: bool = False
) -> Engine:
    """`must_exist`: a read-only command, which must not create an empty database."""
    from curator.store.connect import open_engine as open_db

    return open_db(db_path(db, config), must_exist=must_exist)


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
# Options given before the command (`curator --db X list`), set by the root callback on
# every invocation (so an in-process run never sees the previous one's).
_root_options: dict[str, str | None] = {}
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def version() -> str:
    """The installed package's version (from its metadata, so it cannot drift from it)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("curator")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        echo(f"curator {version()}\n")
        raise typer.Exit(0)


# A str, not a Path: Path("postgresql://h/db") would fold the `//` of a URL into one `/`.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file or postgresql://user@host/dbname URL "
        "(default: $CURATOR_DB or data/curator.db).",
        show_default=False,
    ),
]
FormatOption = Annotated[output.OutputFormat, typer.Option("--format", "-f", help="Output format.")]
TableFormatOption = Annotated[
    output.TableFormat, typer.Option("--format", "-f", help="Output format.")
]


def note_decisions(decided: DecisionsApplied, settings: Config) -> None:
    """What mirroring curator.toml into the DB did that a maintainer should know."""
    for url in decided.unmatched:
        err.print(f"note: {url} (in {settings.path}) is in no list", markup=False)
    if decided.dropped:
        err.print(
            f"note: {decided.dropped} hand tags, vetoes or categories are no longer in"
            f" {settings.path}: dropped from the DB too",
            markup=False,
        )


def now() -> datetime:
    """The time of this command: `CURATOR_NOW` (tests, reproducible runs) or the clock."""
    from curator.util.when import parse_time

    env = os.environ.get("CURATOR_NOW")
    return parse_time(env, "CURATOR_NOW") if env else datetime.now(UTC)


def echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.callback()
def root_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLite file or postgresql:// URL for the command (default: $CURATOR_DB or"
            " data/curator.db); a command's own --db wins.",
            show_default=False,
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Keep awesome-style Markdown reading lists healthy: import, check, tag, export."""
    _root_options.clear()
    _root_options["db"] = db
