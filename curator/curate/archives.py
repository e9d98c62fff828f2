"""Archived copies the lists already link to, found without any network call.

Input: the links of entries, as (url_id, href, role) in document order; or a session and the
URL ids to look up. Output: url_id -> the archive URL to show next to a broken link (💀).
Config: none. An archive link counts for a URL when it sits in an entry that links the URL
and either names it (`web.archive.org/web/<timestamp>/<url>`, `archive.ph/<timestamp>/<url>`,
`archive.today/newest/<url>`) or is a short archive.ph-style link (`archive.ph/AbCd1`), which
names nothing and is taken to be a copy of the entry's main link. Looked up when reports and
exports are made, so it always follows the lists as they are now; `url_state.archived_url`,
when set, wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from curator.store.dbapi import IN_CHUNK
from curator.store.links import links_of_entries_linking
from curator.urls import host_of, normalize

if TYPE_CHECKING:
    from curator.store.dbapi import Db

_WAYBACK = frozenset({"web.archive.org", "wayback.archive.org", "archive.org", "www.archive.org"})
# archive.today and its mirrors: one archive under several names.
_TODAY = frozenset(
    {"archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.fo"}
    | {"archive.md"}
)
LinkRow = tuple[int | None, str, str]  # url_id, href, role


@lru_cache(maxsize=4096)
def archive_target(href: str) -> str | None:
    """The URL an archive link is a copy of; "" for an archive link that does not say
    (archive.ph short ids); None for a link that is not an archive link."""
    if "archive." not in href:  # the common case, cheaply
        return None
    host = host_of(href)
    rest = href.split("://", 1)[-1].partition("/")[2]
    if host in _WAYBACK:
        head, _, tail = rest.partition("/")
        if head != "web" or "/" not in tail:
            return None  # archive.org/details/…: an upload, not a copy of a page
        return _scheme(tail.partition("/")[2])
    if host in _TODAY:
        stamp, _, tail = rest.partition("/")
        if tail:
            return _scheme(tail)  # /<timestamp>/<url>, /newest/<url>, /oldest/<url>
        return "" if stamp and "?" not in stamp else None
    return None


def _scheme(url: str) -> str:
    # The Wayback Machine accepts (and lists contain) embedded URLs without a scheme.
    return url if "://" in url else f"http://{url}"


def _key(url: str) -> str:
    # Archives rewrite https to http and back: compare without the scheme.
    return normalize(url).split("://", 1)[-1]


def match_archives(entries: Iterable[Sequence[LinkRow]]) -> dict[int, str]:
    """url_id -> archive URL, over the links of each entry; the first archive link wins."""
    found: dict[int, str] = {}
    for links in entries:
        archives = [(href, t) for _, href, _ in links if (t := archive_target(href)) is not None]
        if not archives:
            continue
        for href, target in archives:
            if target:
                key = _key(target)
                for uid, other, _ in links:
                    if uid is not None and other != href and _key(other) == key:
                        found.setdefault(uid, href)
                continue
            main = next((lk for lk in links if lk[2] == "main"), None)
            if main is not None and main[0] is not None and archive_target(main[1]) is None:
                found.setdefault(main[0], href)
    return found


def archived_copies(db: Db, url_ids: Iterable[int]) -> dict[int, str]:
    """Archive links next to the given URLs in live entries, by url_id (DB lookup)."""
    wanted = sorted(set(url_ids))
    found: dict[int, str] = {}
    # One chunk of URLs at a time, as store.links reads them: an entry's links all come in
    # the chunk that names one of its URLs, which is all match_archives needs.
    for i in range(0, len(wanted), IN_CHUNK):
        asked = set(wanted[i : i + IN_CHUNK])
        by_entry: dict[int, list[LinkRow]] = defaultdict(list)
        for lk in links_of_entries_linking(db, wanted[i : i + IN_CHUNK]):
            by_entry[lk.entry_id].append((lk.url_id, lk.href, lk.role))
        for uid, href in match_archives(by_entry.values()).items():
            if uid in asked:
                found.setdefault(uid, href)
    return found
