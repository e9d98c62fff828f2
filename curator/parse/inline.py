"""Inline tokens → runs of plain text and links, split into source lines.

Input: one markdown-it `inline` token. Output: `InlineText`, a list of lines of `Run`s
(text with an optional link target), which the block walker turns into titles,
descriptions and links. Handles `<a href>`/`<img>` inside inline HTML. No config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it.token import Token

# The characters `urls.strip_invisible` drops (a test keeps the two in step). One regex
# pass is ~4x faster than its `str.translate` on the non-ASCII text of Chinese lists, and
# the parser calls it for every title, description and link text.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def strip_invisible(text: str) -> str:
    return text if text.isascii() else _INVISIBLE.sub("", text)


_BADGE_HINTS = ("shields.io", "badge", "badgen.net", "travis-ci", "circleci.com", "codecov.io")


# HTML elements that render as blocks of their own inside a cell or an item.
_BLOCK_TAGS = frozenset(
    ("p", "div", "summary", "details", "li", "ul", "ol", "table", "tr", "td", "th", "hr")
)


@dataclass(slots=True)
class Run:
    text: str
    href: str | None = None  # a link (or an image source when `image`)
    image: bool = False
    badge: bool = False  # a link wrapping a badge image, or a badge image itself
    line: int = 0
    strong: bool = False
    hard: bool = False  # a `<br>`: the name ends here, metadata (venue, authors) follows


@dataclass(slots=True)
class InlineText:
    lines: list[list[Run]] = field(default_factory=list)
    first_line: int = 0

    def runs(self) -> list[Run]:
        return [r for line in self.lines for r in line]

    def plain(self) -> str:
        return " ".join(line_text(line) for line in self.lines).strip()


# CJK ideographs, kana, hangul and full-width forms: no space where a line wraps between two.
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \t]*\n\\s*(?=[{_CJK}])")


def join_breaks(text: str) -> str:
    """Collapse whitespace; a line break between two CJK characters joins them."""
    if "\n" in text:
        text = _CJK_BREAK.sub("", text)
    return " ".join(text.split())


def line_text(runs: list[Run]) -> str:
    return "".join(r.text for r in runs if not r.image).strip()


def _is_badge(src: str) -> bool:
    low = src.lower()
    return any(h in low for h in _BADGE_HINTS)


class _TagReader(HTMLParser):
    """Reads the tags of an HTML fragment: `<a href>` opens/closes, `<img src>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("/" + tag, {}))

    def handle_data(self, data: str) -> None:
        self.events.append(("#text", {"data": data}))


def srcset_urls(value: str) -> list[str]:
    """The image URLs of a `srcset` (`a.png 1x, b.png 2x`), each shown by some browser."""
    urls = []
    for candidate in value.split(","):
        parts = candidate.split()
        if parts:
            urls.append(parts[0])
    return urls


def read_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    reader = _TagReader()
    try:
        reader.feed(html)
        reader.close()
    except Exception:  # html.parser is lenient, but never let odd HTML stop an import
        return reader.events
    return reader.events


def flatten(token: Token, first_line: int | None = None) -> InlineText:
    """Flatten an inline token into lines of runs."""
    start = first_line if first_line is not None else (token.map[0] if token.map else 0)
    out = InlineText(lines=[[]], first_line=start)
    line = start
    link_href: str | None = None
    link_text: list[str] = []
    link_badge = False
    link_line = line
    strong = 0

    def emit(run: Run) -> None:
        out.lines[-1].append(run)

    text_seen = False

    def open_link(href: str) -> None:
        nonlocal link_href, link_text, link_badge, link_line, text_seen
        link_href, link_text, link_badge, link_line, text_seen = href, [], False, line, False

    def close_link() -> None:
        nonlocal link_href
        if link_href is not None:
            text = join_breaks(strip_invisible("".join(link_text)))
            # A link around nothing but an image is decorative (badges, star-history charts).
            image_only = bool(out.lines[-1]) and out.lines[-1][-1].image and not text_seen
            # A badge inside a link with words of its own (`[Awesome X ![badge](…)](#x)`)
            # does not make the link a badge.
            badge = (link_badge and not text_seen) or image_only
            emit(Run(text, link_href, False, badge, link_line, strong > 0))
        link_href = None

    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            content = child.content
            if link_href is not None:
                link_text.append(content)
                text_seen = text_seen or bool(content.strip())
            else:
                emit(Run(content, line=line, strong=strong > 0))
        elif kind in ("softbreak", "hardbreak"):
            if link_href is not None:
                link_text.append("\n")
            line += 1
            out.lines.append([])
            if link_href is None:
                # A line break reads as a space (none between two CJK characters, as
                # browsers join them): the text helpers decide, so keep it visible.
                emit(Run("\n", line=line))
        elif kind == "link_open":
            close_link()
            open_link(str(child.attrs.get("href", "")))
        elif kind == "link_close":
            close_link()
        elif kind == "image":
            src = str(child.attrs.get("src", ""))
            alt = child.content or "".join(c.content for c in child.children or ())
            if link_href is not None:
                link_badge = link_badge or _is_badge(src)
                if not _is_badge(src):  # a badge's alt text is not part of a name
                    link_text.append(alt)
            emit(Run(alt, src, True, _is_badge(src), line))
        elif kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong = max(0, strong - 1)
        elif kind == "html_inline":
            for tag, attrs in read_tags(child.content):
                if tag == "a" and attrs.get("href"):
                    close_link()
                    open_link(attrs["href"])
                elif tag == "/a":
                    close_link()
                elif tag == "img" and attrs.get("src"):
                    src = attrs["src"]
                    if link_href is not None:
                        link_badge = link_badge or _is_badge(src)
                    emit(Run(attrs.get("alt", ""), src, True, _is_badge(src), line))
                if tag in ("img", "source") and attrs.get("srcset"):
                    for src in srcset_urls(attrs["srcset"]):
                        emit(Run(attrs.get("alt", ""), src, True, _is_badge(src), line))
                elif tag == "#text":
                    emit(Run(attrs["data"], line=line))
                elif tag == "br" and link_href is None:
                    emit(Run("\n", line=line, hard=True))
                elif tag.lstrip("/") in _BLOCK_TAGS and link_href is None:
                    # `<summary>More</summary><p>idea</p>` renders as separate blocks:
                    # their words must not run together ("Moreidea").
                    emit(Run(" ", line=line))
        # em/s open/close and anything else carry no text of their own
    close_link()
    return out
