"""The `tag` table: every tag row read in bulk, rule tags replaced in bulk, manual edits.

Input: a `Db` in the caller's transaction, tag ids, rows to add, reasons to change.
Output: tag rows as plain tuples (tens of thousands per run: no row objects), one entry's
rows of one tag by origin, one entry's rows with their reasons. Config: none. Plain DBAPI:
the ORM bulk path cost ~10x more.
"""

from __future__ import annotations

from collections.abc import Sequence

from curator.store.dbapi import Db, dbapi, fetch_all, in_chunks, insert_rows
from curator.store.dialect import dialect_of

# (id, entry_id, name, origin, reason)
TagTuple = tuple[int, int, str, str, str]
# (entry_id, name, origin, reason)
NewTag = tuple[int, str, str, str]
_NEW_COLUMNS = ("entry_id", "name", "origin", "reason")


def all_tags(db: Db) -> list[TagTuple]:
    return fetch_all(db, "SELECT id, entry_id, name, origin, reason FROM tag")


def delete_tags(db: Db, tag_ids: Sequence[int]) -> None:
    conn = dbapi(db)
    for chunk in in_chunks(tag_ids):
        conn.execute(f"DELETE FROM tag WHERE id IN ({', '.join('?' * len(chunk))})", chunk)


def insert_tags(db: Db, rows: Sequence[NewTag]) -> None:
    insert_rows(db, "tag", _NEW_COLUMNS, rows)


def set_reasons(db: Db, changes: Sequence[tuple[str, int]]) -> None:
    """(reason, tag id) pairs."""
    if changes:
        dbapi(db).executemany("UPDATE tag SET reason = ? WHERE id = ?", changes)


def tag_on_entry(db: Db, entry_id: int, name: str) -> dict[str, int]:
    """The rows of tag `name` on one entry: origin (rule / manual / removed) -> tag id."""
    rows = fetch_all(
        db, "SELECT origin, id FROM tag WHERE entry_id = ? AND name = ?", (entry_id, name)
    )
    return {str(origin): int(tid) for origin, tid in rows}


def tag_rows_of(db: Db, entry_id: int) -> list[tuple[str, str, str]]:
    """(name, origin, reason) of one entry's tag rows, by name, then origin (`tag --explain`)."""
    rows = fetch_all(
        db,
        "SELECT name, origin, reason FROM tag WHERE entry_id = ? ORDER BY name, origin",
        (entry_id,),
    )
    return [(str(n), str(o), str(r or "")) for n, o, r in rows]


def tags_by_name(db: Db) -> list[tuple[int, str, str, str]]:
    """(entry_id, name, origin, reason) of every tag row, by name, then origin."""
    return fetch_all(db, "SELECT entry_id, name, origin, reason FROM tag ORDER BY name, origin")


def tagged_with_origin(db: Db, origin: str) -> list[tuple[int, str]]:
    """(entry_id, name) of the tag rows of one origin."""
    return fetch_all(db, "SELECT entry_id, name FROM tag WHERE origin = ?", (origin,))


def name_combinations(db: Db, except_origin: str) -> list[tuple[str, str]]:
    """Entries grouped by their set of tag names (rows of `except_origin` left out): each
    combination as names joined by U+001F (tag names are words, never control
    characters), with its entry ids joined by commas. A few dozen rows instead of a row
    per tag."""
    sql = dialect_of(db)
    names = sql.group_concat("name", sql.char(31))
    return fetch_all(
        db,
        f"SELECT names, {sql.group_concat('entry_id')} FROM (SELECT entry_id, {names}"
        " AS names FROM tag WHERE origin != ? GROUP BY entry_id) AS combos GROUP BY names",
        (except_origin,),
    )
