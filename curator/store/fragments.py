"""What `check --check-fragments` needs from the DB: fragments of web links, `#anchor`
links inside the lists, and the lists' current text.

Input: a `Db` and an optional source id. Output: url id → the fragments its
links ask for; `AnchorLink`s (a list's own `#anchor` links with where they are); source id
→ (path, current text). Config: none. Plain SQL that PostgreSQL accepts too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import unquote

from curator.store.dbapi import Db, fetch_all

_LIVE = (
    " FROM link JOIN entry ON entry.id = link.entry_id JOIN source ON source.id = entry.source_id"
    " WHERE entry.removed_at IS NULL AND link.kind = ?"
    " AND (CAST(? AS INTEGER) IS NULL OR source.id = ?)"
)


def fragment_of(href: str) -> str:
    return unquote(href.split("#", 1)[1]) if "#" in href else ""


def web_fragments(db: Db, source_id: int | None) -> dict[int, set[str]]:
    """url id → the fragments (unquoted, without `#`) that links to it ask for."""
    found: dict[int, set[str]] = defaultdict(set)
    for url_id, href in fetch_all(
        db,
        "SELECT link.url_id, link.href" + _LIVE + " AND link.href LIKE '%#%'",
        ("web", source_id, source_id),
    ):
        frag = fragment_of(href)
        if url_id is not None and frag:
            found[url_id].add(frag)
    return dict(found)


@dataclass(frozen=True, slots=True)
class AnchorLink:
    source_id: int
    href: str  # "#section"
    location: str  # "path:line", 1-based


def anchor_links(db: Db, source_id: int | None) -> list[AnchorLink]:
    return [
        AnchorLink(sid, href, f"{path}:{line + 1}")
        for sid, href, path, line in fetch_all(
            db,
            "SELECT source.id, link.href, source.path, link.line"
            + _LIVE
            + " ORDER BY source.path, link.line",
            ("anchor", source_id, source_id),
        )
    ]


def source_texts(db: Db, source_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """source id → (path, text of its current version)."""
    out: dict[int, tuple[str, str]] = {}
    for sid, path, text in fetch_all(
        db,
        "SELECT source.id, source.path, source_version.text FROM source"
        " JOIN source_version ON source_version.id = source.current_version_id",
    ):
        if sid in source_ids:
            out[sid] = (path, text)
    return out
