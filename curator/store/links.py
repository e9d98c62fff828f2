"""Live links grouped per URL (what `check` and `status` work from), and entries' links.

Input: a `Db` and an optional source id, or url ids. Output: `WebGroup`s (one per web
URL) and `LocalGroup`s (one per relative href), each with its "source_id:line,..."
locations (1-based lines); URL/host counts; `EntryLink`s of the live entries that link
given URLs. Config: none. Plain DBAPI: grouping in SQL keeps the selection of 20,000 URLs
at a fraction of the time and memory an ORM row per link takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from curator.store.dbapi import Db, dbapi, fetch_all, in_chunks, insert_returning_id, stream
from curator.store.dialect import dialect_of
from curator.urls import LinkKind

# Links of current entries, of one kind (?), in one source (?, ?) or all (NULL, NULL).
_LIVE_FROM = (
    " FROM link JOIN entry ON entry.id = link.entry_id JOIN source ON source.id = entry.source_id"
)
_LIVE_WHERE = (
    " WHERE entry.removed_at IS NULL AND link.kind = ?"
    " AND (CAST(? AS INTEGER) IS NULL OR source.id = ?)"
)


def _where(db: Db) -> str:
    # Integers only, so that no path can break the format.
    return dialect_of(db).group_concat("entry.source_id || ':' || (link.line + 1)")


class WebGroup(NamedTuple):
    url_id: int
    url: str  # what is requested
    normalized: str
    where: str  # "source_id:line,..."
    ignored: bool  # every link to it sits in a `<!-- curator-ignore -->` entry


class LocalGroup(NamedTuple):
    href: str  # as written, e.g. ./docs/x.md
    where: str


def web_groups(db: Db, source_id: int | None) -> list[WebGroup]:
    """One group per web URL with live links, by url id."""
    return list(iter_web_groups(db, source_id))


def iter_web_groups(db: Db, source_id: int | None, *, locations: bool = True) -> Iterator[WebGroup]:
    """`web_groups`, streamed (for a caller that keeps less than a row per URL; on
    PostgreSQL inside a transaction). `locations=False`: each with `where` empty, for a
    caller that reads the locations later, if at all."""
    where = _where(db) if locations else "''"
    rows = stream(
        db,
        f"SELECT url.id, url.url, url.normalized, {where},"
        f" {dialect_of(db).all_true('link.excluded')}"
        + _LIVE_FROM
        + " JOIN url ON url.id = link.url_id"
        + _LIVE_WHERE
        + " GROUP BY url.id ORDER BY url.id",  # PostgreSQL too: url.id is the key
        (LinkKind.WEB.value, source_id, source_id),
    )
    for uid, url, normalized, found, ignored in rows:
        yield WebGroup(uid, url, normalized, found, bool(ignored))


def live_locations_sql(db: Db) -> str:
    """SQL of (url_id, "source_id:line,...") per web URL with live links, for a query
    that joins it: its parameters are (`LinkKind.WEB.value`, source_id, source_id)."""
    return (
        f"SELECT link.url_id AS url_id, {_where(db)} AS loc"
        + _LIVE_FROM
        + _LIVE_WHERE
        + " GROUP BY link.url_id"
    )


def local_groups(db: Db, source_id: int | None) -> list[LocalGroup]:
    """One group per relative href with live links, by href."""
    rows = fetch_all(
        db,
        f"SELECT link.href, {_where(db)}"
        + _LIVE_FROM
        + _LIVE_WHERE
        + " GROUP BY link.href ORDER BY link.href",
        (LinkKind.RELATIVE.value, source_id, source_id),
    )
    return [LocalGroup(h, w) for h, w in rows]


def url_and_host_counts(db: Db) -> tuple[int, int]:
    """(stored URLs, distinct hosts among them)."""
    [(urls, hosts)] = fetch_all(db, "SELECT COUNT(*), COUNT(DISTINCT host) FROM url")
    return int(urls), int(hosts)


class EntryLink(NamedTuple):
    entry_id: int
    url_id: int | None
    href: str
    role: str  # a parse.LinkRole


def links_of_entries_linking(db: Db, url_ids: Sequence[int]) -> list[EntryLink]:
    """Every link of each live entry that links one of `url_ids`, by entry, in document
    order (what curate/archives.py looks for archive copies in)."""
    out: list[EntryLink] = []
    for chunk in in_chunks(sorted(set(url_ids))):
        rows = fetch_all(
            db,
            "SELECT link.entry_id, link.url_id, link.href, link.role FROM link"
            " WHERE link.entry_id IN (SELECT l.entry_id FROM link l"
            " JOIN entry e ON e.id = l.entry_id"
            f" WHERE e.removed_at IS NULL AND l.url_id IN ({', '.join('?' * len(chunk))}))"
            " ORDER BY link.entry_id, link.position",
            chunk,
        )
        out.extend(EntryLink(*r) for r in rows)
    return out


class LiveLink(NamedTuple):
    link_id: int
    entry_id: int
    role: str  # a parse.LinkRole
    source_id: int
    line: int  # 0-based line of the link in its list file


def live_links_to(db: Db, href: str, normalized: str, source_id: int | None) -> list[LiveLink]:
    """Links of live entries (of `source_id`, if given) that point to `href` as written or
    to any spelling of the URL `normalized`."""
    rows = fetch_all(
        db,
        "SELECT link.id, link.entry_id, link.role, entry.source_id, link.line FROM link"
        " JOIN entry ON entry.id = link.entry_id"
        " WHERE entry.removed_at IS NULL AND (link.href = ?"
        " OR link.url_id IN (SELECT url.id FROM url WHERE url.normalized = ?))"
        " AND (CAST(? AS INTEGER) IS NULL OR entry.source_id = ?) ORDER BY link.id",
        (href, normalized, source_id, source_id),
    )
    return [LiveLink(*r) for r in rows]


def ensure_url(db: Db, normalized: str, url: str, host: str) -> int:
    """The id of the `url` row for `normalized`, made (with this spelling) if missing."""
    conn = dbapi(db)
    found = conn.execute("SELECT id FROM url WHERE normalized = ?", (normalized,)).fetchone()
    if found is not None:
        return int(found[0])
    return insert_returning_id(
        db, "INSERT INTO url (normalized, url, host) VALUES (?, ?, ?)", (normalized, url, host)
    )


def repoint_links(db: Db, links: Sequence[LiveLink], href: str, url_id: int | None) -> None:
    """Point `links` at `href`; an entry whose main link moves gets it as its url too."""
    conn = dbapi(db)
    for chunk in in_chunks([lk.link_id for lk in links]):
        conn.execute(
            f"UPDATE link SET href = ?, url_id = ? WHERE id IN ({', '.join('?' * len(chunk))})",
            (href, url_id, *chunk),
        )
    mains = sorted({lk.entry_id for lk in links if lk.role == "main"})
    for chunk in in_chunks(mains):
        conn.execute(
            f"UPDATE entry SET url = ? WHERE id IN ({', '.join('?' * len(chunk))})",
            (href, *chunk),
        )


def url_spellings(db: Db, url_ids: Sequence[int]) -> dict[int, str]:
    """The spelling each `url` row is requested by."""
    found: dict[int, str] = {}
    for chunk in in_chunks(list(url_ids)):
        found.update(
            fetch_all(
                db,
                f"SELECT id, url FROM url WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        )
    return found
