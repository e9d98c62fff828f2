"""Command-line interface: a thin typer layer over the library.

Input: argv. Output: text/JSON on stdout, `Error: …` on stderr, an `ExitCode`. Each command
parses its options and calls one library function; every command takes `--db PATH`
(default `$CURATOR_DB`, else `data/curator.db`). The commands live in one module per area
(lists, edits, checking, reporting, exporting, database); this module gathers them and
turns errors into one line and an exit code.
"""

from __future__ import annotations

import os
import sys

import typer

from curator.cli import (  # noqa: F401
    checking,
    database,
    edits,
    exporting,
    history,
    lists,
    reporting,
    serving,
)
from curator.cli.common import app, err
from curator.errors import CuratorError, ExitCode

__all__ = ["app", "main"]


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C: open transactions roll back, temp files are removed.
    Not a KeyboardInterrupt, which typer turns into a silent exit 130."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn errors into one line and an exit code."""
    import signal
    import threading

    try:  # typer >= 0.2x vendors click; older releases use the click package
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover
        import click.exceptions as click_exc  # type: ignore[no-redef]

    debug = bool(os.environ.get("CURATOR_DEBUG"))
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    code = int(ExitCode.OK)
    try:
        # Not standalone: click's usage errors come here instead of its multi-line box, and
        # `--help`, `typer.Exit(n)` and `ctx.exit(n)` come back as their exit code.
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            code = rv
    except click_exc.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `no_args_is_help`: help, exit 2
            if exc.format_message().strip():  # plain click; rich printed it already
                exc.show()
            sys.exit(int(ExitCode.USAGE))
        message = " ".join(exc.format_message().split())
        err.print(f"Error: {message}", markup=False, highlight=False)
        usage = isinstance(exc, click_exc.UsageError)
        sys.exit(int(ExitCode.USAGE) if usage else exc.exit_code)
    except typer.Abort:  # EOF at a prompt, or an explicit typer.Abort()
        err.print("Error: aborted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except CuratorError as exc:
        err.print(f"Error: {exc.message}", markup=False, highlight=False)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        err.print("Error: interrupted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except _Terminated:
        err.print("Error: terminated", markup=False)
        sys.exit(int(ExitCode.TERMINATED))
    except Exception as exc:  # a bug: one line, unless CURATOR_DEBUG asks for the traceback
        if debug:
            raise
        err.print(f"Error: internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(int(ExitCode.INTERNAL))
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    sys.exit(code)


if __name__ == "__main__":
    main()
