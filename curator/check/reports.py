"""A check run's per-URL reports: read back from the DB once, then kept on disk.

Input: where the DB is, the run id and source, the url ids the run skipped and excluded
(with why), and the reports made in memory: relative links (on disk, unchecked, or checked
as web URLs under `--base-url`) and the lists' own `#anchor` links. Output: `RunReports`,
the run's `UrlReport`s in (url, locations) order as read from the DB (store/runreport.py:
each URL's row of this run in `check_result`, its `url_state`, its live links'
locations), and `ReportSpool`, where they are kept once read: a temporary file, read back
in order as often as wanted. Config: none.

Why: the parent process of a check used to keep a `UrlReport` per URL, with the result,
request and state behind each, until the report was printed; its memory grew with the
list (215 MiB at 100,000 URLs). The writer thread commits every result anyway, so what
the report needs of a checked URL is in the DB, and a skipped or excluded one needs only
its id kept. The spool makes the report one read of the DB, and a snapshot: later runs
do not change what it says.
"""

from __future__ import annotations

import heapq
import json
import marshal
import tempfile
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from curator.check.store import Locations
from curator.check.summary import UrlReport
from curator.check.types import Hop, LinkState, Outcome
from curator.store.dbapi import Where, connect, transaction
from curator.store.runreport import ReportRow, report_rows

_OUTCOMES = {o.value: o for o in Outcome}
_STATES = {s.value: s for s in LinkState}


def order(r: UrlReport) -> tuple[str, tuple[str, ...]]:
    """The order of a run's reports."""
    return r.url, r.locations


@dataclass(frozen=True, slots=True)
class RunReports:
    """Every report of run `run_id`: the web URLs it checked, skipped or excluded (read
    from the DB at each iteration) merged with `local`, the reports made in memory."""

    where: Where
    run_id: int
    source_id: int | None
    skipped: Collection[int]
    excluded: Mapping[int, str]  # url id → why
    local: tuple[UrlReport, ...]  # in `order`

    def __iter__(self) -> Iterator[UrlReport]:
        with closing(connect(self.where)) as conn, transaction(conn):
            rows = report_rows(conn, self.run_id, self.source_id)
            try:
                web = self._web(rows, Locations(conn))
                yield from heapq.merge(self.local, web, key=order) if self.local else web
            finally:
                rows.close()  # its cursors, before their connection (a reader may stop early)

    def _web(self, rows: Iterator[ReportRow], locations: Locations) -> Iterator[UrlReport]:
        # The rows come in URL order; equal URLs (different url rows spelt alike) are put
        # in the order of their locations here, as in `order`.
        alike: list[UrlReport] = []
        for row in rows:
            r = self._report(row, locations)
            if r is None:
                continue
            if alike and alike[0].url != r.url:
                yield from sorted(alike, key=order) if len(alike) > 1 else alike
                alike = []
            alike.append(r)
        yield from sorted(alike, key=order)

    def _report(self, row: ReportRow, locations: Locations) -> UrlReport | None:
        uid, url, where, outcome, status, final_url, hops, title, error = row[:9]
        attempts, elapsed_ms, reason, state, since, state_title, drift, archived = row[9:17]
        state_final_url, last_status = row[17:]
        if outcome is not None:  # checked in this run
            return UrlReport(
                url,
                _OUTCOMES[outcome],
                status,
                final_url,
                _hops(hops),
                title or state_title,
                error,
                attempts or 0,
                elapsed_ms or 0,
                _STATES[state] if state else None,
                locations(where),
                bool(drift),
                since,
                reason,
                archived or None,
            )
        why = self.excluded.get(uid)
        if why is None and uid not in self.skipped:
            return None  # not this run's: another source, shard or selection; or unfinished
        return UrlReport(
            url,
            Outcome.SKIPPED if why is None else Outcome.EXCLUDED,
            last_status if why is None else None,
            state_final_url,
            title=state_title,
            error=why,
            state=_STATES[state] if state else None,
            locations=locations(where),
            title_drift=bool(drift),
            since=since,
        )


def _hops(text: str | None) -> tuple[Hop, ...]:
    if not text or text == "[]":
        return ()
    return tuple(Hop(h["url"], h["status"]) for h in json.loads(text))


_BLOCK = 500  # reports per marshalled block of the spool


class ReportSpool:
    """Reports in a temporary file, in blocks of `_BLOCK`; iterating reads them back in
    the order added, each iteration from its own position, as often as wanted."""

    def __init__(self) -> None:
        # Open as long as the spool lives (a summary's results); closed with it.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._close = weakref.finalize(self, self._file.close)
        self._pending: list[tuple[Any, ...]] = []
        self._end = 0

    def adding(self, reports: Iterable[UrlReport]) -> Iterator[UrlReport]:
        """`reports`, each added to the spool as it passes."""
        for r in reports:
            self._pending.append(_pack(r))
            if len(self._pending) >= _BLOCK:
                self._flush()
            yield r
        self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        data = marshal.dumps(self._pending)
        self._file.seek(self._end)
        self._file.write(len(data).to_bytes(4, "little") + data)
        self._end += 4 + len(data)
        self._pending = []

    def __iter__(self) -> Iterator[UrlReport]:
        offset = 0
        while offset < self._end:
            self._file.seek(offset)
            size = int.from_bytes(self._file.read(4), "little")
            block = marshal.loads(self._file.read(size))
            offset += 4 + size
            for packed in block:
                yield _unpack(packed)

    def close(self) -> None:
        self._close()


def _pack(r: UrlReport) -> tuple[Any, ...]:
    """A report as marshal stores it: enums by value, times as ISO text."""
    return (
        r.url,
        r.outcome.value,
        r.status,
        r.final_url,
        tuple((h.url, h.status) for h in r.redirects),
        r.title,
        r.error,
        r.attempts,
        r.elapsed_ms,
        r.state.value if r.state else None,
        r.locations,
        r.title_drift,
        r.since.isoformat() if r.since else None,
        r.reason,
        r.archived_url,
    )


def _unpack(p: tuple[Any, ...]) -> UrlReport:
    url, outcome, status, final_url, hops, title, error, attempts, elapsed_ms = p[:9]
    state, locations, drift, since, reason, archived_url = p[9:]
    return UrlReport(
        url,
        _OUTCOMES[outcome],
        status,
        final_url,
        tuple(Hop(u, s) for u, s in hops) if hops else (),
        title,
        error,
        attempts,
        elapsed_ms,
        _STATES[state] if state else None,
        locations,
        drift,
        datetime.fromisoformat(since) if since else None,
        reason,
        archived_url,
    )
