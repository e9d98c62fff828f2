"""The result writer of a check: every result into `check_result`, each URL's new state
into `url_state`, in batches from a background thread.

Input: the DB (a path, or an SQLAlchemy engine), the run id, `--confirm-runs` and
`--confirm-days`; `FetchResult`s submitted while the run goes on. Output: committed rows
(one `BEGIN IMMEDIATE` transaction per ~200 results or per second, so an interrupt loses
only requests still in flight) and `stored`, what the run's report needs of each URL.
Config: `batch_size`, `interval`. The thread has its own plain sqlite3 connection.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from curator.check.state import PASSING, StateRecord, title_drifted, transition
from curator.check.store import StateRow, record_of, states_of
from curator.check.types import FetchResult, LinkState, Outcome, RepoFacts
from curator.store import repofacts
from curator.store.dbapi import connect, path_of, sql_time, transaction


@dataclass(frozen=True, slots=True)
class Stored:
    """What the run's report needs of what a committed result left in `url_state` (kept
    for every URL of the run, so only that)."""

    state: LinkState
    since: datetime | None  # first_failure_at
    title: str | None
    title_drift: bool
    last_ok_at: datetime | None = None
    archived_url: str | None = None  # "" once a lookup found no copy
    outcome: Outcome | None = None


_Item = tuple[int, FetchResult, datetime]
# Results cross to the writer thread in lists of this many: with a thread wake-up per
# result (and the GIL hand-off it forces) the writer thread was 16.5 % of a check
# process's samples at N=5,000, against 6 % in lists.
_HAND_OVER = 64
_STATE_COLS = (
    "state",
    "last_outcome",
    "last_status",
    "first_failure_at",
    "consecutive_failures",
    "flips",
    "last_ok_at",
    "last_checked_at",
    "final_url",
    "title",
    "description",
    "title_drift",
    "reason",
)


class ResultWriter:
    """Commits results from a background thread, in batches, so the event loop never
    waits on SQLite (another `curator check` may hold the write lock for a moment)."""

    def __init__(
        self,
        db: Any,
        run_id: int,
        confirm_runs: int,
        confirm_days: float,
        *,
        batch_size: int = 200,
        interval: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._path, self._run_id = path_of(db), run_id
        self._conn: sqlite3.Connection | None = None  # the writer thread's own
        self._confirm = (confirm_runs, confirm_days)
        self._batch_size, self._interval = batch_size, interval
        self._on_error = on_error
        self._queue: queue.SimpleQueue[list[_Item] | None] = queue.SimpleQueue()
        self._pending: list[_Item] = []
        self._hand_over = max(1, min(_HAND_OVER, batch_size))
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="curator-writer", daemon=True)
        self.stored: dict[int, Stored] = {}
        self.batches = 0
        self.error: BaseException | None = None

    def start(self) -> ResultWriter:
        self._thread.start()
        return self

    def submit(self, url_id: int, result: FetchResult, checked_at: datetime) -> None:
        with self._lock:
            self._pending.append((url_id, result, checked_at))
            if len(self._pending) < self._hand_over:
                return  # the writer takes it at its next tick at the latest
            items, self._pending = self._pending, []
        self._queue.put(items)

    def _take_pending(self) -> list[_Item]:
        with self._lock:
            items, self._pending = self._pending, []
        return items

    def close(self) -> None:
        """Commit everything submitted so far; re-raise a write error."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            if self._conn is not None:
                self._conn.close()

    def _serve(self) -> None:
        batch: list[_Item] = []
        deadline = time.monotonic() + self._interval
        while True:
            try:
                items = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                items = self._take_pending()  # a tick: flush what is waiting
            if items is None:
                batch.extend(self._take_pending())
                self._flush(batch)
                return
            batch.extend(items)
            if len(batch) >= self._batch_size or time.monotonic() >= deadline:
                self._flush(batch)
                batch = []
                deadline = time.monotonic() + self._interval

    def _flush(self, batch: list[_Item]) -> None:
        if not batch or self.error is not None:
            return
        try:
            self._write(batch)
            self.batches += 1
        except BaseException as exc:  # reported by close(); the run is stopped
            self.error = exc
            if self._on_error is not None:
                self._on_error(exc)

    def _write(self, batch: list[_Item]) -> None:
        runs, days = self._confirm
        results: list[tuple[Any, ...]] = []
        states: list[tuple[Any, ...]] = []
        facts: list[tuple[Any, ...]] = []
        stored: dict[int, Stored] = {}
        if self._conn is None:
            self._conn = connect(self._path)
        with transaction(self._conn, write=True) as conn:
            rows = states_of(conn, [uid for uid, _, _ in batch])
            for uid, res, at in batch:
                row = rows.get(uid)
                if res.refused:  # refusing is our policy, not news about the URL
                    record = record_of(row) or StateRecord()
                else:
                    record = transition(record_of(row), res.outcome, at, runs, days, res.status)
                title, description, drift = _titles(row, res)
                final_url = row.final_url if row else None
                if res.outcome is Outcome.REDIRECTED:
                    final_url = res.final_url
                elif res.outcome is Outcome.OK:
                    final_url = None
                redirects = [{"url": h.url, "status": h.status} for h in res.redirects]
                results.append(
                    (
                        uid,
                        self._run_id,
                        sql_time(at),
                        res.status,
                        res.outcome.value,
                        res.final_url,
                        json.dumps(redirects) if redirects else "[]",
                        res.elapsed_ms,
                        res.attempts,
                        res.error,
                        res.title,
                        res.description,
                        res.reason,
                    )
                )
                if res.repo is not None:
                    facts.append(_fact_row(uid, res.repo, at))
                states.append(
                    (
                        uid,
                        record.state.value,
                        record.last_outcome.value if record.last_outcome else None,
                        record.last_status,
                        sql_time(record.first_failure_at),
                        record.consecutive_failures,
                        record.flips,
                        sql_time(record.last_ok_at),
                        sql_time(record.last_checked_at),
                        final_url,
                        title,
                        description,
                        drift,
                        res.reason if not res.refused else (row.reason if row else None),
                    )
                )
                stored[uid] = Stored(
                    record.state,
                    record.first_failure_at,
                    title,
                    drift,
                    record.last_ok_at,
                    row.archived_url if row else None,
                    res.outcome,
                )
            # Plain DBAPI executemany: SQLAlchemy's ORM bulk insert cost more CPU than the
            # rest of the parent process's share of a 20,000-URL run.
            conn.executemany(_INSERT_RESULT, results)
            conn.executemany(_UPSERT_STATE, states)
            repofacts.upsert(conn, facts)
        self.stored.update(stored)


