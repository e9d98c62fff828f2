"""What a check run's report is drawn from: each web URL with live links (in one source,
or in all), where those links are, this run's result for it and the URL's state.

Input: a `Db` inside a transaction (PostgreSQL hands the rows over through a server-side
cursor, which needs one), the run id and a source id (None: every source). Output:
`ReportRow`s in code point order of the URL (as Python sorts str), then by url id,
streamed: a run of 100,000 URLs is never held in memory at once. Config: none. The report
itself (which rows belong to the run, the `UrlReport`s) is check/reports.py's.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from curator.store.dbapi import Db, from_sql_time, stream
from curator.store.dialect import dialect_of
from curator.store.links import live_locations_sql
from curator.urls import LinkKind


class ReportRow(NamedTuple):
    url_id: int
    url: str  # what is requested
    where: str  # "source_id:line,..." of its live links
    # `check_result` of this run (all None when the run did not check the URL)
    outcome: str | None  # an Outcome
    status: int | None
    final_url: str | None
    redirects: str | None  # JSON: [{"url", "status"}, ...]
    title: str | None
    error: str | None
    attempts: int | None
    elapsed_ms: int | None
    reason: str | None
    # `url_state` as it stands (all None when the URL has none)
    state: str | None  # a LinkState
    first_failure_at: datetime | None
    state_title: str | None
    title_drift: bool | None
    archived_url: str | None  # "" when a lookup found no copy
    state_final_url: str | None
    last_status: int | None


def report_rows(db: Db, run_id: int, source_id: int | None) -> Generator[ReportRow, None, None]:
    # Two streams in the same order, joined here as they go. One query with a LEFT JOIN
    # of check_result on (url_id, run_id) lets SQLite pick the run_id index for every
    # URL, without statistics to tell it better: quadratic (50 s for 18,000 URLs).
    order = dialect_of(db).code_point_order("url.url")
    live = stream(
        db,
        f"WITH g AS ({live_locations_sql(db)})"
        " SELECT url.id, url.url, g.loc, s.state, s.first_failure_at, s.title,"
        " s.title_drift, s.archived_url, s.final_url, s.last_status"
        " FROM g JOIN url ON url.id = g.url_id LEFT JOIN url_state s ON s.url_id = url.id"
        f" ORDER BY {order}, url.id",
        (LinkKind.WEB.value, source_id, source_id),
    )
    checked = stream(
        db,
        "SELECT r.url_id, url.url, r.outcome, r.status, r.final_url, r.redirects, r.title,"
        " r.error, r.attempts, r.elapsed_ms, r.reason"
        " FROM check_result r JOIN url ON url.id = r.url_id WHERE r.run_id = ?"
        f" ORDER BY {order}, url.id",
        (run_id,),
    )
    try:
        yield from _joined(live, checked)
    finally:
        live.close()
        checked.close()


def _joined(live: Iterator[Any], checked: Iterator[Any]) -> Iterator[ReportRow]:
    result = next(checked, None)
    for uid, url, where, state, failed_at, state_title, drift, archived, final, status in live:
        # Results of URLs this source no longer links (removed meanwhile) are passed over.
        while result is not None and (result[1], result[0]) < (url, uid):
            result = next(checked, None)
        if result is not None and result[0] == uid:
            found, result = result, next(checked, None)
        else:
            found = _UNCHECKED
        _, _, outcome, code, moved_to, hops, title, error, attempts, elapsed_ms, reason = found
        yield ReportRow(
            uid, url, where, outcome, code, moved_to, hops, title, error, attempts, elapsed_ms,
            reason, state, from_sql_time(failed_at), state_title,
            None if drift is None else bool(drift), archived, final, status,
        )  # fmt: skip


_UNCHECKED = (None,) * 11
