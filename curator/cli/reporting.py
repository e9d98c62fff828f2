"""The link-rot report and its GitHub issue: report, ci sync-issue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curator.check.summary import FailOn
from curator.cli.checking import NOT_CHECKED
from curator.cli.common import DbOption, app, echo, err, open_engine
from curator.report.model import RotFormat
from curator.report.model import Scope as RotScope


@app.command("report")
def report_cmd(
    fmt: Annotated[
        RotFormat,
        typer.Option("--format", "-f", help="markdown (fits a GitHub issue) or json (all rows)."),
    ] = RotFormat.MARKDOWN,
    since: Annotated[
        str, typer.Option(help="Compare with `last-run` (the run before the latest) or a date.")
    ] = "last-run",
    scope: Annotated[
        RotScope,
        typer.Option(help="all: every link in the lists; run: only links the latest run checked."),
    ] = RotScope.ALL,
    fail_on: Annotated[
        FailOn, typer.Option(help="What sets the `exit-code` output to 1 and makes ::error.")
    ] = FailOn.CONFIRMED,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    github: Annotated[
        bool | None,
        typer.Option(
            "--github/--no-github",
            help="Step summary, annotations, outputs (default: when GITHUB_ACTIONS=true).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Link rot since the last run: newly/still broken, recovered, moved (fits an issue)."""
    from curator.report.actions import make_report

    run = make_report(
        open_engine(db, must_exist=True),
        fmt=fmt,
        since=since,
        scope=scope,
        fail_on=fail_on,
        output=output_file,
        ci=github,
    )
    for line in run.commands:
        echo(line + "\n")
    if run.report.run is None:  # the report of nothing would read as "no rot"
        err.print(NOT_CHECKED, markup=False, highlight=False)
    if output_file is None:
        echo(run.text)
    else:
        err.print(
            f"report written to {output_file}: {run.report.broken} confirmed broken",
            markup=False,
            highlight=False,
        )


ci_app = typer.Typer(
    help="CI helpers: the self-updating GitHub link-rot issue.", no_args_is_help=True
)
app.add_typer(ci_app, name="ci")


@ci_app.command("sync-issue")
def ci_sync_issue_cmd(
    repo: Annotated[
        str,
        typer.Option(envvar="GITHUB_REPOSITORY", help="OWNER/NAME (default: $GITHUB_REPOSITORY)."),
    ],
    label: Annotated[str, typer.Option(help="Label that marks the tracking issue.")] = "link-rot",
    title: Annotated[str, typer.Option(help="Title of a new tracking issue.")] = "Link rot report",
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="A `curator report` file (JSON/Markdown); default: the DB."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Open, update or close the one link-rot issue (token from $GITHUB_TOKEN)."""
    from curator.report.actions import sync_tracking_issue

    result = sync_tracking_issue(
        open_engine(db, must_exist=True) if report_file is None else None,
        repo=repo,
        label=label,
        title=title,
        report_file=report_file,
    )
    where = f" {result.url}" if result.url else ""
    echo(f"{result.action.value}: {result.message}{where}\n")
