"""One link's check results over time (`curator history URL`), and whether any check ran.

Input: a session and a URL as written in a list (any spelling that normalizes the same).
Output: `LinkHistory` (the URL, its state now, every result oldest first) or
NotFoundError (exit 2) when no list links it; `has_checked()` says whether any
`curator check` run ever finished or stopped. Reads only; plain SQL any engine accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from curator.errors import NotFoundError
from curator.urls import normalize


@dataclass(frozen=True, slots=True)
class HistoryRow:
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
    results: tuple[HistoryRow, ...]


def _aware(value: datetime | str) -> datetime:
    # Raw SQL gets SQLite's text (SQLAlchemy's naive UTC); another engine gives datetimes.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def link_history(session: Session, url: str) -> LinkHistory:
    found = session.execute(
        text("SELECT id, url FROM url WHERE normalized = :n"), {"n": normalize(url.strip())}
    ).first()
    if found is None:
        raise NotFoundError(f"no list links {url.strip()} (see `curator list --search`)")
    url_id, spelled = found
    state = session.execute(
        text("SELECT state FROM url_state WHERE url_id = :u"), {"u": url_id}
    ).scalar()
    rows = session.execute(
        text(
            "SELECT checked_at, outcome, status, final_url, title, error FROM check_result"
            " WHERE url_id = :u ORDER BY checked_at, id"
        ),
        {"u": url_id},
    ).all()
    return LinkHistory(
        spelled,
        state,
        tuple(HistoryRow(_aware(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows),
    )


def has_checked(session: Session) -> bool:
    """A check run that got as far as results (done, or interrupted after some)."""
    return (
        session.execute(
            text("SELECT 1 FROM run WHERE kind = 'check' AND status != 'running' LIMIT 1")
        ).first()
        is not None
        or session.execute(text("SELECT 1 FROM check_result LIMIT 1")).first() is not None
    )
