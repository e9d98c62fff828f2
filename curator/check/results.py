"""The result writer of a check: every result into `check_result`, each URL's new state
into `url_state`, in batches from a background thread.

Input: the DB (a path, or an SQLAlchemy engine a caller holds), the run id, `--confirm-runs` and
`--confirm-days`; `FetchResult`s submitted while the run goes on. Output: committed rows
(one `BEGIN IMMEDIATE` transaction per ~200 results or per second, so an interrupt loses
only requests still in flight) and `unarchived`, the links a Wayback lookup may want.
Config: `batch_size`, `interval`. The thread has its own plain DBAPI connection; the
SQL is store/results.py's and store/urlstate.py's. Of what it stored, the writer keeps
only what a Wayback lookup needs (`unarchived`); the run's report reads the rest back
(check/reports.py), so the memory it holds grows with the run's gone links, not its size.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from curator.check.state import PASSING, StateRecord, title_drifted, transition
from curator.check.store import record_of
from curator.check.types import FetchResult, LinkState, Outcome, RepoFacts
from curator.store.dbapi import Connection, connect, path_of, transaction
from curator.store.repofacts import FactRow, upsert_facts
from curator.store.results import ResultRow, insert_results
from curator.store.urlstate import StateRow, archive_lookups, states_of, upsert_states

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from curator.store.dbapi import Connection, Where


@dataclass(frozen=True, slots=True)
class Stored:
    """What a Wayback lookup needs of a committed result that left its URL broken, or
    was `gone`, and whose URL no lookup has answered yet."""

    state: LinkState
    outcome: Outcome
    last_ok_at: datetime | None  # the snapshot closest to it is asked for


_Item = tuple[int, FetchResult, datetime]
# Results cross to the writer thread in lists of this many: with a thread wake-up per
# result (and the GIL hand-off it forces) the writer thread was 16.5 % of a check
# process's samples at N=5,000, against 6 % in lists.
_HAND_OVER = 64


class ResultWriter:
    """Commits results from a background thread, in batches, so the event loop never
    waits on SQLite (another `curator check` may hold the write lock for a moment)."""

    def __init__(
        self,
        db: Where | Engine,
        run_id: int,
        confirm_runs: int,
        confirm_days: float,
        *,
        batch_size: int = 200,
        interval: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._path, self._run_id = path_of(db), run_id
        self._conn: Connection | None = None  # the writer thread's own
        self._confirm = (confirm_runs, confirm_days)
        self._batch_size, self._interval = batch_size, interval
        self._on_error = on_error
        self._queue: queue.SimpleQueue[list[_Item] | None] = queue.SimpleQueue()
        self._pending: list[_Item] = []
        self._hand_over = max(1, min(_HAND_OVER, batch_size))
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="curator-writer", daemon=True)
        self.unarchived: dict[int, Stored] = {}  # url id → its result, in commit order
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
        if self._conn is None:
            self._conn = connect(self._path)
        with transaction(self._conn, write=True) as conn:
            unarchived = store_batch(conn, self._run_id, batch, *self._confirm)
        self.unarchived.update(unarchived)


def store_batch(
    conn: Connection,
    run_id: int,
    batch: list[_Item],
    confirm_runs: int,
    confirm_days: float,
    *,
    newer_only: bool = False,
) -> dict[int, Stored]:
    """Insert `batch`'s results and move each URL's state, inside the caller's write
    transaction; return the URLs this left broken or found gone that have no archive
    lookup yet (`Stored`). `newer_only` (`curator merge`): a result older than the URL's
    last check joins the history but does not move its state, which already went past it."""
    results: list[ResultRow] = []
    states: list[StateRow] = []
    facts: list[FactRow] = []
    unarchived: dict[int, Stored] = {}
    rows = states_of(conn, [uid for uid, _, _ in batch])
    looked_up = archive_lookups(conn, list(rows))
    for uid, res, at in batch:
        row = rows.get(uid)
        last = row.last_checked_at if row is not None else None
        stale = newer_only and last is not None and at < last
        redirects = [{"url": h.url, "status": h.status} for h in res.redirects]
        results.append(
            ResultRow(
                uid,
                run_id,
                at,
                res.status,
                res.outcome.value,
                res.final_url,
                redirects,
                res.elapsed_ms,
                res.attempts,
                res.error,
                res.title,
                res.description,
                res.reason,
            )
        )
        if stale:
            continue
        if res.repo is not None:
            facts.append(_fact_row(uid, res.repo, at))
        if res.refused:  # refusing is our policy, not news about the URL
            record = record_of(row) or StateRecord()
        else:
            record = transition(
                record_of(row), res.outcome, at, confirm_runs, confirm_days, res.status
            )
        title, description, drift = _titles(row, res)
        final_url = row.final_url if row else None
        if res.outcome is Outcome.REDIRECTED:
            final_url = res.final_url
        elif res.outcome is Outcome.OK:
            final_url = None
        states.append(
            StateRow(
                uid,
                record.state.value,
                record.last_outcome.value if record.last_outcome else None,
                record.last_status,
                record.first_failure_at,
                record.consecutive_failures,
                record.flips,
                record.last_ok_at,
                record.last_checked_at,
                final_url,
                title,
                description,
                drift,
                res.reason if not res.refused else (row.reason if row else None),
            )
        )
        gone = record.state is LinkState.BROKEN or res.outcome is Outcome.GONE
        if gone and uid not in looked_up:
            unarchived[uid] = Stored(record.state, res.outcome, record.last_ok_at)
    insert_results(conn, results)
    upsert_states(conn, states)
    upsert_facts(conn, facts)
    return unarchived


def _fact_row(uid: int, repo: RepoFacts, at: datetime) -> FactRow:
    return FactRow(
        uid,
        repo.name_with_owner,
        repo.url,
        repo.archived,
        repo.disabled,
        repo.fork,
        repo.stars,
        repo.pushed_at,
        repo.description,
        repo.license,
        repo.language,
        at,
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
