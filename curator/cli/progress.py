"""Progress display for `curator check`: a rich bar on a terminal, plain lines elsewhere.

Input: the number of URLs to check, then one outcome per finished URL. Output: on stderr,
either a live rich bar (done/total, rate, per-outcome counts) or, in CI (`CI=true`) and
when stdout is not a terminal, a line per problem and a progress line every few seconds.
Config: `make_progress(console, interactive)`; `is_interactive()` decides the default.
Both displays implement check/runner.py's `ProgressSink`.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from curator.check.runner import ProgressSink
from curator.check.types import FetchResult, Outcome

_QUIET = (Outcome.OK, Outcome.SKIPPED, Outcome.EXCLUDED)


def is_interactive() -> bool:
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        return False
    return sys.stdout.isatty() and sys.stderr.isatty()


class PlainProgress:
    """Lines for logs: every problem as it happens, a count every `every` seconds."""

    def __init__(self, console: Console, every: float = 5.0) -> None:
        self._console, self._every = console, every
        self._counts: Counter[Outcome] = Counter()
        self._total = 0
        self._t0 = self._last = 0.0

    def start(self, total: int) -> None:
        self._total = total
        self._t0 = self._last = time.monotonic()
        self._print(f"checking {total} URLs")

    def update(self, result: FetchResult) -> None:
        self._counts[result.outcome] += 1
        if result.outcome not in _QUIET:
            status = result.status if result.status is not None else "-"
            extra = f" ({result.error})" if result.error else ""
            self._print(f"{result.outcome.value} {status} {result.url}{extra}")
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._print(self._line(now))

    def finish(self) -> None:
        self._print(self._line(time.monotonic()))

    def _line(self, now: float) -> str:
        done = sum(self._counts.values())
        rate = done / (now - self._t0) if now > self._t0 else 0.0
        counts = " ".join(f"{o.value}={n}" for o, n in sorted(self._counts.items()))
        return f"progress {done}/{self._total} ({rate:.0f}/s) {counts}".rstrip()

    def _print(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False)


class RichProgress:
    def __init__(self, console: Console) -> None:
        self._counts: Counter[Outcome] = Counter()
        self._progress = Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._t0 = 0.0

    def start(self, total: int) -> None:
        self._t0 = time.monotonic()
        self._task = self._progress.add_task("check", total=total, rate="0", counts="")
        self._progress.start()

    def update(self, result: FetchResult) -> None:
        self._counts[result.outcome] += 1
        if self._task is None:
            return
        done = sum(self._counts.values())
        elapsed = time.monotonic() - self._t0
        counts = " ".join(
            f"{o.value} {n}" for o, n in sorted(self._counts.items()) if o is not Outcome.OK
        )
        self._progress.update(
            self._task,
            completed=done,
            rate=f"{done / elapsed:.0f}" if elapsed > 0 else "0",
            counts=f"ok {self._counts[Outcome.OK]} {counts}".strip(),
        )

    def finish(self) -> None:
        self._progress.stop()


def make_progress(console: Console, interactive: bool | None = None) -> ProgressSink:
    if interactive is None:
        interactive = is_interactive()
    return RichProgress(console) if interactive else PlainProgress(console)
