"""Store side of the decisions kept in `curator.toml`: the exclusion table mirrored from
the file, and the live entries a decision (made per URL) applies to.

Input: a `Db` in a write transaction, exclusion rules, URLs. Output: rows changed in the
caller's transaction; entry ids. Config: none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from curator.store.dbapi import Db, fetch_all
from curator.store.exclusions import delete_exclusion, exclusion_rows, save_exclusion
from curator.urls import normalize


def mirror_exclusions(
    db: Db, rules: Sequence[tuple[str, str, datetime | None]], now: datetime
) -> int:
    """Make the exclusion table hold exactly `rules` (pattern, reason, expires); how many
    rows were added, changed or dropped."""
    wanted = {pattern: (reason, expires) for pattern, reason, expires in rules}
    changed = 0
    for row in exclusion_rows(db):
        if row.pattern not in wanted:
            delete_exclusion(db, row.pattern)
            changed += 1
            continue
        reason, expires = wanted.pop(row.pattern)
        if (row.reason, row.expires_at) != (reason, _aware(expires)):
            save_exclusion(db, row.pattern, reason, expires, now)
            changed += 1
    for pattern, (reason, expires) in wanted.items():
        save_exclusion(db, pattern, reason, expires, now)
        changed += 1
    return changed


def _aware(when: datetime | None) -> datetime | None:
    # The table holds UTC wall time; a naive time from the file is taken as UTC too.
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def entries_at(db: Db, url: str) -> list[int]:
    """Live entries whose main link is `url` (any spelling of it)."""
    rows = fetch_all(
        db,
        "SELECT DISTINCT entry.id FROM entry JOIN link ON link.entry_id = entry.id"
        " JOIN url ON url.id = link.url_id"
        " WHERE entry.removed_at IS NULL AND link.role = 'main' AND url.normalized = ?"
        " ORDER BY entry.id",
        (normalize(url),),
    )
    return [int(eid) for (eid,) in rows]


def main_url_of(db: Db, entry_id: int) -> str | None:
    rows = fetch_all(db, "SELECT url FROM entry WHERE id = ?", (entry_id,))
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def hand_decisions(db: Db) -> list[tuple[int, int, str, str, str | None]]:
    """(tag id, entry id, tag name, origin, the entry's main URL) of every manual tag and
    veto on a live entry."""
    return fetch_all(
        db,
        "SELECT tag.id, tag.entry_id, tag.name, tag.origin, entry.url FROM tag"
        " JOIN entry ON entry.id = tag.entry_id"
        " WHERE tag.origin IN ('manual', 'removed') AND entry.removed_at IS NULL",
    )


def category_overrides_with_urls(db: Db) -> list[tuple[int, str | None]]:
    """(entry id, the entry's main URL) of every live entry with a category override."""
    return fetch_all(
        db,
        "SELECT entry.id, entry.url FROM category_override"
        " JOIN entry ON entry.id = category_override.entry_id WHERE entry.removed_at IS NULL",
    )
