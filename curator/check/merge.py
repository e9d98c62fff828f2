"""`curator merge FILES…`: fold the results files of sharded checks into the database.

Input: a DB path and results files written by `curator check --results-out` (see
resultsfile.py). Output: a `MergeSummary`; every file is read and validated before the DB
is touched, then everything is written in one write transaction: one run row per shard
(the shards of one run share its run key, so `curator report` sees one run), each new
result into `check_result`, and each URL's state moved through the state machine with
the results of all files in `checked_at` order. Config: none.

Idempotent: a result whose URL and time the run key already holds (merged before, or
written by the shard itself into a shared DB) is left out, so merging a file twice adds
nothing. A result older than its URL's last check joins the history without moving the
state back. Results for URLs this DB does not have (other lists) are counted and skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from curator.check.results import store_batch
from curator.check.resultsfile import ResultRecord, RunHeader, read_results_file
from curator.check.types import FetchResult
from curator.errors import InputError
from curator.store import runs
from curator.store.current import open_current
from curator.store.dbapi import Connection, Where, connect, transaction


@dataclass(frozen=True, slots=True)
class MergeSummary:
    files: int
    run_keys: tuple[str, ...]
    runs_added: int
    results_added: int
    already_present: int
    unknown_urls: int


def merge_results(db: Where, files: Sequence[Path]) -> MergeSummary:
    if not files:
        raise InputError("give at least one results file (written by check --results-out)")
    loaded = [read_results_file(Path(f)) for f in files]  # all validated before any write
    path = open_current(db)
    with closing(connect(path)) as conn, transaction(conn, write=True):
        return _merge(conn, loaded)


def _merge(conn: Connection, loaded: list[tuple[RunHeader, list[ResultRecord]]]) -> MergeSummary:
    norms = sorted({r.normalized for _, records in loaded for r in records})
    ids = runs.url_ids(conn, norms)
    held: dict[str, set[tuple[int, datetime]]] = {}
    pending: list[tuple[datetime, int, int, ResultRecord, RunHeader]] = []
    runs_added = present = unknown = 0
    for order, (header, records) in enumerate(loaded):
        run_id, made = runs.shard_run(
            conn,
            header.run_key,
            header.shard,
            started_at=header.started_at,
            finished_at=header.finished_at,
            status=header.status,
            arguments=header.arguments,
            counts=header.counts,
        )
        runs_added += made
        have = held.setdefault(header.run_key, runs.results_of_key(conn, header.run_key))
        for rec in records:
            uid = ids.get(rec.normalized)
            if uid is None:
                unknown += 1
                continue
            key = (uid, rec.checked_at)
            if key in have:
                present += 1
                continue
            have.add(key)  # the same line twice in the files counts once too
            pending.append((rec.checked_at, order, run_id, rec, header))
    pending.sort(key=lambda p: (p[0], p[1]))
    # One store_batch per stretch of one run with each URL at most once, so every
    # result sees the state the one before it left.
    batch: list[tuple[int, FetchResult, datetime]] = []
    in_batch: set[int] = set()
    batch_run: tuple[int, int, float] | None = None
    for at, _order, run_id, rec, header in pending:
        uid = ids[rec.normalized]
        this_run = (run_id, header.confirm_runs, header.confirm_days)
        if batch and (this_run != batch_run or uid in in_batch):
            assert batch_run is not None
            store_batch(conn, batch_run[0], batch, batch_run[1], batch_run[2], newer_only=True)
            batch, in_batch = [], set()
        batch_run = this_run
        batch.append((uid, rec.result, at))
        in_batch.add(uid)
    if batch:
        assert batch_run is not None
        store_batch(conn, batch_run[0], batch, batch_run[1], batch_run[2], newer_only=True)
    return MergeSummary(
        files=len(loaded),
        run_keys=tuple(sorted(held)),
        runs_added=runs_added,
        results_added=len(pending),
        already_present=present,
        unknown_urls=unknown,
    )