_RESULT_COLS = (
    "url_id",
    "run_id",
    "checked_at",
    "status",
    "outcome",
    "final_url",
    "redirects",
    "elapsed_ms",
    "attempts",
    "error",
    "title",
    "description",
    "reason",
)
_INSERT_RESULT = (
    f"INSERT INTO check_result ({', '.join(_RESULT_COLS)}) "
    f"VALUES ({', '.join('?' * len(_RESULT_COLS))})"
)
_UPSERT_STATE = (
    f"INSERT INTO url_state (url_id, {', '.join(_STATE_COLS)}) "
    f"VALUES ({', '.join('?' * (len(_STATE_COLS) + 1))}) "
    f"ON CONFLICT (url_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _STATE_COLS)}"
)


def _fact_row(uid: int, repo: RepoFacts, at: datetime) -> tuple[Any, ...]:
    return (
        uid,
        repo.name_with_owner,
        repo.url,
        repo.archived,
        repo.disabled,
        repo.fork,
        repo.stars,
        sql_time(repo.pushed_at),
        repo.description,
        repo.license,
        repo.language,
        sql_time(at),
    )


def _titles(row: StateRow | None, res: FetchResult) -> tuple[str | None, str | None, bool]:
    """(title, description, drift) to store. Only a passing page may change them, never
    to empty; a drifted title keeps the old one as the reference until it comes back."""
    title = row.title if row else None
    description = row.description if row else None
    drift = row.title_drift if row else False
    if res.outcome not in PASSING:
        return title, description, drift
    new_title = (res.title or "").strip() or None
    if new_title is not None:
        drift = title_drifted(title, new_title)
        if not drift:
            title = new_title
    new_desc = (res.description or "").strip()
    if new_desc and not drift:
        description = new_desc
    return title, description, drift
