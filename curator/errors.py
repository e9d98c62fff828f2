"""One exception tree for the library, and the exit codes the CLI maps it to.

Input: nothing. Output: `CuratorError` and its subclasses, each carrying an `ExitCode`.
Library modules raise these and never exit; `cli.py` prints `Error: <message>` and exits
with `err.exit_code`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README and relied on by CI scripts."""

    OK = 0
    BROKEN = 1  # some link is confirmed broken (or --fail-on matched)
    USAGE = 2  # bad usage or bad input; nothing was written
    INTERNAL = 3  # a bug or an environment failure
    INTERRUPTED = 130  # SIGINT: finished results were committed
    TERMINATED = 143  # SIGTERM: finished results were committed


class CuratorError(Exception):
    """Base of every error curator raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        # Keep messages to one line: the CLI prints them as `Error: …`.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class InputError(CuratorError):
    """The user gave a path, file or value curator cannot use."""

    exit_code = ExitCode.USAGE


class NotFoundError(InputError):
    """A named source, entry, URL or exclusion does not exist."""


class ConfigError(InputError):
    """`curator.toml` (or `[tool.curator]`) has an unknown key, a bad value, or a key that
    may only come from the command line."""


class DatabaseError(CuratorError):
    """The database cannot be opened, is locked, or has a schema curator does not know."""

    exit_code = ExitCode.USAGE


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer curator; it is left untouched."""


class GitHubError(CuratorError):
    """The GitHub API refused a request (permissions, rate limits, bad repo)."""

    exit_code = ExitCode.USAGE


class Interrupted(CuratorError):
    """A run was stopped by a signal after committing what it had finished."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.INTERRUPTED) -> None:
        super().__init__(message)
        self.exit_code = exit_code
