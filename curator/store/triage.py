"""Reads for the triage page (`curator serve`): each URL's recent check history, and the
entries that link to it.

Input: a `Db` (a session or a DBAPI connection; curator/store/dbapi.py), URLs as
stored in `url.url`. Output: `HistoryPoint`s newest first, and `EntryRef`s per URL.
Config: `limit` (checks per URL). Portable SQL: `?` parameters, no SQLite-only functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from curator.store.dbapi import Db, fetch_all, from_sql_time, in_chunks


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    checked_at: datetime | None
    outcome: str
    status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class EntryRef:
    entry_id: int
    title: str
    source: str


def history(db: Db, urls: Sequence[str], limit: int = 6) -> dict[str, list[HistoryPoint]]:
    """The last `limit` checks of each URL, newest first."""
    out: dict[str, list[HistoryPoint]] = defaultdict(list)
    for chunk in in_chunks(list(urls)):
        rows = fetch_all(
            db,
            "SELECT url.url, check_result.checked_at, check_result.outcome,"
            " check_result.status, check_result.error FROM check_result"
            " JOIN url ON url.id = check_result.url_id"
            f" WHERE url.url IN ({', '.join('?' * len(chunk))})"
            " ORDER BY url.url, check_result.checked_at DESC, check_result.id DESC",
            chunk,
        )
        for url, at, outcome, status, error in rows:
            if len(out[url]) < limit:
                out[url].append(HistoryPoint(from_sql_time(at), outcome, status, error))
    return dict(out)


def entries_linking(db: Db, urls: Sequence[str]) -> dict[str, list[EntryRef]]:
    """Live entries with a link to each URL (any spelling that normalizes to it)."""
    out: dict[str, list[EntryRef]] = defaultdict(list)
    for chunk in in_chunks(list(urls)):
        rows = fetch_all(
            db,
            "SELECT DISTINCT url.url, entry.id, entry.title, source.name FROM url"
            " JOIN link ON link.url_id = url.id JOIN entry ON entry.id = link.entry_id"
            " JOIN source ON source.id = entry.source_id"
            f" WHERE entry.removed_at IS NULL AND url.url IN ({', '.join('?' * len(chunk))})"
            " ORDER BY url.url, entry.id",
            chunk,
        )
        for url, entry_id, title, source in rows:
            out[url].append(EntryRef(int(entry_id), title, source))
    return dict(out)
