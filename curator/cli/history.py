"""`curator history URL`: one link's check results over time, as a table or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from curator.cli.common import DbOption, app, echo, err, open_engine, out, read_session
from curator.cli.format import TableFormat

if TYPE_CHECKING:
    from curator.store.history import LinkHistory


def history_json(h: LinkHistory) -> str:
    data = {
        "url": h.url,
        "state": h.state,
        "results": [
            {
                "checked_at": r.checked_at.isoformat(),
                "outcome": r.outcome,
                "status": r.status,
                "redirect_to": r.final_url,
                "title": r.title,
                "error": r.error,
            }
            for r in h.results
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def history_table(h: LinkHistory) -> Table:
    n = len(h.results)
    table = Table(title=f"{h.url}: {h.state or 'never checked'}, {n} check{'' if n == 1 else 's'}")
    for name in ("time (UTC)", "outcome", "status", "redirect to", "title"):
        table.add_column(name, overflow="fold")
    for r in h.results:
        table.add_row(
            f"{r.checked_at:%Y-%m-%d %H:%M}",
            r.outcome,
            str(r.status) if r.status is not None else (r.error or ""),
            r.final_url or "",
            r.title or "",
        )
    return table


@app.command("history")
def history_cmd(
    url: Annotated[str, typer.Argument(help="The URL as a list writes it (any spelling).")],
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TableFormat.TABLE
    ),
    db: DbOption = None,
) -> None:
    """One link's check results over time: outcome, status, redirect target, title."""
    from curator.store.history import link_history

    with read_session(open_engine(db, must_exist=True)) as session:
        h = link_history(session, url)
    if fmt is TableFormat.JSON:
        echo(history_json(h))
    else:
        out.print(history_table(h))
    if not h.results:
        err.print("note: this link has not been checked yet; run `curator check`", markup=False)
