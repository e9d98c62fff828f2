"""Exclusions as data: URL patterns the checker skips, with a reason and an expiry.

Input: a `Db` (a session's transaction for the edits), patterns (`fnmatch` globs, or
`re:REGEX`), reasons, expiry times. Output: `ExclusionView`s and an `ExclusionMatcher`
that names the exclusion an URL falls under. Config: none. The rows are read and written
by store/exclusions.py.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from curator.errors import InputError, NotFoundError
from curator.store.exclusions import delete_exclusion, exclusion_rows, save_exclusion

if TYPE_CHECKING:
    from curator.store.dbapi import Db


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


def list_exclusions(db: Db, now: datetime) -> list[ExclusionView]:
    return [
        ExclusionView(
            r.pattern,
            r.reason,
            r.expires_at,
            r.created_at,
            r.expires_at is None or r.expires_at > now,
        )
        for r in exclusion_rows(db)
    ]


def add_exclusion(
    db: Db, pattern: str, reason: str, expires_at: datetime | None, now: datetime
) -> bool:
    """Add (True) or update (False) the exclusion `pattern`."""
    pattern = pattern.strip()
    if not pattern or pattern == "re:":
        raise InputError("an exclusion needs a non-empty pattern")
    _compile(pattern)
    if expires_at is not None and expires_at <= now:
        raise InputError(f"--expires {expires_at:%Y-%m-%d %H:%M} is already in the past")
    return save_exclusion(db, pattern, reason, expires_at, now)


def remove_exclusion(db: Db, pattern: str) -> None:
    if not delete_exclusion(db, pattern.strip()):
        raise NotFoundError(f"no exclusion {pattern!r} (see `curator exclude list`)")
