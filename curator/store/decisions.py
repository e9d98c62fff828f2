"""Store side of the decisions kept in `curator.toml`: the exclusion table mirrored from
the file, and the live entries a decision (made per URL) applies to.

Input: an open write session, exclusion rules, URLs. Output: rows changed in the caller's
transaction; entry ids. Config: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from curator.store.schema import Entry, Exclusion, Link, Url
from curator.urls import normalize


def mirror_exclusions(
    session: Session, rules: Sequence[tuple[str, str, datetime | None]], now: datetime
) -> int:
    """Make the exclusion table hold exactly `rules` (pattern, reason, expires); how many
    rows were added, changed or dropped."""
    wanted = {pattern: (reason, expires) for pattern, reason, expires in rules}
    changed = 0
    for row in list(session.execute(select(Exclusion)).scalars()):
        if row.pattern not in wanted:
            session.execute(delete(Exclusion).where(col(Exclusion.id) == row.id))
            changed += 1
            continue
        reason, expires = wanted.pop(row.pattern)
        if (row.reason, _naive(row.expires_at)) != (reason, _naive(expires)):
            row.reason, row.expires_at = reason, expires
            session.add(row)
            changed += 1
    for pattern, (reason, expires) in wanted.items():
        session.add(Exclusion(pattern=pattern, reason=reason, expires_at=expires, created_at=now))
        changed += 1
    return changed


def _naive(when: datetime | None) -> datetime | None:
    # SQLite gives back what it stored without the zone; compare as UTC wall time.
    return when.replace(tzinfo=None) if when is not None else None


def entries_at(session: Session, url: str) -> list[int]:
    """Live entries whose main link is `url` (any spelling of it)."""
    norm = normalize(url)
    stmt = (
        select(col(Entry.id))
        .join(Link, col(Link.entry_id) == col(Entry.id))
        .join(Url, col(Url.id) == col(Link.url_id))
        .where(col(Entry.removed_at).is_(None), col(Link.role) == "main")
        .where(col(Url.normalized) == norm)
        .distinct()
        .order_by(col(Entry.id))
    )
    return list(session.execute(stmt).scalars().all())


def main_url_of(session: Session, entry_id: int) -> str | None:
    entry = session.get(Entry, entry_id)
    return entry.url if entry is not None else None
