"""Round-trip rendering: DB → the Markdown of one source, byte for byte.

Input: a source's current version text and its entries/links in the DB. Output: the text
with only the edited entries' lines changed. Unchanged entries are copied verbatim from
the stored text, so an unchanged DB exports the imported file exactly. An edit is found
by comparing each link's `href` with `orig_href` (and `title` with `orig_title`), and is
applied inside the entry's line span, at the line the link was parsed from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curator.errors import NotFoundError
from curator.parse import split_lines
from curator.store.entries import edited_entries, edited_links
from curator.store.versions import version_text

if TYPE_CHECKING:
    from curator.store.dbapi import Db
    from curator.store.sources import SourceRow

# Characters that continue a URL; trailing punctuation (`.`, `,` …) only when more follows.
_URL_CHAR = re.compile(r"[\w\-/?=&%#~+@$*]")
_URL_PUNCT = ".,;:!"


def _continues(line: str, end: int) -> bool:
    if end >= len(line):
        return False
    ch = line[end]
    if _URL_CHAR.match(ch):
        return True
    return ch in _URL_PUNCT and end + 1 < len(line) and bool(_URL_CHAR.match(line[end + 1]))


@dataclass(frozen=True, slots=True)
class Rendered:
    source: str
    text: str
    encoding: str
    edited_entries: int


def _replace_on(line: str, old: str, new: str) -> str | None:
    start = 0
    while True:
        pos = line.find(old, start)
        if pos < 0:
            return None
        end = pos + len(old)
        # Whole-URL matches only: `http://a.com/x` must not match inside `http://a.com/xy`.
        if not _continues(line, end):
            return line[:pos] + new + line[end:]
        start = pos + 1


def _patch_href(lines: list[str], first: int, last: int, old: str, new: str) -> bool:
    for i in range(max(first, 0), min(last, len(lines))):
        patched = _replace_on(lines[i], old, new)
        if patched is not None:
            lines[i] = patched
            return True
    return False


def _patch_reference(lines: list[str], old: str, new: str) -> bool:
    """A reference-style link keeps its URL in a `[ref]: url` definition line."""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("[") and "]:" in stripped and old in stripped:
            patched = _replace_on(line, old, new)
            if patched is not None:
                lines[i] = patched
                return True
    return False


def render_source(db: Db, source: SourceRow) -> Rendered:
    version = version_text(db, source.current_version_id)
    if version is None:
        raise NotFoundError(f"source {source.name!r} has no imported version")
    edited = edited_entries(db, source.id)
    if not edited:  # the stored text as is (a big list is megabytes: no split and join)
        return Rendered(source.name, version.text, version.encoding, 0)
    lines = split_lines(version.text)
    for entry in edited:
        for link in edited_links(db, entry.id):
            if _patch_href(lines, link.line, entry.line_end, link.orig_href, link.href):
                continue
            if _patch_reference(lines, link.orig_href, link.href):
                continue
            # A bare `www.x.com` autolink: the href gained a scheme the text never had.
            bare = link.orig_href.removeprefix("http://")
            if bare != link.orig_href and link.text == bare:
                _patch_href(lines, link.line, entry.line_end, bare, link.href)
        if entry.title != entry.orig_title and entry.orig_title:
            for i in range(entry.line_start, min(entry.line_end, len(lines))):
                old = f"[{entry.orig_title}]"
                if old in lines[i]:
                    lines[i] = lines[i].replace(old, f"[{entry.title}]", 1)
                    break
                if entry.orig_title in lines[i]:
                    lines[i] = lines[i].replace(entry.orig_title, entry.title, 1)
                    break
    return Rendered(source.name, "".join(lines), version.encoding, len(edited))
