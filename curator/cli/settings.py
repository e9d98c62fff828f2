"""`curator config show`: the merged settings and where each one came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curator.cli.common import DbOption, app, echo, load_config

config_app = typer.Typer(
    help="The settings in curator.toml (or [tool.curator] in pyproject.toml).",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show_cmd(
    db: DbOption = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="As `curator tag`.")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="As `curator categorize`.")
    ] = None,
) -> None:
    """Print every setting in effect: flag > env (CURATOR_DB) > file > default."""
    from curator.cli.format import settings_text
    from curator.util.config import merged_settings

    settings = load_config()
    flags = {"db": db, "tags.rules": rules, "export.taxonomy": taxonomy}
    echo(settings_text(settings.path, merged_settings(settings, flags)))
