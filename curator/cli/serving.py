"""Command of the triage page: serve."""

from __future__ import annotations

from typing import Annotated

import typer

from curator.cli.common import DbOption, app, db_path, err, load_config


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="CURATOR_SERVE_TOKEN",
            help="Access token every request must carry (cookie, X-Curator-Token, ?token=).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """A local web page to triage broken, flaky, suspect, soft-404 and moved links."""
    from curator.serve.app import serve
    from curator.store.dbapi import resolve_db

    def ready(url: str) -> None:
        err.print(f"serving {url} (Ctrl-C stops)", markup=False, highlight=False)

    settings = load_config()
    serve(
        resolve_db(db_path(db, settings)),
        host=host,
        port=port,
        token=token,
        on_ready=ready,
        config=settings,
    )
