"""Exclusions as data: URL patterns the checker skips, with a reason and an expiry.

Input: a DB (a SQLAlchemy session for the edits; any DB for `list_exclusions`, read with
plain SQL), patterns (`fnmatch` globs, or `re:REGEX`), reasons, expiry times. Output:
`ExclusionView`s and an `ExclusionMatcher` that names the exclusion an URL falls under.
Config: none. The `exclusion` table is defined in models.py.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from curator.errors import InputError, NotFoundError
from curator.store.dbapi import fetch_all, from_sql_time

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class ExclusionView:
    pattern: str
    reason: str
    expires_at: datetime | None
    created_at: datetime
    active: bool


def _compile(pattern: str) -> Callable[[str], bool]:
    if pattern.startswith("re:"):
        try:
            rx = re.compile(pattern[3:])
        except re.error as exc:
            raise InputError(f"bad regular expression {pattern!r}: {exc}") from exc
        return lambda url: rx.search(url) is not None
    return lambda url: fnmatch.fnmatchcase(url, pattern)


class ExclusionMatcher:
    """Active exclusions; `match` returns the reason an URL is excluded, or None."""

    def __init__(self, exclusions: Iterable[ExclusionView]) -> None:
        self._rules = [(_compile(e.pattern), e) for e in exclusions if e.active]

    def match(self, *spellings: str) -> str | None:
        for test, ex in self._rules:
            if any(test(s) for s in spellings):
                return f"exclusion {ex.pattern}" + (f": {ex.reason}" if ex.reason else "")
        return None


def list_exclusions(db: Any, now: datetime) -> list[ExclusionView]:
    rows = fetch_all(
        db, "SELECT pattern, reason, expires_at, created_at FROM exclusion ORDER BY pattern"
    )
    views = []
    for pattern, reason, expires, created in rows:
        expires_at = from_sql_time(expires)
        created_at = from_sql_time(created)
        assert created_at is not None
        views.append(
            ExclusionView(
                pattern, reason, expires_at, created_at, expires_at is None or expires_at > now
            )
        )
    return views


def add_exclusion(
    session: Session, pattern: str, reason: str, expires_at: datetime | None, now: datetime
) -> bool:
    """Add (True) or update (False) the exclusion `pattern`."""
    from sqlmodel import select

    from curator.store.schema import Exclusion

    pattern = pattern.strip()
    if not pattern or pattern == "re:":
        raise InputError("an exclusion needs a non-empty pattern")
    _compile(pattern)
    if expires_at is not None and expires_at <= now:
        raise InputError(f"--expires {expires_at:%Y-%m-%d %H:%M} is already in the past")
    row = session.exec(select(Exclusion).where(Exclusion.pattern == pattern)).first()
    created = row is None
    if row is None:
        row = Exclusion(pattern=pattern, reason=reason, expires_at=expires_at, created_at=now)
    else:
        row.reason, row.expires_at = reason, expires_at
    session.add(row)
    return created


def remove_exclusion(session: Session, pattern: str) -> None:
    from sqlmodel import select

    from curator.store.schema import Exclusion

    row = session.exec(select(Exclusion).where(Exclusion.pattern == pattern.strip())).first()
    if row is None:
        raise NotFoundError(f"no exclusion {pattern!r} (see `curator exclude list`)")
    session.delete(row)
