"""One link's check results over time (`curator history URL`), and whether any check ran.

Input: a `Db` and a URL as written in a list (any spelling that normalizes the same).
Output: `LinkHistory` (the URL, its state now, every result oldest first) or
NotFoundError (exit 2) when no list links it; `has_checked()` says whether any
`curator check` run ever finished or stopped. Reads only; plain DBAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from curator.errors import NotFoundError
from curator.store.dbapi import Db, fetch_all, from_sql_time
from curator.store.kinds import RunKind, RunStatus
from curator.urls import normalize


@dataclass(frozen=True, slots=True)
class LinkResult:
    checked_at: datetime
    outcome: str
    status: int | None
    final_url: str | None  # where a redirect led
    title: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LinkHistory:
    url: str
    state: str | None  # None: never checked
    results: tuple[LinkResult, ...]


def link_history(db: Db, url: str) -> LinkHistory:
    found = fetch_all(db, "SELECT id, url FROM url WHERE normalized = ?", (normalize(url.strip()),))
    if not found:
        raise NotFoundError(f"no list links {url.strip()} (see `curator list --search`)")
    url_id, spelled = found[0]
    state = fetch_all(db, "SELECT state FROM url_state WHERE url_id = ?", (url_id,))
    rows = fetch_all(
        db,
        "SELECT checked_at, outcome, status, final_url, title, error FROM check_result"
        " WHERE url_id = ? ORDER BY checked_at, id",
        (url_id,),
    )
    results = []
    for checked_at, outcome, status, final_url, title, error in rows:
        at = from_sql_time(checked_at)
        assert at is not None  # a NOT NULL column
        results.append(LinkResult(at, outcome, status, final_url, title, error))
    return LinkHistory(str(spelled), state[0][0] if state else None, tuple(results))


def has_checked(db: Db) -> bool:
    """A check run that got as far as results (done, or interrupted after some)."""
    return bool(
        fetch_all(
            db,
            "SELECT 1 FROM run WHERE kind = ? AND status != ? LIMIT 1",
            (RunKind.CHECK.value, RunStatus.RUNNING.value),
        )
        or fetch_all(db, "SELECT 1 FROM check_result LIMIT 1")
    )
